import { describe, expect, it } from 'vitest';
import { majority, rewardBenchSections } from './evaluate';

describe('evaluation scoring', () => {
  it('majority vote: ties and no verdicts give none; the share is of all samples', () => {
    expect(majority(['A', 'A', 'B'])).toEqual({ verdict: 'A', share: 2 / 3 });
    expect(majority(['A', 'B', null, null]).verdict).toBeNull();
    expect(majority([null, 'B', null])).toEqual({ verdict: 'B', share: 1 / 3 });
  });
  it('RewardBench sections weight subsets by their example counts', () => {
    const acc = (a: number) => ({ correct: 0, total: 1, accuracy: a });
    const s = rewardBenchSections({ 'alpacaeval-easy': acc(1), 'mt-bench-med': acc(0), 'math-prm': acc(0.5), 'hep-python': acc(1) })!;
    expect(s.chat).toBeCloseTo(100 / 140, 10); // weights 100 and 40
    expect(s.reasoning).toBeCloseTo((0.5 * 984 + 164) / (984 + 164), 10);
    expect(rewardBenchSections({ mine: acc(1) })).toBeUndefined();
  });
});
