// PandaLM test-set records (idx, motivation_app, cmp_key, instruction, input, response1, response2,
// annotator1..3 ∈ {0 tie, 1 first better, 2 second better}) → Pairs, A = response1, B = response2.
// The winner is the majority of the three votes; a three-way split (one 0, one 1, one 2) has no majority
// and becomes a tie (no preference was established), marked meta.agreement = 'split'.
// The prompt is `instruction`, then a blank line and `input` when input is non-empty. Leaves out scoring.

import type { Pair, Winner } from '../pair';
import { eachRecord, num, optStr, quote, recordId, RecordError, str } from './fields';
import type { FormatImporter, ImportIssue } from './importer';

const VOTE_WINNER: readonly Winner[] = ['tie', 'A', 'B'];

export type Agreement = 'unanimous' | 'majority' | 'split';

/** Majority of three votes in {0, 1, 2}; a three-way split is a tie. */
export function pandaLmMajority(votes: readonly number[]): { winner: Winner; agreement: Agreement } {
  const counts = [0, 1, 2].map((v) => votes.filter((x) => x === v).length);
  const top = Math.max(...counts);
  if (top === 1) return { winner: 'tie', agreement: 'split' };
  const winner = VOTE_WINNER[counts.indexOf(top)];
  return { winner, agreement: top === votes.length ? 'unanimous' : 'majority' };
}

function vote(rec: Record<string, unknown>, key: string): number {
  const v = num(rec, key);
  if (v !== 0 && v !== 1 && v !== 2) throw new RecordError(`field "${key}" must be 0, 1 or 2, got ${quote(v)}`);
  return v;
}

/**
 * A response field. The published test set holds a few bare JSON `true` values where a model answered
 * "True" (lost in a YAML round trip upstream); scalars become their string form and a warning is kept.
 */
function response(rec: Record<string, unknown>, key: string, coerced: string[]): string {
  const v = rec[key];
  if (typeof v === 'boolean' || typeof v === 'number') {
    coerced.push(key);
    return String(v);
  }
  return str(rec, key);
}

function parse(rec: Record<string, unknown>, line: number, warnings: ImportIssue[]): Pair {
  const id = recordId(rec, 'idx', line);
  const instruction = str(rec, 'instruction');
  const input = optStr(rec, 'input') ?? '';
  const coerced: string[] = [];
  const a = response(rec, 'response1', coerced);
  const b = response(rec, 'response2', coerced);
  const votes = ['annotator1', 'annotator2', 'annotator3'].map((k) => vote(rec, k));
  const { winner, agreement } = pandaLmMajority(votes);
  const meta: Record<string, unknown> = { votes, agreement };
  const cmpKey = optStr(rec, 'cmp_key');
  if (cmpKey !== undefined) meta.cmp_key = cmpKey;
  if (coerced.length > 0) {
    meta.coerced = coerced;
    warnings.push({ line, reason: `${coerced.join(', ')} held a JSON scalar, read as its string form` });
  }
  const pair: Pair = {
    id: `pandalm:${id}`,
    prompt: input.trim() === '' ? instruction : `${instruction}\n\n${input}`,
    a,
    b,
    winner,
    source: 'pandalm',
    meta,
  };
  const app = optStr(rec, 'motivation_app');
  if (app !== undefined) pair.subset = app;
  return pair;
}

export const pandaLmImporter: FormatImporter = {
  format: 'pandalm',
  fields: ['instruction', 'input', 'response1', 'response2', 'annotator1', 'annotator2', 'annotator3'],
  detect: (rec) => 'response1' in rec && 'response2' in rec,
  importRecords(records) {
    const errors: ImportIssue[] = [];
    const warnings: ImportIssue[] = [];
    const out = eachRecord(records, errors, (rec, line) => parse(rec, line, warnings));
    return { records: out.map(({ line, value }) => ({ line, pairs: [value] })), errors, warnings };
  },
};
