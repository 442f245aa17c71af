// What must hold for RewardBench import: every valid record becomes one pair whose winner side holds the
// `chosen` text; A/B placement is balanced (|#A − #B| ≤ 1) and fixed by the seed; the category follows the
// subset→section table, whose weights sum to RewardBench's section totals (358/456/740/1968). Exact checks.
import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures_node';
import { importDataset } from './index';
import { REWARDBENCH_SECTIONS, rewardBenchSection, rewardBenchWeight } from './rewardbench_sections';

const chosenOf = (p: { a: string; b: string; winner: string }) => (p.winner === 'A' ? p.a : p.b);

describe('RewardBench importer', () => {
  const text = readFixture('rewardbench.jsonl');
  const raw = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

  it('imports the fixture: 6 records, 5 pairs, the record without "rejected" reported at line 3', () => {
    const r = importDataset(text, 'rewardbench.jsonl', { onError: 'skip' });
    expect(r.format).toBe('rewardbench');
    expect(r.total).toBe(6);
    expect(r.pairs.map((p) => p.id)).toEqual(['101', '102', '104', '105', '106'].map((i) => `rewardbench:${i}`));
    expect(r.errors).toEqual([{ line: 3, reason: 'missing field "rejected"' }]);
  });

  it('puts the chosen text on the winner side and the rejected on the other, balanced', () => {
    const { pairs } = importDataset(text, 'rewardbench.jsonl', { onError: 'skip' });
    for (const p of pairs) {
      const src = raw.find((x) => `rewardbench:${x.id}` === p.id);
      expect(chosenOf(p)).toBe(src.chosen);
      expect(p.winner === 'A' ? p.b : p.a).toBe(src.rejected);
      expect(p.meta).toEqual({ chosen_model: src.chosen_model, rejected_model: src.rejected_model });
    }
    const nA = pairs.filter((p) => p.winner === 'A').length;
    expect([2, 3]).toContain(nA);
  });

  it('tags categories from the section table; subsets outside it get none', () => {
    const { pairs } = importDataset(text, 'rewardbench.jsonl', { onError: 'skip' });
    expect(pairs.map((p) => [p.subset, p.category])).toEqual([
      ['alpacaeval-easy', 'chat'],
      ['llmbar-adver-neighbor', 'chat-hard'],
      ['xstest-should-refuse', 'safety'],
      ['math-prm', 'reasoning'],
      ['anthropic_helpful', undefined],
    ]);
  });

  it('balances 41 records to 20/21 and reproduces the placement from the seed', () => {
    const rows = Array.from({ length: 41 }, (_, i) =>
      JSON.stringify({ prompt: `p${i}`, chosen: `c${i}`, rejected: `r${i}`, subset: 'hep-go', id: i }),
    ).join('\n');
    const w = (seed: number) =>
      importDataset(rows, 'rb.jsonl', { seed })
        .pairs.map((p) => p.winner)
        .join('');
    const nA = [...w(0)].filter((c) => c === 'A').length;
    expect([20, 21]).toContain(nA);
    expect(w(7)).toBe(w(7));
    expect(w(7)).not.toBe(w(8));
  });
});

describe('RewardBench section table', () => {
  it('has the section totals and subset counts RewardBench weights by', () => {
    const totals = REWARDBENCH_SECTIONS.map((t) => [
      t.section,
      Object.keys(t.weights).length,
      Object.values(t.weights).reduce((s, w) => s + w, 0),
    ]);
    expect(totals).toEqual([
      ['chat', 5, 358],
      ['chat-hard', 6, 456],
      ['safety', 5, 740],
      ['reasoning', 7, 1968],
    ]);
    expect(rewardBenchWeight('math-prm')).toBe(984);
    expect(rewardBenchSection('llmbar-adver-GPTOut')).toBe('chat-hard');
    expect(rewardBenchSection('shp')).toBeUndefined();
  });
});
