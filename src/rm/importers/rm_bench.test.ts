// What must hold for RM-Bench import: each record gives 9 pairs, chosen style i against rejected style j,
// tagged hard for i < j, normal for i = j, easy for i > j (RM-Bench's matrix); the winner side holds
// chosen[i]; each of the 9 cells is balanced across records. On the real chat file: 129 prompts → 1161
// pairs, 387 per tag, all chat. Exact checks.
import { describe, expect, it } from 'vitest';
import type { Pair } from '../pair';
import { readFixture, readSharedData } from './fixtures_node';
import { importDataset } from './index';
import { rmBenchDifficulty } from './rm_bench';

const chosenOf = (p: Pair) => (p.winner === 'A' ? p.a : p.b);
const rejectedOf = (p: Pair) => (p.winner === 'A' ? p.b : p.a);

interface RawItem {
  id: number;
  chosen: string[];
  rejected: string[];
}

/** Checks every pair against the raw item it came from; returns the per-tag counts. */
function checkAgainstRaw(pairs: Pair[], raw: RawItem[]): Record<string, number> {
  const tags: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^rm-bench:(\d+):c(\d)r(\d)$/.exec(p.id);
    expect(m).not.toBeNull();
    const [id, i, j] = [Number(m![1]), Number(m![2]), Number(m![3])];
    const item = raw.find((x) => x.id === id)!;
    expect(chosenOf(p)).toBe(item.chosen[i]);
    expect(rejectedOf(p)).toBe(item.rejected[j]);
    expect(p.difficulty).toBe(i < j ? 'hard' : i === j ? 'normal' : 'easy');
    tags[p.difficulty!] = (tags[p.difficulty!] ?? 0) + 1;
  }
  return tags;
}

describe('RM-Bench importer', () => {
  const text = readFixture('rm_bench.json');
  const raw = JSON.parse(text) as RawItem[];

  it('defines the matrix: upper triangle hard, diagonal normal, lower easy', () => {
    const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rmBenchDifficulty(i, j)));
    expect(m).toEqual([
      ['normal', 'hard', 'hard'],
      ['easy', 'normal', 'hard'],
      ['easy', 'easy', 'normal'],
    ]);
  });

  it('expands 2 valid records to 18 pairs and reports the 2-variant record at index 3', () => {
    const r = importDataset(text, 'rm_bench.json', { onError: 'skip' });
    expect(r.format).toBe('rm-bench');
    expect(r.total).toBe(3);
    expect(r.pairs).toHaveLength(18);
    expect(r.errors).toEqual([{ line: 3, reason: 'field "chosen" must hold 3 items, got 2' }]);
    expect(checkAgainstRaw(r.pairs, raw)).toEqual({ easy: 6, normal: 6, hard: 6 });
  });

  it('takes the domain from the record, else from the file name, and keeps styles and the planted error', () => {
    const r = importDataset(text, 'rm_bench.json', { onError: 'skip' });
    const p0 = r.pairs.find((p) => p.id === 'rm-bench:7:c0r2')!;
    expect(p0.category).toBeUndefined();
    expect(p0.meta).toMatchObject({ chosenStyle: 'concise', rejectedStyle: 'detailed-markdown', error_key: 'cherry' });
    const p1 = r.pairs.find((p) => p.id === 'rm-bench:9:c1r1')!;
    expect([p1.category, p1.subset, p1.meta?.domain]).toEqual(['safety', 'xstest-should-refuse', 'safety-refuse']);
    const named = importDataset(text, 'data/chat_filtered.json', { onError: 'skip' });
    expect(named.pairs.find((p) => p.id === 'rm-bench:7:c0r0')!.category).toBe('chat');
  });
});

describe('RM-Bench real file (shared data: rm-bench/chat_filtered.json)', () => {
  const text = readSharedData('rm-bench/chat_filtered.json');

  it.skipIf(text === undefined)('gives 9 pairs per prompt, a third per tag, balanced in every cell', () => {
    const raw = JSON.parse(text!) as RawItem[];
    const n = raw.length;
    expect(n).toBe(129);
    const r = importDataset(text!, 'chat_filtered.json');
    expect(r.errors).toEqual([]);
    expect(r.total).toBe(n);
    expect(r.pairs).toHaveLength(9 * n);
    expect(checkAgainstRaw(r.pairs, raw)).toEqual({ easy: 3 * n, normal: 3 * n, hard: 3 * n });
    expect(new Set(r.pairs.map((p) => p.category))).toEqual(new Set(['chat']));
    for (const cell of ['c0r0', 'c0r1', 'c0r2', 'c1r0', 'c1r1', 'c1r2', 'c2r0', 'c2r1', 'c2r2']) {
      const nA = r.pairs.filter((p) => p.id.endsWith(cell) && p.winner === 'A').length;
      expect([64, 65]).toContain(nA);
    }
  });
});
