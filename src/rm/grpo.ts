// GRPO's pure math on plain [B][T] arrays (B completions, T padded tokens): the verdict reward, group
// advantages, per-token ratio / clip / k3 KL, the aggregated loss and its analytic gradient wrt
// per_token_logps. Formulas and worked numbers: spec/grpo.md; every case of spec/grpo_vectors.json is a test.
// Leaves out tensors (the tfjs loss in train/ mirrors these formulas), sampling, parsing, and the logged
// metrics (grpo_metrics.ts).
//
//   loss = Σ_{i,t} w_{i,t} · m_{i,t} · ℓ_{i,t}                       (m = completion_mask)
//   ℓ_{i,t} = −min(ρ·A_i, clip(ρ, 1−ε_low, 1+ε_high)·A_i) + β·k3       ρ = coef_1 = exp(ℓp − ℓp_old)
//   k3 = exp(d) − d − 1,  d = ℓp_ref − ℓp                              (≥ 0; KL(π_θ‖π_ref) estimator)
//   w_{i,t} by loss_type: token_mean 1/Σ|o|, seq_mean_token_mean 1/(B·|o_i|), dr_grpo 1/(B·L_max), …
//   ∂ℓ/∂ℓp = −ρ·A·1[unclipped branch active] + β·(1 − exp(ℓp_ref − ℓp))
// Clamps as in verl (RM-R1's trainer): ℓp − ℓp_old and d to ±20, k3 ≤ 10. A tensor version clamps before
// exp and multiplies by the mask after, so junk at pads never becomes Infinity·0 = NaN.
import type { Verdict } from './cor_parser';

/** [B][T] rows; pads hold junk that must never be read (spec/grpo.md §4.5). */
export type Rows = readonly (readonly number[])[];
export type ScaleRewards = 'group' | 'batch' | 'none';
/** The first three are the ones to offer; the rest exist so every aggregation in the vectors is checked. */
export type LossType =
  | 'token_mean'
  | 'seq_mean_token_mean'
  | 'dr_grpo'
  | 'group_mean_seq_mean'
  | 'seq_mean_token_sum'
  | 'verl_seq_mean_token_sum_norm';

export const STD_EPS = 1e-4; // TRL's eps in A = (r − μ)/(σ + eps)
export const LOG_RATIO_CLAMP = 20; // verl clamps ℓp − ℓp_old and d to ±20 before exp: finite in float32
export const KL_CLAMP = 10; // verl low_var_kl (RM-R1's KL) clamps k3 to [−10, 10]

/** RM-R1's reward: +1 iff the one extracted verdict equals the label; no verdict (none, both, cut off): −1. */
export function verdictReward(verdict: Verdict | null, label: Verdict): 1 | -1 {
  return verdict !== null && verdict === label ? 1 : -1;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** σ with Bessel's correction (÷(n−1), torch.std) or population (÷n, tf.moments); 0 for n < 2. */
export function std(xs: readonly number[], unbiased = true): number {
  const n = xs.length,
    m = mean(xs);
  if (n < (unbiased ? 2 : 1)) return 0; // TRL: NaN → advantage 0; 0 here gives A = 0 the same way
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (unbiased ? n - 1 : n));
}

export interface AdvantageOptions {
  scaleRewards?: ScaleRewards; // 'group' (default): σ of the group; 'batch': σ of all rewards; 'none': Dr. GRPO
  unbiased?: boolean; // true (default, torch.std); false = tf.moments' population σ, a pitfall kept testable
  eps?: number; // STD_EPS
}

/** One group's statistics: `std` is its own σ (0 zeroes its advantages in every mode); `scaledBy` is the σ
 *  its advantages are divided by: the group's ('group'), the whole batch's ('batch'), none ('none': null). */
export interface GroupStats {
  mean: number;
  std: number;
  scaledBy: number | null;
}

/** rewards: [groups][G_g]. The σ convention follows `unbiased`, as in `groupAdvantages`. */
export function groupStats(rewards: Rows, opts: AdvantageOptions = {}): GroupStats[] {
  const { scaleRewards = 'group', unbiased = true } = opts;
  const batchStd = std(rewards.flat(), unbiased);
  return rewards.map((r) => {
    const sigma = std(r, unbiased);
    const scaledBy = scaleRewards === 'none' ? null : scaleRewards === 'batch' ? batchStd : sigma;
    return { mean: mean(r), std: sigma, scaledBy };
  });
}

