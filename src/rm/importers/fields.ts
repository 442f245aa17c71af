// Typed field readers for raw records. Each throws a RecordError naming the field and what was wrong, so an
// importer reads a record top to bottom and `eachRecord` turns the first problem into an error entry.
// Leaves out format-specific rules (labels, votes), which the importers check themselves.

import type { ImportIssue, RawRecord } from './importer';

export class RecordError extends Error {}

type Rec = Record<string, unknown>;

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function present(rec: Rec, key: string): unknown {
  if (!(key in rec) || rec[key] === undefined) throw new RecordError(`missing field "${key}"`);
  return rec[key];
}

export function str(rec: Rec, key: string): string {
  const v = present(rec, key);
  if (typeof v !== 'string') throw new RecordError(`field "${key}" must be a string, got ${kindOf(v)}`);
  return v;
}

/** A string field that may be absent or null. */
export function optStr(rec: Rec, key: string): string | undefined {
  if (rec[key] === undefined || rec[key] === null) return undefined;
  return str(rec, key);
}

export function num(rec: Rec, key: string): number {
  const v = present(rec, key);
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RecordError(`field "${key}" must be a number, got ${kindOf(v)}`);
  }
  return v;
}

/** An array of exactly `len` strings. */
export function strArray(rec: Rec, key: string, len: number): string[] {
  const v = present(rec, key);
  if (!Array.isArray(v)) throw new RecordError(`field "${key}" must be an array, got ${kindOf(v)}`);
  if (v.length !== len) throw new RecordError(`field "${key}" must hold ${len} items, got ${v.length}`);
  v.forEach((x, i) => {
    if (typeof x !== 'string') throw new RecordError(`field "${key}[${i}]" must be a string, got ${kindOf(x)}`);
  });
  return v as string[];
}

/** An id field (string or integer) as a string; absent → `#<line>` so every pair still has an id. */
export function recordId(rec: Rec, key: string, line: number): string {
  const v = rec[key];
  if (v === undefined || v === null) return `#${line}`;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  throw new RecordError(`field "${key}" must be a non-empty string or an integer, got ${kindOf(v)}`);
}

/** Runs `fn` on each record; a RecordError becomes an error entry at that record's line. */
export function eachRecord<T>(
  records: readonly RawRecord[],
  errors: ImportIssue[],
  fn: (rec: Rec, line: number) => T,
): { line: number; value: T }[] {
  const out: { line: number; value: T }[] = [];
  for (const r of records) {
    try {
      out.push({ line: r.line, value: fn(r.value, r.line) });
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      errors.push({ line: r.line, reason: e.message });
    }
  }
  return out;
}

/** A label quoted for an error message, cut short. */
export function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
