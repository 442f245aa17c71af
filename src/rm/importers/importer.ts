// The shapes every dataset importer shares: raw records with their line numbers, per-record errors, and the
// interface one format implements. Leaves out reading text (records.ts) and format detection (index.ts).

import type { Pair } from '../pair';

export type DatasetFormat = 'pairs' | 'rm-r1' | 'rewardbench' | 'rm-bench' | 'judgebench' | 'pandalm';

/** One record of the file: `line` is the 1-based JSONL line, or the record index + 1 in a JSON array. */
export interface RawRecord {
  line: number;
  value: Record<string, unknown>;
}

/** A record that could not become pairs (or was turned into one with a caveat, for warnings). */
export interface ImportIssue {
  line: number;
  reason: string;
}

/** The pairs one record produced (RM-Bench: 9, the others: 1). */
export interface RecordPairs {
  line: number;
  pairs: Pair[];
}

export interface ImportContext {
  /** File name, for ids and messages. */
  name: string;
  /** Seed of the A/B position assignment for sources that only say chosen/rejected. */
  seed: number;
}

export interface FormatBatch {
  records: RecordPairs[];
  errors: ImportIssue[];
  warnings: ImportIssue[];
}

export interface FormatImporter {
  format: DatasetFormat;
  /** The fields that identify the format, for the "unknown format" message. */
  fields: readonly string[];
  detect(rec: Record<string, unknown>): boolean;
  importRecords(records: readonly RawRecord[], ctx: ImportContext): FormatBatch;
}