/**
 * A_i = (r_i − μ_g) / (σ + eps), one scalar per completion, broadcast over its tokens later; σ as
 * `groupStats` picks it. rewards: [groups][G_g]. An all-equal group gives exactly 0 (no policy gradient).
 */
export function groupAdvantages(rewards: Rows, opts: AdvantageOptions = {}): number[][] {
  const eps = opts.eps ?? STD_EPS;
  return groupStats(rewards, opts).map(({ mean: mu, scaledBy }, k) =>
    rewards[k].map((x) => (scaledBy === null ? x - mu : (x - mu) / (scaledBy + eps))),
  );
}

/** k3 = exp(d) − d − 1 with d = ℓp_ref − ℓp, d clamped to ±20 and k3 to ≤ 10 (verl low_var_kl). */
export function k3(logp: number, ref_logp: number): number {
  const d = Math.min(Math.max(ref_logp - logp, -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP);
  return Math.min(Math.exp(d) - d - 1, KL_CLAMP);
}

/** ∂k3/∂ℓp = 1 − exp(ℓp_ref − ℓp) = 1 − π_ref/π_θ; 0 where a clamp holds the value constant. */
export function k3Grad(logp: number, ref_logp: number): number {
  const d = ref_logp - logp;
  if (Math.abs(d) > LOG_RATIO_CLAMP || k3(logp, ref_logp) >= KL_CLAMP) return 0;
  return 1 - Math.exp(d);
}

export interface ClipConfig {
  beta: number; // β: KL coefficient (paper 0.04, RM-R1 0.001, TRL 0)
  epsilonLow: number; // ε_low: ρ < 1 − ε_low with A < 0 is clipped
  epsilonHigh: number; // ε_high: ρ > 1 + ε_high with A > 0 is clipped (DAPO clip-higher 0.28)
}

/** One token's terms; `dloss` = ∂ℓ/∂ℓp before the aggregation weight. */
export interface TokenTerm {
  coef_1: number; // ρ
  coef_2: number; // clip(ρ, 1 − ε_low, 1 + ε_high)
  clipped_objective: number; // s = min(ρA, coef_2·A), the surrogate being maximised
  per_token_kl: number; // k3
  per_token_loss: number; // −s + β·k3
  is_low_clipped: boolean; // ρ < 1 − ε_low and A < 0: the min picks the constant, zero policy gradient
  is_high_clipped: boolean; // ρ > 1 + ε_high and A > 0: same on the upper side
  dloss: number;
}

export function tokenTerm(logp: number, old_logp: number, ref_logp: number, A: number, cfg: ClipConfig): TokenTerm {
  const lr = logp - old_logp;
  const coef_1 = Math.exp(Math.min(Math.max(lr, -LOG_RATIO_CLAMP), LOG_RATIO_CLAMP));
  const coef_2 = Math.min(Math.max(coef_1, 1 - cfg.epsilonLow), 1 + cfg.epsilonHigh);
  const per_token_kl = k3(logp, ref_logp);
  const is_low_clipped = coef_1 < 1 - cfg.epsilonLow && A < 0;
  const is_high_clipped = coef_1 > 1 + cfg.epsilonHigh && A > 0;
  const clipped_objective = Math.min(coef_1 * A, coef_2 * A);
  const per_token_loss = -clipped_objective + cfg.beta * per_token_kl;
  // Inside the band (edges included, like torch.clamp / tf.clipByValue) both branches have slope ρA.
  const dcoef = Math.abs(lr) <= LOG_RATIO_CLAMP ? coef_1 : 0;
  const dsurr = is_low_clipped || is_high_clipped ? 0 : dcoef * A;
  const dloss = -dsurr + cfg.beta * k3Grad(logp, ref_logp);
  return { coef_1, coef_2, clipped_objective, per_token_kl, per_token_loss, is_low_clipped, is_high_clipped, dloss };
}

/** Everything the loss needs, [B][T] except advantages [B]. μ = 1: old_per_token_logps holds the same
 *  numbers as per_token_logps (a detached copy), so ρ = 1; μ > 1: the stored sampling-time log-probs. */
export interface GrpoInputs {
  per_token_logps: Rows; // ℓp: current policy, the variable
  old_per_token_logps: Rows; // ℓp_old: sampling policy, constant
  ref_per_token_logps: Rows; // ℓp_ref: frozen stage-1 checkpoint, constant
  completion_mask: Rows; // m ∈ {0, 1}
  advantages: readonly number[]; // A_i
}

/** Per-token terms over the batch; padded positions get an all-zero term and are never evaluated. */
export function tokenTerms(x: GrpoInputs, cfg: ClipConfig): TokenTerm[][] {
  const zero: TokenTerm = {
    coef_1: 0,
    coef_2: 0,
    clipped_objective: 0,
    per_token_kl: 0,
    per_token_loss: 0,
    is_low_clipped: false,
    is_high_clipped: false,
    dloss: 0,
  };
  const { per_token_logps: lp, old_per_token_logps: old, ref_per_token_logps: ref, advantages: A } = x;
  return x.completion_mask.map((row, i) =>
    row.map((m, t) => (m ? tokenTerm(lp[i][t], old[i][t], ref[i][t], A[i], cfg) : zero)),
  );
}

export interface AggregateConfig {
  lossType: LossType;
  maxCompletionLength: number; // L_max for dr_grpo (the configured cap, not the padded width)
  groupSizes?: readonly number[]; // G_g of consecutive groups; only group_mean_seq_mean reads it
}

/** w_i: the weight of each valid token of completion i (constant along the row). |o_i| is clamped ≥ 1. */
export function tokenWeights(completion_mask: Rows, cfg: AggregateConfig): number[] {
  const B = completion_mask.length;
  const counts = completion_mask.map((r) => r.reduce((s, m) => s + m, 0));
  const lens = counts.map((n) => Math.max(n, 1));
  const tokens = counts.reduce((s, n) => s + n, 0); // Σ|o| over the batch
  const total = Math.max(tokens, 1);
  const L = cfg.maxCompletionLength;
  switch (cfg.lossType) {
    case 'token_mean':
      return lens.map(() => 1 / total);
    case 'seq_mean_token_mean':
      return lens.map((n) => 1 / (B * n));
    case 'dr_grpo':
      return lens.map(() => 1 / (B * L));
    case 'seq_mean_token_sum':
      return lens.map(() => 1 / B);
    case 'verl_seq_mean_token_sum_norm':
      return lens.map(() => 1 / L);
    case 'group_mean_seq_mean': {
      const sizes = cfg.groupSizes ?? [B];
      const G = sizes.flatMap((g) => Array<number>(g).fill(g)); // G_g of each completion
      if (G.length !== B) throw new Error(`groupSizes sum to ${G.length}, batch has ${B}`);
      return lens.map((n, i) => 1 / (sizes.length * G[i] * n));
    }
  }
}

/** Σ_{i,t} w_i · m_{i,t} · v_{i,t}. */
export function aggregate(values: Rows, completion_mask: Rows, weights: readonly number[]): number {
  let s = 0;
  completion_mask.forEach((row, i) =>
    row.forEach((m, t) => {
      if (m) s += weights[i] * values[i][t];
    }),
  );
  return s;
}

export interface GrpoLoss {
  loss: number; // policy_loss + β·kl_loss
  policy_loss: number; // aggregated −min(ρA, clip(ρ)A)
  kl_loss: number; // aggregated k3, same weights (TRL/verl add β·k3 before aggregating)
  terms: TokenTerm[][];
  grad: number[][]; // ∂loss/∂per_token_logps, 0 at pads
}

export function grpoLoss(x: GrpoInputs, cfg: ClipConfig & AggregateConfig): GrpoLoss {
  const terms = tokenTerms(x, cfg);
  const w = tokenWeights(x.completion_mask, cfg);
  const over = (f: (t: TokenTerm) => number) => {
    const values = terms.map((row) => row.map(f));
    return aggregate(values, x.completion_mask, w);
  };
  const policy_loss = over((t) => -t.clipped_objective);
  const kl_loss = over((t) => t.per_token_kl);
  const grad = terms.map((row, i) => row.map((t, j) => (x.completion_mask[i][j] ? w[i] * t.dloss : 0)));
  return { loss: policy_loss + cfg.beta * kl_loss, policy_loss, kl_loss, terms, grad };
}
