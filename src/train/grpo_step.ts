// One GRPO step as explicit stages — sample → score → advantages → loss and backward → update — each a
// function returning plain data, so the UI can show and step through them and a test can check each.
// RM-R1's recipe: G judgements per prompt at temperature τ, reward +1/−1 on the verdict (truncated or
// malformed → −1), group-normalised advantages, clipped surrogate + β·k3 to the frozen reference.
// Per update: one readback (loss, grad norm and the per-token log-probs, from which the CPU computes
// ratios, clipping and KL with the pure rm/grpo.ts).
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import { generate, leftPad } from '../engine/generate';
import { tokenLogProbs, type ModelParams } from '../engine/model';
import { clipByGlobalNorm, type AdamW } from '../engine/optimizer';
import { stepSeed } from '../engine/sampling';
import type { Tokenizer } from '../engine/tokenizer';
import { judgePrompt } from '../rm/cor_prompt';
import { rewardVerdict, type Verdict } from '../rm/cor_parser';
import { groupAdvantages, tokenTerms, tokenWeights, verdictReward, type LossType, type ScaleRewards } from '../rm/grpo';
import { completionMetrics, policyMetrics, rewardMetrics } from '../rm/grpo_metrics';
import type { Pair } from '../rm/pair';
import { grpoLossTensor } from './grpo_loss';

export interface GrpoConfig {
  numGenerations: number; // G judgements per prompt (RM-R1: 7)
  promptsPerStep: number; // pairs per step
  temperature: number; // τ for sampling and for the log-probs (RM-R1: 1.0)
  topP: number; // nucleus; 1 = off (RM-R1)
  maxCompletionLength: number; // tokens per judgement; longer is truncated and scores −1
  beta: number; // β, k3 KL to the reference (RM-R1: 0.001)
  epsilon: number; // ε_low of the clip
  epsilonHigh: number; // ε_high (= ε for symmetric; DAPO's clip-higher 0.28)
  numIterations: number; // μ updates per batch of samples, with the sampling-time log-probs as ℓp_old
  scaleRewards: ScaleRewards; // 'group' (GRPO), 'batch', 'none' (Dr. GRPO)
  lossType: LossType; // 'token_mean' (default), 'seq_mean_token_mean', 'dr_grpo'
  maxGradNorm: number; // global clip
  lengthBucket: number; // pad completion lengths to a multiple: fewer shapes, flat buffer pools
}

export interface GrpoModels {
  cfg: LlamaConfig;
  tok: Tokenizer;
  policy: ModelParams; // π_θ, trained
  reference: ModelParams; // π_ref, frozen stage-1 checkpoint
  optimizer: AdamW;
}

/** Stage 1 output: G judgements for each prompt. */
export interface SampleStage {
  pairs: Pair[];
  promptIds: number[][]; // per prompt (with <bos>)
  completions: { group: number; tokens: number[]; logps: number[]; text: string; stopReason: 'eos' | 'length' }[];
}

/** Stage 2 output: each judgement's parsed verdict and reward. */
export interface ScoreStage { verdicts: (Verdict | null)[]; rewards: number[]; labels: Verdict[] }

/** Stage 3 output: per group mean, std, advantages; zero-variance groups teach nothing. */
export interface AdvantageStage { groups: { mean: number; std: number; advantages: number[]; zeroStd: boolean }[]; advantages: number[] }

/** Stage 4–5 output: the update(s) and what they did. */
export interface UpdateStage {
  iterations: { loss: number; gradNorm: number }[];
  lr: number;
  per_token_logps: number[][]; // ℓp at the first iteration (before any update of this step)
  ref_per_token_logps: number[][];
  ratio: number[][]; // ρ per token at the first iteration
  kl: number[][]; // k3 per token
  clipped: boolean[][];
  metrics: Record<string, number>;
  logpAfter?: number[]; // Σ_t ℓp per judgement after the update (when asked)
}

export interface GrpoStepReport { step: number; sample: SampleStage; score: ScoreStage; advantages: AdvantageStage; update: UpdateStage; seconds: number }

