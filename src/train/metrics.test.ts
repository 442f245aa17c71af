// What must hold for the metrics table: keys are unique, every row has a one-line description and a valid
// `when`, and every key the pure GRPO metric functions (rm/grpo_metrics.ts) emit has a row.
import { describe, expect, it } from 'vitest';
import { tokenTerms } from '../rm/grpo';
import { completionMetrics, policyMetrics, rewardMetrics } from '../rm/grpo_metrics';
import { METRICS, metricDef } from './metrics';

describe('METRICS', () => {
  const keys = METRICS.map((m) => m.key as string);

  it('has unique keys, each with a one-line description and a stage', () => {
    expect(new Set(keys).size).toBe(keys.length);
    for (const m of METRICS) {
      expect(m.description.trim().length, m.key).toBeGreaterThan(10);
      expect(m.description, m.key).not.toContain('\n');
      expect(['sft', 'grpo', 'both', 'eval'], m.key).toContain(m.when);
    }
    expect(metricDef('kl')).toMatchObject({ when: 'grpo', note: 'only if beta > 0' });
  });

  it('covers the run record keys of DESIGN.md and SFT’s', () => {
    const design = [
      'loss',
      'reward',
      'reward_std',
      'frac_reward_zero_std',
      'kl',
      'clip_ratio',
      'completions/mean_length',
      'completions/clipped_ratio',
      'entropy',
      'grad_norm',
      'learning_rate',
      'accuracy',
      'tokens_per_second',
      'eval_loss',
    ];
    for (const k of design) expect(keys, k).toContain(k);
  });

  it('has a row for every key rm/grpo_metrics.ts emits', () => {
    const terms = tokenTerms(
      {
        per_token_logps: [[0]],
        old_per_token_logps: [[0]],
        ref_per_token_logps: [[0]],
        completion_mask: [[1]],
        advantages: [0],
      },
      { beta: 0.04, epsilonLow: 0.2, epsilonHigh: 0.2 },
    );
    const emitted = [
      ...Object.keys(rewardMetrics([[1, -1]])),
      ...Object.keys(policyMetrics(terms, [[1]], 0.04)),
      ...Object.keys(completionMetrics([1], [false])),
    ];
    for (const k of emitted) expect(keys, k).toContain(k);
  });
});
