// File text → JSON object records with line numbers. JSON (an array, one record, or `{"key": [records]}`)
// or JSONL, told apart by whether the whole text parses as JSON. Leaves out what the records mean.

import type { ImportIssue, RawRecord } from './importer';

export type Container = 'json' | 'jsonl';

export interface ReadResult {
  container: Container;
  records: RawRecord[];
  /** Lines that are not JSON, or JSON that is not an object. */
  errors: ImportIssue[];
  /** Records read plus records rejected here: non-blank JSONL lines, or JSON array elements. */
  total: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function collect(values: readonly unknown[], lineOf: (i: number) => number): ReadResult {
  const records: RawRecord[] = [];
  const errors: ImportIssue[] = [];
  values.forEach((value, i) => {
    if (isObject(value)) records.push({ line: lineOf(i), value });
    else errors.push({ line: lineOf(i), reason: `record is not a JSON object (got ${kindOf(value)})` });
  });
  return { container: 'json', records, errors, total: values.length };
}

/** A whole-file JSON value: an array of records, a wrapper with one array field, or a single record. */
function fromJson(doc: unknown): ReadResult {
  if (Array.isArray(doc)) return collect(doc, (i) => i + 1);
  if (isObject(doc)) {
    const keys = Object.keys(doc);
    const only = keys.length === 1 ? doc[keys[0]] : undefined;
    if (Array.isArray(only)) return collect(only, (i) => i + 1);
    return collect([doc], () => 1);
  }
  return collect([doc], () => 1);
}

function fromJsonl(text: string): ReadResult {
  const records: RawRecord[] = [];
  const errors: ImportIssue[] = [];
  let total = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    total++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      errors.push({ line: i + 1, reason: `invalid JSON: ${(e as Error).message}` });
      return;
    }
    if (isObject(value)) records.push({ line: i + 1, value });
    else errors.push({ line: i + 1, reason: `record is not a JSON object (got ${kindOf(value)})` });
  });
  return { container: 'jsonl', records, errors, total };
}

/**
 * Reads records from file text. Throws only when the text is a JSON array that does not parse (its
 * records cannot be told apart); a broken JSONL line is an error entry, not a throw.
 */
export function readRecords(text: string): ReadResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const trimmed = body.trim();
  if (trimmed === '') return { container: 'jsonl', records: [], errors: [], total: 0 };
  try {
    return fromJson(JSON.parse(trimmed));
  } catch (e) {
    if (trimmed.startsWith('[')) throw new Error(`invalid JSON array: ${(e as Error).message}`);
  }
  return fromJsonl(body);
}