/** Sample G judgements per prompt with the KV-cache sampler. */
export async function sampleStage(m: GrpoModels, g: GrpoConfig, pairs: Pair[], seed: number): Promise<SampleStage> {
  const promptIds = pairs.map((p) => m.tok.encode(judgePrompt(p).text, { bos: true }).ids);
  const rows = promptIds.flatMap((ids) => Array.from({ length: g.numGenerations }, () => ids));
  const out = await generate(m.policy, m.cfg, rows, {
    maxNewTokens: g.maxCompletionLength, temperature: g.temperature, topP: g.topP, seed, eosId: m.tok.eosId, padId: m.tok.padId,
  });
  const completions = out.tokens.map((tokens, i) => ({
    group: Math.floor(i / g.numGenerations), tokens, logps: out.logProbs[i],
    text: m.tok.decode(tokens, { skipSpecial: true }), stopReason: out.stopReasons[i],
  }));
  return { pairs, promptIds, completions };
}

/** +1 iff the verdict (RM-R1's rule: last 80 characters) matches the label; truncated → −1. */
export function scoreStage(s: SampleStage): ScoreStage {
  const labels = s.pairs.map((p) => p.winner as Verdict);
  const verdicts = s.completions.map((c) => (c.stopReason === 'eos' ? rewardVerdict(c.text) : null));
  const rewards = verdicts.map((v, i) => verdictReward(v, labels[s.completions[i].group]));
  return { verdicts, rewards, labels };
}

export function advantageStage(s: SampleStage, sc: ScoreStage, g: GrpoConfig): AdvantageStage {
  const grouped = s.pairs.map((_, k) => sc.rewards.filter((_, i) => s.completions[i].group === k));
  const adv = groupAdvantages(grouped, { scaleRewards: g.scaleRewards });
  const groups = grouped.map((r, k) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(r.length - 1, 1));
    return { mean, std, advantages: adv[k], zeroStd: std < 1e-8 };
  });
  return { groups, advantages: adv.flat() };
}

/** The batch for the loss: left-padded prompts, completions right-padded to a bucketed length. */
function lossBatch(m: GrpoModels, s: SampleStage, g: GrpoConfig) {
  const prompts = s.completions.map((c) => s.promptIds[c.group]);
  const { ids: pIds, mask: pMask } = leftPad(prompts, m.tok.padId);
  const P = pIds[0].length;
  const longest = Math.max(1, ...s.completions.map((c) => c.tokens.length));
  const L = Math.min(Math.ceil(longest / g.lengthBucket) * g.lengthBucket, m.cfg.max_position_embeddings - P + 1);
  const ids: number[][] = [], targets: number[][] = [], attn: number[][] = [], mask: number[][] = [], old: number[][] = [];
  s.completions.forEach((c, i) => {
    const full = [...pIds[i], ...c.tokens, ...new Array(L - c.tokens.length).fill(m.tok.padId)];
    ids.push(full.slice(0, P + L - 1));
    targets.push(full.slice(1));
    attn.push([...pMask[i], ...new Array(L - 1).fill(1)]);
    mask.push(Array.from({ length: L }, (_, t) => (t < c.tokens.length ? 1 : 0)));
    old.push(Array.from({ length: L }, (_, t) => c.logps[t] ?? 0));
  });
  return { ids, targets, attn, mask, old, P, L };
}

