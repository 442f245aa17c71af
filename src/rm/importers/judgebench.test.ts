// What must hold for JudgeBench import: A and B stay where the file puts them, "A>B" → A, "B>A" → B,
// "A=B" → tie, other labels and broken lines are errors at their physical line (blank lines counted).
// On the real file: 270 pairs whose A/B split equals the labels counted straight from the raw lines.
import { describe, expect, it } from 'vitest';
import { readFixture, readSharedData } from './fixtures_node';
import { importDataset } from './index';
import { judgeBenchWinner } from './judgebench';

describe('JudgeBench importer', () => {
  it('imports 3 of 5 records and reports the bad label and the broken line by line number', () => {
    const r = importDataset(readFixture('judgebench.jsonl'), 'judgebench.jsonl', { onError: 'skip' });
    expect(r.format).toBe('judgebench');
    expect(r.container).toBe('jsonl');
    expect(r.total).toBe(5);
    expect(r.pairs.map((p) => [p.id, p.winner, p.subset, p.category])).toEqual([
      ['judgebench:jb-1', 'A', 'livebench-math', 'reasoning'],
      ['judgebench:jb-2', 'B', 'mmlu-pro-physics', 'reasoning'],
      ['judgebench:jb-3', 'tie', 'livebench-reasoning', 'reasoning'],
    ]);
    expect(r.pairs[0]).toMatchObject({ a: '42', b: '48', prompt: 'What is 6 * 7? Answer with a number.' });
    expect(r.errors.map((e) => e.line)).toEqual([5, 6]);
    expect(r.errors[0].reason).toBe('unknown label "A>C" (expected "A>B" or "B>A")');
    expect(r.errors[1].reason).toMatch(/^invalid JSON/);
  });

  it('maps the verdict scale', () => {
    expect(['A>B', 'A>>B', 'B>A', 'B>>A', 'A=B'].map(judgeBenchWinner)).toEqual(['A', 'A', 'B', 'B', 'tie']);
    expect(() => judgeBenchWinner('B<A')).toThrow(/unknown label/);
  });
});

describe('JudgeBench real file (shared data: judgebench)', () => {
  const text = readSharedData('judgebench/judgebench_claude-3-5-sonnet-20240620.jsonl');

  it.skipIf(text === undefined)('imports 270 pairs with the A>B/B>A split of the raw labels', () => {
    const labels = text!
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { label: string }).label);
    const rawA = labels.filter((l) => l === 'A>B').length;
    const rawB = labels.filter((l) => l === 'B>A').length;
    expect(rawA + rawB).toBe(labels.length);

    const r = importDataset(text!, 'judgebench.jsonl');
    expect(r.errors).toEqual([]);
    expect(r.pairs).toHaveLength(270);
    expect(labels).toHaveLength(270);
    expect(r.pairs.filter((p) => p.winner === 'A').length).toBe(rawA);
    expect(r.pairs.filter((p) => p.winner === 'B').length).toBe(rawB);
    expect([rawA, rawB]).toEqual([143, 127]);
  });
});
