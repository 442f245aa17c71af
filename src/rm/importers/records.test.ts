// What must hold for reading records: JSON arrays, single objects and one-key wrappers read as JSON with
// index+1 lines; anything else as JSONL with 1-based physical lines (blank lines counted, not records);
// bad lines and non-objects are errors with their line; a broken JSON array throws. Exact checks.
import { describe, expect, it } from 'vitest';
import { readRecords } from './records';

describe('readRecords', () => {
  it('reads a JSON array with record index + 1 as the line, non-objects as errors', () => {
    const r = readRecords('[{"x": 1},\n 5,\n {"x": 2}]');
    expect(r.container).toBe('json');
    expect(r.records.map((x) => x.line)).toEqual([1, 3]);
    expect(r.errors).toEqual([{ line: 2, reason: 'record is not a JSON object (got number)' }]);
    expect(r.total).toBe(3);
  });

  it('reads a one-key wrapper object and a single record object', () => {
    expect(readRecords('{"data": [{"x": 1}, {"x": 2}]}').records).toHaveLength(2);
    const one = readRecords('{"x": 1, "y": [{"z": 2}]}');
    expect(one.records).toEqual([{ line: 1, value: { x: 1, y: [{ z: 2 }] } }]);
  });

  it('reads JSONL with physical line numbers, skipping blank lines, reporting bad ones', () => {
    const text = '\uFEFF{"x": 1}\r\n\n{"x": 2}\n{oops\n[1]\n  \n';
    const r = readRecords(text);
    expect(r.container).toBe('jsonl');
    expect(r.records.map((x) => [x.line, x.value.x])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 5]);
    expect(r.errors[0].reason).toMatch(/^invalid JSON/);
    expect(r.errors[1].reason).toBe('record is not a JSON object (got array)');
    expect(r.total).toBe(4);
  });

  it('throws on a JSON array that does not parse, and reads empty text as no records', () => {
    expect(() => readRecords('[{"x": 1},\n{"x": }]')).toThrow(/invalid JSON array/);
    expect(readRecords('  \n')).toMatchObject({ records: [], errors: [], total: 0 });
  });
});
