// What must hold for GRPO's logged numbers (TRL's definitions): reward is the mean over completions,
// reward_std the mean per-completion group σ (batch σ in 'batch' mode), frac_reward_zero_std counts
// completions in all-equal groups, clip ratios are token means over completion tokens only, kl is present
// only when β ≠ 0, completion stats count truncated samples. Hand-computed; tolerance 1e-12 absolute.
import { describe, expect, it } from 'vitest';
import { tokenTerms, type GrpoInputs } from './grpo';
import { completionMetrics, maskedMean, policyMetrics, rewardMetrics } from './grpo_metrics';

describe('GRPO metrics', () => {
  it('rewardMetrics: one all-wrong group of 4 and one 3-of-4 group', () => {
    const m = rewardMetrics([
      [-1, -1, -1, -1],
      [1, 1, 1, -1],
    ]);
    expect(m.reward).toBeCloseTo(-2 / 8, 12);
    expect(m.reward_std).toBeCloseTo((0 * 4 + 1 * 4) / 8, 12); // σ_unbiased of [1,1,1,-1] is exactly 1
    expect(m.frac_reward_zero_std).toBe(0.5);
    expect(m.accuracy).toBe(3 / 8);
    const all = [-1, -1, -1, -1, 1, 1, 1, -1],
      mu = -0.25;
    const sb = Math.sqrt(all.reduce((s, x) => s + (x - mu) ** 2, 0) / 7);
    expect(
      rewardMetrics(
        [
          [-1, -1, -1, -1],
          [1, 1, 1, -1],
        ],
        'batch',
      ).reward_std,
    ).toBeCloseTo(sb, 12);
    expect(
      rewardMetrics(
        [
          [-1, -1, -1, -1],
          [1, 1, 1, -1],
        ],
        'batch',
      ).frac_reward_zero_std,
    ).toBe(0.5);
  });

  it('maskedMean ignores padded positions, even non-finite ones', () => {
    expect(
      maskedMean(
        [
          [1, 2, Infinity],
          [3, NaN, NaN],
        ],
        [
          [1, 1, 0],
          [1, 0, 0],
        ],
      ),
    ).toBeCloseTo(2, 12);
    expect(maskedMean([[5]], [[0]])).toBe(0);
  });

  it('policyMetrics: low/high/region clip fractions over completion tokens; kl only when β ≠ 0', () => {
    const lp = (rhos: number[]) => rhos.map(Math.log);
    const x: GrpoInputs = {
      // seq 0 (A = +1): ρ = 1.5 high-clipped, 0.5 not (A > 0), 1.0 not; seq 1 (A = −1): ρ = 0.5 low-clipped, pad
      per_token_logps: [lp([1.5, 0.5, 1.0]), [...lp([0.5]), Infinity, Infinity]],
      old_per_token_logps: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      ref_per_token_logps: [
        [0, 0, 0],
        [0, 0, 0],
      ],
      completion_mask: [
        [1, 1, 1],
        [1, 0, 0],
      ],
      advantages: [1, -1],
    };
    const terms = tokenTerms(x, { beta: 0.04, epsilonLow: 0.2, epsilonHigh: 0.2 });
    const m = policyMetrics(terms, x.completion_mask, 0.04);
    expect(m['clip_ratio/high_mean']).toBeCloseTo(1 / 4, 12);
    expect(m['clip_ratio/low_mean']).toBeCloseTo(1 / 4, 12);
    expect(m['clip_ratio/region_mean']).toBeCloseTo(2 / 4, 12);
    const k3 = (r: number) => 1 / r - Math.log(1 / r) - 1; // d = ℓp_ref − ℓp = −log ρ
    expect(m.kl).toBeCloseTo((k3(1.5) + k3(0.5) + k3(1) + k3(0.5)) / 4, 12);
    expect('kl' in policyMetrics(terms, x.completion_mask, 0)).toBe(false);
  });

  it('completionMetrics: lengths and the truncated fraction', () => {
    expect(completionMetrics([3, 8, 5, 8], [false, true, false, true])).toEqual({
      'completions/mean_length': 6,
      'completions/min_length': 3,
      'completions/max_length': 8,
      'completions/clipped_ratio': 0.5,
    });
  });
});
