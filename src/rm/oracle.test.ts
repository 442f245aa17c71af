// What must hold for the oracle: on 500 synthetic pairs, in every layout (compact, full, noRubric, quotes),
// its trace parses with no errors to the pair's label under all three verdict rules (parser, RL reward,
// eval), on the pair and on its swap; the rubric tree matches the truth: one weighted item per constraint
// (weights sum to 100), exactly one failing check at (broken item, rejected position), the solution and
// both answers for reasoning. Exact checks.
import { describe, expect, it } from 'vitest';
import { evalVerdict, parseCor, rewardVerdict } from './cor_parser';
import { oracleTrace, rubricWeights, type OracleOptions } from './oracle';
import { swapPair, type Pair } from './pair';
import { generatePairs } from './world';
import { positionOf, truthOf } from './world_truth';

const pairs = generatePairs({ seed: 21, n: 500 });
const LAYOUTS: [string, OracleOptions][] = [
  ['compact', {}],
  ['full', { layout: 'full' }],
  ['noRubric', { noRubric: true }],
  ['full noRubric', { layout: 'full', noRubric: true }],
  ['quotes', { quotes: true }],
];

describe('oracleTrace', () => {
  for (const [name, opts] of LAYOUTS) {
    it(`${name}: parses back to the label, also swapped, under every verdict rule (500 pairs)`, () => {
      for (const p of [...pairs, ...pairs.slice(0, 100).map(swapPair)]) {
        const trace = oracleTrace(p, opts);
        const tree = parseCor(trace);
        expect(tree.errors, `${p.id}: ${trace}`).toEqual([]);
        expect(tree.verdict).toBe(p.winner);
        expect(rewardVerdict(trace)).toBe(p.winner);
        expect(evalVerdict(trace)).toBe(p.winner);
        expect(tree.type).toBe(p.category === 'reasoning' ? 'Reasoning' : 'Chat');
        expect(tree.rubric === undefined && tree.solution === undefined).toBe(opts.noRubric === true);
      }
    });
  }

  it('writes the truth into the rubric tree: items, weights, the one failing check, solution and answers', () => {
    for (const p of pairs) {
      const t = truthOf(p)!,
        tree = parseCor(oracleTrace(p, { quotes: true }));
      const rejAt = positionOf(p, 'rejected');
      const fails = tree.eval!.checks.filter((c) => c.verdict === 'no' || c.verdict === 'wrong');
      expect(fails.length).toBe(1);
      expect(fails[0].response).toBe(rejAt);
      if (t.kind === 'chat') {
        expect(tree.rubric!.items.map((i) => i.text)).toEqual(t.constraints.map((c) => c.rubric));
        expect(tree.rubric!.items.map((i) => i.weight)).toEqual(rubricWeights(t.constraints.length));
        expect(tree.eval!.checks.length).toBe(2 * t.constraints.length);
        expect(fails[0].rubric).toBe(t.broken + 1);
        expect(fails[0].quote).toBe(t.evidence);
      } else if (t.kind === 'reasoning') {
        expect(tree.solution!.text).toBe(t.solution);
        const said = Object.fromEntries(tree.eval!.checks.map((c) => [c.response, c.value]));
        expect(said[rejAt]).toBe(t.rejectedAnswer);
        expect(said[positionOf(p, 'chosen')]).toBe(t.answer);
      } else {
        expect(tree.rubric!.items).toHaveLength(1);
        expect(tree.rubric!.justify!.text).toContain(t.cue);
      }
    }
  });

  it('weights sum to 100 for 1..6 items', () => {
    for (let k = 1; k <= 6; k++) expect(rubricWeights(k).reduce((s, w) => s + w, 0)).toBe(100);
  });

  it('refuses pairs without truth and ties', () => {
    const plain: Pair = { id: 'x:1', prompt: 'q', a: 'a', b: 'b', winner: 'A', source: 'x' };
    expect(() => oracleTrace(plain)).toThrow(/no meta.truth/);
    expect(() => oracleTrace({ ...pairs[0], winner: 'tie' })).toThrow(/tie/);
  });
});
