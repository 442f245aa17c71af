// Dataset import: file text → Pairs. Reads JSON or JSONL (records.ts), detects the format from the record
// fields, runs that format's importer, and reports every bad record by line; the caller picks whether bad
// records reject the file or are skipped. Leaves out storage and the UI's preview.

import type { Pair } from '../pair';
import type { DatasetFormat, FormatImporter, ImportIssue, RawRecord, RecordPairs } from './importer';
import { judgeBenchImporter } from './judgebench';
import { nativeImporter } from './native';
import { pandaLmImporter } from './pandalm';
import { readRecords, type Container } from './records';
import { rewardBenchImporter } from './rewardbench';
import { rmBenchImporter } from './rm_bench';
import { rmR1Importer } from './rm_r1';

export type { DatasetFormat, ImportIssue } from './importer';

/** Checked in this order: the more specific field sets first (RM-Bench before RewardBench). */
export const IMPORTERS: readonly FormatImporter[] = [
  nativeImporter,
  rmR1Importer,
  judgeBenchImporter,
  pandaLmImporter,
  rmBenchImporter,
  rewardBenchImporter,
];

export interface ImportOptions {
  /** 'reject' (default): any bad record throws. 'skip': keep the valid pairs, report the rest. */
  onError?: 'skip' | 'reject';
  /** Seed of the A/B placement for chosen/rejected sources (RewardBench, RM-Bench). Default 0. */
  seed?: number;
  /** Skip detection and read the records as this format. */
  format?: DatasetFormat;
}

export interface ImportResult {
  format: DatasetFormat;
  container: Container;
  pairs: Pair[];
  /** Records that gave no pairs, by line (JSONL) or index + 1 (JSON array), in line order. */
  errors: ImportIssue[];
  /** Records imported with a caveat (e.g. a value coerced to a string). */
  warnings: ImportIssue[];
  /** Records in the file, good and bad; RM-Bench yields 9 pairs per record. */
  total: number;
}

const SAMPLE = 50;

/** The format most of the first records look like; undefined when none matches. */
export function detectFormat(records: readonly RawRecord[]): DatasetFormat | undefined {
  const votes = new Map<DatasetFormat, number>();
  for (const r of records.slice(0, SAMPLE)) {
    const f = IMPORTERS.find((imp) => imp.detect(r.value))?.format;
    if (f !== undefined) votes.set(f, (votes.get(f) ?? 0) + 1);
  }
  let best: DatasetFormat | undefined;
  for (const [f, n] of votes) if (best === undefined || n > (votes.get(best) ?? 0)) best = f;
  return best;
}

function unknownFormatMessage(name: string, records: readonly RawRecord[]): string {
  const seen = new Set<string>();
  for (const r of records.slice(0, SAMPLE)) for (const k of Object.keys(r.value)) seen.add(k);
  const known = IMPORTERS.map((f) => `${f.format} (${f.fields.join(', ')})`).join('; ');
  return `${name}: unknown dataset format; fields seen: ${[...seen].join(', ') || 'none'}. Known formats: ${known}`;
}

function listIssues(errors: readonly ImportIssue[], max = 5): string {
  const shown = errors.slice(0, max).map((e) => `line ${e.line}: ${e.reason}`);
  if (errors.length > max) shown.push(`…and ${errors.length - max} more`);
  return shown.join('; ');
}

/** Flattens per-record pairs; a record whose pair id was already used becomes an error. */
function uniquePairs(records: readonly RecordPairs[], errors: ImportIssue[]): Pair[] {
  const firstLine = new Map<string, number>();
  const pairs: Pair[] = [];
  for (const r of records) {
    const dup = r.pairs.find((p) => firstLine.has(p.id));
    if (dup !== undefined) {
      errors.push({ line: r.line, reason: `duplicate id "${dup.id}" (first at line ${firstLine.get(dup.id)})` });
      continue;
    }
    for (const p of r.pairs) firstLine.set(p.id, r.line);
    pairs.push(...r.pairs);
  }
  return pairs;
}

/**
 * Imports a dataset file. Throws on text that holds no records, an unknown format (naming the fields
 * seen), or, with onError 'reject', any bad record (listing the first few with their lines).
 */
export function importDataset(text: string, name: string, opts: ImportOptions = {}): ImportResult {
  let read: ReturnType<typeof readRecords>;
  try {
    read = readRecords(text);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  if (read.records.length === 0) {
    const why = read.errors.length > 0 ? `: ${listIssues(read.errors)}` : '';
    throw new Error(`${name}: no records${why}`);
  }
  const format = opts.format ?? detectFormat(read.records);
  const importer = IMPORTERS.find((f) => f.format === format);
  if (importer === undefined) throw new Error(unknownFormatMessage(name, read.records));
  const batch = importer.importRecords(read.records, { name, seed: opts.seed ?? 0 });
  const errors = [...read.errors, ...batch.errors];
  const pairs = uniquePairs(batch.records, errors);
  errors.sort((x, y) => x.line - y.line);
  if ((opts.onError ?? 'reject') === 'reject' && errors.length > 0) {
    throw new Error(
      `${name}: ${errors.length} bad record(s) in ${importer.format} data (${listIssues(errors)}); ` +
        `import with onError 'skip' to keep the ${pairs.length} valid pair(s)`,
    );
  }
  const { container, total } = read;
  return { format: importer.format, container, pairs, errors, warnings: batch.warnings, total };
}
