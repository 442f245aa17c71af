// What must hold for our own Pair JSONL: valid lines read back field for field, and a bad enum value or
// an unknown field is an error at its line rather than a silently changed pair. Exact checks.
import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures_node';
import { importDataset } from './index';

describe('native Pair JSONL importer', () => {
  it('imports 3 of 5 lines and reports the bad winner and the unknown field', () => {
    const r = importDataset(readFixture('pairs.jsonl'), 'pairs.jsonl', { onError: 'skip' });
    expect(r.format).toBe('pairs');
    expect(r.pairs).toEqual([
      {
        id: 'toy:1',
        prompt: 'What is 1 + 1?',
        a: '2',
        b: '3',
        winner: 'A',
        category: 'reasoning',
        subset: 'arith',
        source: 'toy',
      },
      {
        id: 'toy:2',
        prompt: 'Answer in capitals: hi',
        a: 'hi',
        b: 'HI',
        winner: 'B',
        category: 'chat',
        source: 'toy',
        meta: { constraint: 'uppercase' },
      },
      { id: 'toy:3', prompt: 'Pick one.', a: 'Left.', b: 'Right.', winner: 'tie', source: 'toy', difficulty: 'normal' },
    ]);
    expect(r.errors).toEqual([
      { line: 4, reason: 'field "winner" must be one of A|B|tie, got "C"' },
      { line: 5, reason: 'unknown field(s) "label"' },
    ]);
  });

  it('rejects a wrong category, a non-object meta, an empty id', () => {
    const base = { id: 'x', prompt: 'p', a: 'a', b: 'b', winner: 'A', source: 's' };
    const text = [
      { ...base, id: 'x1', category: 'math' },
      { ...base, id: 'x2', meta: [1] },
      { ...base, id: '' },
      { ...base, id: 'x4', a: 7 },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n');
    const r = importDataset(text, 'bad.jsonl', { onError: 'skip' });
    expect(r.errors.map((e) => e.reason)).toEqual([
      'field "category" must be one of chat|chat-hard|safety|reasoning, got "math"',
      'field "meta" must be an object',
      'field "id" must not be empty',
      'field "a" must be a string, got number',
    ]);
  });
});
