// Our own Pair JSONL (what `toJsonl` writes) read back, so exports re-import unchanged. Strict: every field
// is type-checked and unknown fields are errors, as a hand-edited file should be. Leaves out the other
// formats' field names.

import { CATEGORIES, DIFFICULTIES, WINNERS, type Category, type Difficulty, type Pair, type Winner } from '../pair';
import { eachRecord, optStr, quote, RecordError, str } from './fields';
import type { FormatImporter, ImportIssue } from './importer';

const KEYS = ['id', 'prompt', 'a', 'b', 'winner', 'category', 'subset', 'source', 'difficulty', 'meta'];

function oneOf<T extends string>(rec: Record<string, unknown>, key: string, allowed: readonly T[]): T {
  const v = str(rec, key);
  if (!(allowed as readonly string[]).includes(v)) {
    throw new RecordError(`field "${key}" must be one of ${allowed.join('|')}, got ${quote(v)}`);
  }
  return v as T;
}

function parse(rec: Record<string, unknown>): Pair {
  const unknown = Object.keys(rec).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) throw new RecordError(`unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  const id = str(rec, 'id');
  if (id === '') throw new RecordError('field "id" must not be empty');
  const pair: Pair = {
    id,
    prompt: str(rec, 'prompt'),
    a: str(rec, 'a'),
    b: str(rec, 'b'),
    winner: oneOf<Winner>(rec, 'winner', WINNERS),
    source: str(rec, 'source'),
  };
  if (rec.category !== undefined) pair.category = oneOf<Category>(rec, 'category', CATEGORIES);
  const subset = optStr(rec, 'subset');
  if (subset !== undefined) pair.subset = subset;
  if (rec.difficulty !== undefined) pair.difficulty = oneOf<Difficulty>(rec, 'difficulty', DIFFICULTIES);
  if (rec.meta !== undefined) {
    const m = rec.meta;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      throw new RecordError('field "meta" must be an object');
    }
    pair.meta = m as Record<string, unknown>;
  }
  return pair;
}

export const nativeImporter: FormatImporter = {
  format: 'pairs',
  fields: ['id', 'prompt', 'a', 'b', 'winner', 'source'],
  detect: (rec) => 'a' in rec && 'b' in rec && 'winner' in rec,
  importRecords(records) {
    const errors: ImportIssue[] = [];
    const out = eachRecord(records, errors, parse).map(({ line, value }) => ({ line, pairs: [value] }));
    return { records: out, errors, warnings: [] };
  },
};
