// JudgeBench records (pair_id, original_id, source, question, response_model, response_A, response_B,
// label) → Pairs with A and B as the file places them. Labels are objective correctness: "A>B" or "B>A";
// the strong forms "A>>B"/"B>>A" read the same and "A=B" is a tie (JudgeBench's judge verdict scale).
// Any other label is an error. Every source (mmlu-pro-*, livebench-*, livecodebench) is knowledge, math,
// logic or code, so the category is `reasoning`. Leaves out JudgeBench's double-order scoring.

import type { Pair, Winner } from '../pair';
import { eachRecord, optStr, quote, recordId, RecordError, str } from './fields';
import type { FormatImporter, ImportIssue } from './importer';

// a Map: the label comes from the file, and an object would answer "constructor" with its own member
const LABELS: ReadonlyMap<string, Winner> = new Map([
  ['A>B', 'A'],
  ['A>>B', 'A'],
  ['B>A', 'B'],
  ['B>>A', 'B'],
  ['A=B', 'tie'],
]);

export function judgeBenchWinner(label: string): Winner {
  const w = LABELS.get(label.trim());
  if (w === undefined) throw new RecordError(`unknown label ${quote(label)} (expected "A>B" or "B>A")`);
  return w;
}

function parse(rec: Record<string, unknown>, line: number): Pair {
  const id = recordId(rec, 'pair_id', line);
  const pair: Pair = {
    id: `judgebench:${id}`,
    prompt: str(rec, 'question'),
    a: str(rec, 'response_A'),
    b: str(rec, 'response_B'),
    winner: judgeBenchWinner(str(rec, 'label')),
    category: 'reasoning',
    source: 'judgebench',
  };
  const subset = optStr(rec, 'source');
  if (subset !== undefined) pair.subset = subset;
  const meta: Record<string, unknown> = {};
  const model = optStr(rec, 'response_model');
  if (model !== undefined) meta.response_model = model;
  if (rec.original_id !== undefined && rec.original_id !== null) meta.original_id = rec.original_id;
  if (Object.keys(meta).length > 0) pair.meta = meta;
  return pair;
}

export const judgeBenchImporter: FormatImporter = {
  format: 'judgebench',
  fields: ['pair_id', 'question', 'response_A', 'response_B', 'label'],
  detect: (rec) => 'response_A' in rec && 'response_B' in rec,
  importRecords(records) {
    const errors: ImportIssue[] = [];
    const out = eachRecord(records, errors, parse).map(({ line, value }) => ({ line, pairs: [value] }));
    return { records: out, errors, warnings: [] };
  },
};