/** Loss, backward and AdamW update, μ times; one readback per update. */
export async function updateStage(m: GrpoModels, g: GrpoConfig, s: SampleStage, a: AdvantageStage, lr: number, measureChange = false): Promise<UpdateStage> {
  const b = lossBatch(m, s, g);
  const B = b.ids.length, P = b.P, L = b.L;
  const weights = tokenWeights(b.mask, { lossType: g.lossType, maxCompletionLength: g.maxCompletionLength });
  const clip = { beta: g.beta, epsilonLow: g.epsilon, epsilonHigh: g.epsilonHigh };
  const t = tf.tidy(() => ({
    ids: tf.tensor2d(b.ids, undefined, 'int32'), targets: tf.tensor2d(b.targets, undefined, 'int32'),
    attn: tf.tensor2d(b.attn, undefined, 'int32'), mask: tf.tensor2d(b.mask), old: tf.tensor2d(b.old),
    adv: tf.tensor1d(a.advantages), w: tf.tensor1d(weights),
  }));
  const completionLogps = (params: ModelParams) =>
    tf.slice(tokenLogProbs(params, m.cfg, t.ids, t.targets, { attentionMask: t.attn, temperature: g.temperature }), [0, P - 1], [B, L]) as tf.Tensor2D;
  const ref = tf.tidy(() => completionLogps(m.reference));
  const iterations: UpdateStage['iterations'] = [];
  let first: Float32Array | null = null;
  const vars = Object.values(m.policy);
  try {
    for (let it = 0; it < g.numIterations; it++) {
      const packed = tf.tidy(() => {
        let lpKept: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const lp = completionLogps(m.policy);
          lpKept = tf.keep(lp);
          return grpoLossTensor({ per_token_logps: lp, old_per_token_logps: t.old, ref_per_token_logps: ref, completion_mask: t.mask, advantages: t.adv, weights: t.w }, clip).loss;
        }, vars);
        const named = Object.fromEntries(Object.entries(m.policy).map(([n, v]) => [n, grads[v.name]]));
        const { grads: clipped, norm } = clipByGlobalNorm(named, g.maxGradNorm);
        m.optimizer.apply(clipped, lr);
        const parts = [tf.reshape(value, [1]), tf.reshape(norm, [1])];
        if (it === 0) parts.push(tf.reshape(lpKept!, [-1]), tf.reshape(ref, [-1]));
        const out = tf.concat(parts);
        tf.dispose(lpKept!);
        return out;
      });
      const data = await packed.data(); // the update's one readback
      packed.dispose();
      iterations.push({ loss: data[0], gradNorm: data[1] });
      if (it === 0) first = data as Float32Array;
    }
  } finally {
    tf.dispose([...Object.values(t), ref]);
  }
  const rows = (off: number) => Array.from({ length: B }, (_, i) => Array.from(first!.subarray(off + i * L, off + (i + 1) * L)));
  const lp = rows(2), refLp = rows(2 + B * L);
  const terms = tokenTerms({ per_token_logps: lp, old_per_token_logps: b.old, ref_per_token_logps: refLp, completion_mask: b.mask, advantages: a.advantages }, clip);
  const metrics: Record<string, number> = { ...policyMetrics(terms, b.mask, g.beta) } as Record<string, number>;
  metrics.clip_ratio = metrics['clip_ratio/region_mean'];
  const update: UpdateStage = {
    iterations, lr, per_token_logps: lp, ref_per_token_logps: refLp,
    ratio: terms.map((r) => r.map((x) => x.coef_1)), kl: terms.map((r) => r.map((x) => x.per_token_kl)),
    clipped: terms.map((r) => r.map((x) => x.is_low_clipped || x.is_high_clipped)), metrics,
  };
  if (measureChange) update.logpAfter = await sequenceLogps(m, g, s);
  return update;
}

/** Σ_t ℓp of each judgement under the current policy (the step-through's "what changed"). */
export async function sequenceLogps(m: GrpoModels, g: GrpoConfig, s: SampleStage): Promise<number[]> {
  const b = lossBatch(m, s, g);
  const sums = tf.tidy(() => {
    const lp = tokenLogProbs(m.policy, m.cfg, tf.tensor2d(b.ids, undefined, 'int32'), tf.tensor2d(b.targets, undefined, 'int32'),
      { attentionMask: tf.tensor2d(b.attn, undefined, 'int32'), temperature: g.temperature });
    return tf.sum(tf.mul(tf.slice(lp, [0, b.P - 1], [b.ids.length, b.L]), tf.tensor2d(b.mask)), 1);
  });
  const v = Array.from(await sums.data());
  sums.dispose();
  return v;
}

/** All five stages for one batch of pairs. */
export async function grpoStep(m: GrpoModels, g: GrpoConfig, pairs: Pair[], step: number, seed: number, lr: number, measureChange = false): Promise<GrpoStepReport> {
  const t0 = performance.now();
  const sample = await sampleStage(m, g, pairs, stepSeed(seed, step));
  const score = scoreStage(sample);
  const advantages = advantageStage(sample, score, g);
  const update = await updateStage(m, g, sample, advantages, lr, measureChange);
  const groups = sample.pairs.map((_, k) => score.rewards.filter((_, i) => sample.completions[i].group === k));
  Object.assign(update.metrics, rewardMetrics(groups, g.scaleRewards),
    completionMetrics(sample.completions.map((c) => c.tokens.length), sample.completions.map((c) => c.stopReason === 'length')),
    { loss: update.iterations[0].loss, grad_norm: update.iterations[0].gradNorm, learning_rate: lr });
  return { step, sample, score, advantages, update, seconds: (performance.now() - t0) / 1000 };
}
