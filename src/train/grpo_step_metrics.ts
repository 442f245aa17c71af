// What a GRPO step logs, assembled from its stages under TRL's names (defined in metrics.ts): the loss's
// token terms, the rewards and completions (rm/grpo_metrics.ts computes those), accuracy per category,
// and what only the step knows (learning rate, throughput). Pure functions of plain data.
import type { ScaleRewards, TokenTerm } from '../rm/grpo';
import { completionMetrics, maskedMean, policyMetrics, rewardMetrics } from '../rm/grpo_metrics';
import { groupedRewards, type LossStage, type SampleStage, type ScoreStage } from './grpo_types';

/** One iteration's metrics: KL (when β ≠ 0), clip ratios (clip_ratio is the region mean) and entropy. */
export function lossMetrics(
  terms: readonly (readonly TokenTerm[])[],
  mask: number[][],
  entropy: number[][],
  beta: number,
): Record<string, number> {
  const policy = policyMetrics(terms, mask, beta);
  return { ...policy, clip_ratio: policy['clip_ratio/region_mean'], entropy: maskedMean(entropy, mask) };
}

/** Per-category share of correct judgements in this step's rollouts: `accuracy/<category>`. */
function categoryAccuracy(s: SampleStage, sc: ScoreStage): Record<string, number> {
  const tally: Record<string, { right: number; n: number }> = {};
  s.completions.forEach((c, i) => {
    const cat = s.pairs[c.group].category;
    if (!cat) return;
    tally[cat] ??= { right: 0, n: 0 };
    tally[cat].n++;
    if (sc.rewards[i] > 0) tally[cat].right++;
  });
  return Object.fromEntries(Object.entries(tally).map(([c, t]) => [`accuracy/${c}`, t.right / t.n]));
}

export interface StepMetricsInput {
  sample: SampleStage;
  score: ScoreStage;
  losses: LossStage[]; // the first iteration's are logged, as TRL does
  scaleRewards: ScaleRewards;
  lr: number;
  seconds: number; // the whole step
}

/** The metrics row of a whole step. */
export function stepMetrics(x: StepMetricsInput): Record<string, number> {
  const { sample: s, score: sc, losses } = x;
  return {
    ...losses[0].metrics,
    ...rewardMetrics(groupedRewards(s, sc), x.scaleRewards),
    ...categoryAccuracy(s, sc),
    ...completionMetrics(
      s.completions.map((c) => c.tokens.length),
      s.completions.map((c) => c.stopReason === 'length'),
    ),
    loss: losses[0].loss,
    grad_norm: losses[0].gradNorm,
    learning_rate: x.lr,
    tokens_per_second: s.completions.reduce((n, c) => n + c.tokens.length, 0) / x.seconds,
  };
}
