// The numbers GRPO logs per step, as pure functions of the step's rewards, token terms and lengths, under
// TRL's metric names (defined once in train/metrics.ts). Leaves out what needs logits or the clock
// (entropy's per-token values, grad_norm, learning_rate, tokens_per_second): train/ measures those and can
// average entropy with `maskedMean`.
import { std, type Rows, type ScaleRewards, type TokenTerm } from './grpo';

/** Σ m·v / max(Σ m, 1): TRL's masked batch mean over completion tokens (kl, entropy, clip ratios). */
export function maskedMean(values: Rows, completion_mask: Rows): number {
  let s = 0,
    n = 0;
  completion_mask.forEach((row, i) =>
    row.forEach((m, t) => {
      if (m) {
        s += values[i][t];
        n += 1;
      }
    }),
  );
  return s / Math.max(n, 1);
}

export interface RewardMetrics {
  reward: number;
  reward_std: number;
  frac_reward_zero_std: number;
  accuracy: number;
}

/**
 * rewards: [groups][G_g]. reward = mean over completions. reward_std (TRL): per-completion mean of its
 * group's unbiased σ for 'group'/'none', the batch σ for 'batch'. frac_reward_zero_std: fraction of
 * completions whose group has σ ≈ 0 (zero advantage, no policy gradient). Unlike TRL's 'batch' mode, this
 * always tests the group σ, because that is what zeroes the advantage. accuracy: fraction with reward > 0.
 */
export function rewardMetrics(rewards: Rows, scaleRewards: ScaleRewards = 'group'): RewardMetrics {
  const all = rewards.flat();
  const n = Math.max(all.length, 1);
  const groupStd = rewards.flatMap((r) => Array<number>(r.length).fill(std(r)));
  const zero = groupStd.filter((s) => Math.abs(s) <= 1e-8).length; // torch.isclose(σ, 0)
  return {
    reward: all.reduce((s, x) => s + x, 0) / n,
    reward_std: scaleRewards === 'batch' ? std(all) : groupStd.reduce((s, x) => s + x, 0) / n,
    frac_reward_zero_std: zero / n,
    accuracy: all.filter((x) => x > 0).length / n,
  };
}

export interface PolicyMetrics {
  kl?: number; // present only when β ≠ 0, as in TRL
  'clip_ratio/low_mean': number;
  'clip_ratio/high_mean': number;
  'clip_ratio/region_mean': number;
}

/** Token means over completion tokens of k3 and of the three clip indicators (TRL `_compute_loss`). */
export function policyMetrics(
  terms: readonly (readonly TokenTerm[])[],
  completion_mask: Rows,
  beta: number,
): PolicyMetrics {
  const of = (f: (t: TokenTerm) => number) =>
    maskedMean(
      terms.map((row) => row.map(f)),
      completion_mask,
    );
  const out: PolicyMetrics = {
    'clip_ratio/low_mean': of((t) => +t.is_low_clipped),
    'clip_ratio/high_mean': of((t) => +t.is_high_clipped),
    'clip_ratio/region_mean': of((t) => +(t.is_low_clipped || t.is_high_clipped)),
  };
  if (beta !== 0) out.kl = of((t) => t.per_token_kl);
  return out;
}

export interface CompletionMetrics {
  'completions/mean_length': number;
  'completions/min_length': number;
  'completions/max_length': number;
  'completions/clipped_ratio': number;
}

/** Lengths in tokens; truncated[i] is true when completion i hit max_completion_length without EOS. */
export function completionMetrics(lengths: readonly number[], truncated: readonly boolean[]): CompletionMetrics {
  const n = Math.max(lengths.length, 1);
  return {
    'completions/mean_length': lengths.reduce((s, x) => s + x, 0) / n,
    'completions/min_length': lengths.length ? Math.min(...lengths) : 0,
    'completions/max_length': lengths.length ? Math.max(...lengths) : 0,
    'completions/clipped_ratio': truncated.filter(Boolean).length / n,
  };
}
