// RM-Bench records (id, prompt, chosen[3], rejected[3], subset or domain) → 9 Pairs each, one per cell of
// RM-Bench's style matrix. Styles are indexed [concise, detailed plain, detailed markdown]; for chosen style
// i against rejected style j: i < j → hard, i = j → normal, i > j → easy (THU-KEG/RM-Bench README; spec/
// benchmarks.md §2). Leaves out the matrix scoring itself.

import { createRng } from '../../engine/rng';
import type { Category, Difficulty, Pair } from '../pair';
import { eachRecord, optStr, recordId, str, strArray } from './fields';
import type { FormatImporter, ImportIssue, RecordPairs } from './importer';
import { balancedPositions } from './positions';

export const RM_BENCH_STYLES = ['concise', 'detailed-plain', 'detailed-markdown'] as const;

/** The difficulty of comparing chosen style i with rejected style j. */
export function rmBenchDifficulty(i: number, j: number): Difficulty {
  return i < j ? 'hard' : i === j ? 'normal' : 'easy';
}

const DOMAINS = ['chat', 'code', 'math', 'safety-refuse', 'safety-response'] as const;

/** RM-Bench domains onto RewardBench sections: code and math are reasoning, both safety-* are safety. */
function domainCategory(d: string): Category | undefined {
  if (d === 'chat') return 'chat';
  if (d === 'code' || d === 'math') return 'reasoning';
  return d.startsWith('safety') ? 'safety' : undefined;
}

/** The record's `domain` (total_dataset.json) or, for the per-domain files, the file name's prefix. */
function domainOf(rec: Record<string, unknown>, fileName: string): string | undefined {
  const d = optStr(rec, 'domain');
  if (d !== undefined) return d;
  const base = fileName.split(/[\\/]/).pop() ?? '';
  return [...DOMAINS].sort((x, y) => y.length - x.length).find((x) => base.startsWith(x));
}

function planted(rec: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['error_key', 'error']) {
    const v = optStr(rec, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

interface Parsed {
  id: string;
  prompt: string;
  chosen: string[];
  rejected: string[];
  subset?: string;
  domain?: string;
  /** chat files: the error planted in the rejected responses, e.g. {error_key: 'shoes', error: '…'}. */
  planted: Record<string, string>;
}

/** The pair for chosen style i against rejected style j, with the chosen response at `at`. */
function cellPair(r: Parsed, i: number, j: number, at: 'A' | 'B'): Pair {
  const meta: Record<string, unknown> = {
    rmBenchId: r.id,
    chosenStyle: RM_BENCH_STYLES[i],
    rejectedStyle: RM_BENCH_STYLES[j],
    ...r.planted,
  };
  if (r.domain !== undefined) meta.domain = r.domain;
  const pair: Pair = {
    id: `rm-bench:${r.id}:c${i}r${j}`,
    prompt: r.prompt,
    a: at === 'A' ? r.chosen[i] : r.rejected[j],
    b: at === 'A' ? r.rejected[j] : r.chosen[i],
    winner: at,
    source: 'rm-bench',
    difficulty: rmBenchDifficulty(i, j),
    meta,
  };
  const category = r.domain === undefined ? undefined : domainCategory(r.domain);
  if (category !== undefined) pair.category = category;
  if (r.subset !== undefined) pair.subset = r.subset;
  return pair;
}

export const rmBenchImporter: FormatImporter = {
  format: 'rm-bench',
  fields: ['id', 'prompt', 'chosen[3]', 'rejected[3]', 'subset|domain'],
  detect: (rec) => 'prompt' in rec && Array.isArray(rec.chosen) && Array.isArray(rec.rejected),
  importRecords(records, ctx) {
    const errors: ImportIssue[] = [];
    const parsed = eachRecord(
      records,
      errors,
      (rec, line): Parsed => ({
        id: recordId(rec, 'id', line),
        prompt: str(rec, 'prompt'),
        chosen: strArray(rec, 'chosen', 3),
        rejected: strArray(rec, 'rejected', 3),
        subset: optStr(rec, 'subset') ?? optStr(rec, 'domain'),
        domain: domainOf(rec, ctx.name),
        planted: planted(rec),
      }),
    );
    // One balanced assignment per matrix cell, so no cell's accuracy is confounded with position bias.
    const rng = createRng(ctx.seed);
    const chosenAt = Array.from({ length: 9 }, () => balancedPositions(parsed.length, rng));
    const out: RecordPairs[] = parsed.map(({ line, value: r }, k) => {
      const pairs: Pair[] = [];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) pairs.push(cellPair(r, i, j, chosenAt[3 * i + j][k]));
      }
      return { line, pairs };
    });
    return { records: out, errors, warnings: [] };
  },
};
