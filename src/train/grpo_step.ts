// One GRPO step as explicit stages — sample → score → advantages → loss and backward → update — each a
// function returning plain data, so the UI can show and step through them and a test can check each.
// RM-R1's recipe: G judgements per prompt at temperature τ, reward +1/−1 on the verdict (truncated or
// malformed → −1), group-normalised advantages, clipped surrogate + β·k3 to the frozen reference.
// `createStagedStep` runs the stages one `next()` at a time (the step-through page); `grpoStep` runs them
// all. Per update: one readback (loss, grad norm and the per-token log-probs, from which the CPU computes
// ratios, clipping and KL with the pure rm/grpo.ts).
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import { generate, leftPad } from '../engine/generate';
import { tokenLogProbs, tokenLogProbsAndEntropy, type ModelParams } from '../engine/model';
import { clipByGlobalNorm, type AdamW } from '../engine/optimizer';
import type { Tokenizer } from '../engine/tokenizer';
import { judgePrompt } from '../rm/cor_prompt';
import { rewardVerdict, type Verdict } from '../rm/cor_parser';
import { groupAdvantages, tokenTerms, tokenWeights, verdictReward, type LossType, type ScaleRewards } from '../rm/grpo';
import { completionMetrics, maskedMean, policyMetrics, rewardMetrics } from '../rm/grpo_metrics';
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
  lengthBucket: number; // pad prompt and completion lengths to multiples: fewer shapes, flat buffer pools
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
  /** `pieces[t]` is token t's text, so views shade tokens without the run's tokenizer. */
  completions: {
    group: number;
    tokens: number[];
    pieces: string[];
    logps: number[];
    text: string;
    stopReason: 'eos' | 'length';
  }[];
}

/** Stage 2 output: each judgement's parsed verdict and reward. */
export interface ScoreStage {
  verdicts: (Verdict | null)[];
  rewards: number[];
  labels: Verdict[];
}

/** Stage 3 output: per group mean, std, advantages; zero-variance groups teach nothing. */
export interface AdvantageStage {
  groups: { mean: number; std: number; advantages: number[]; zeroStd: boolean }[];
  advantages: number[];
}

/** Stage 4 output, one per iteration μ: the loss, its gradient norm and the per-token terms it used. */
export interface LossStage {
  iteration: number; // 0 … μ−1
  loss: number;
  gradNorm: number; // before clipping
  per_token_logps: number[][]; // ℓp under the current policy [B][L]
  ratio: number[][]; // ρ = exp(ℓp − ℓp_old) per token (exactly 1 at iteration 0)
  kl: number[][]; // k3 to the reference per token
  clipped: boolean[][]; // the clipped branch of the surrogate was taken
  metrics: Record<string, number>; // kl, clip ratios, entropy
}

/** Stage 5 output, one per iteration: the AdamW step, and (when asked) Σ_t ℓp per judgement after it. */
export interface UpdateStage {
  iteration: number;
  lr: number;
  logpBefore: number[]; // Σ_t ℓp per judgement before this update
  logpAfter?: number[];
}

export interface GrpoStepReport {
  step: number;
  sample: SampleStage;
  score: ScoreStage;
  advantages: AdvantageStage;
  ref_per_token_logps: number[][]; // ℓp_ref [B][L]
  losses: LossStage[]; // one per iteration μ
  updates: UpdateStage[];
  metrics: Record<string, number>; // TRL's names (train/metrics.ts)
  seconds: number;
}

/** Sample G judgements per prompt with the KV-cache sampler. */
export async function sampleStage(m: GrpoModels, g: GrpoConfig, pairs: Pair[], seed: number): Promise<SampleStage> {
  const promptIds = pairs.map((p) => m.tok.encode(judgePrompt(p).text, { bos: true }).ids);
  const rows = promptIds.flatMap((ids) => Array.from({ length: g.numGenerations }, () => ids));
  const out = await generate(m.policy, m.cfg, rows, {
    maxNewTokens: g.maxCompletionLength,
    temperature: g.temperature,
    topP: g.topP,
    seed,
    eosId: m.tok.eosId,
    padId: m.tok.padId,
  });
  const completions = out.tokens.map((tokens, i) => ({
    group: Math.floor(i / g.numGenerations),
    tokens,
    pieces: tokens.map((id) => m.tok.decode([id])),
    logps: out.logProbs[i],
    text: m.tok.decode(tokens, { skipSpecial: true }),
    stopReason: out.stopReasons[i],
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

/** Rounds n up to a multiple of `bucket`. */
const roundUp = (n: number, bucket: number) => Math.ceil(n / bucket) * bucket;

/**
 * The batch for the loss: prompts left-padded and completions right-padded, both to bucketed lengths, so
 * steps reuse a few shapes and the GPU buffer pool (which keeps a buffer per exact size) stops growing.
 * Padding changes nothing: padded keys are masked out of attention, positions come from the mask, and
 * padded completion tokens have weight 0. The completion length is bucketed first; the prompt gets the
 * rest of the context, so no real token is ever cut.
 */
function lossBatch(m: GrpoModels, s: SampleStage, g: GrpoConfig) {
  const ctx = m.cfg.max_position_embeddings;
  const prompts = s.completions.map((c) => s.promptIds[c.group]);
  const { ids: shortIds, mask: shortMask } = leftPad(prompts, m.tok.padId);
  const longest = Math.max(1, ...s.completions.map((c) => c.tokens.length));
  const L = Math.min(roundUp(longest, g.lengthBucket), ctx - shortIds[0].length + 1);
  const P = Math.min(roundUp(shortIds[0].length, g.lengthBucket), ctx - L + 1);
  const extra = P - shortIds[0].length;
  const pIds = shortIds.map((r) => [...new Array(extra).fill(m.tok.padId), ...r]);
  const pMask = shortMask.map((r) => [...new Array(extra).fill(0), ...r]);
  const ids: number[][] = [],
    targets: number[][] = [],
    attn: number[][] = [],
    mask: number[][] = [],
    old: number[][] = [];
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

/** The loss batch on the device, shared by the μ iterations of one step; dispose() frees it. */
export interface LossInputs {
  readonly B: number;
  readonly L: number;
  readonly mask: number[][];
  readonly old: number[][];
  ref: number[][] | null; // read back with the first loss
  dispose(): void;
}

interface LossTensors extends LossInputs {
  t: {
    ids: tf.Tensor2D;
    targets: tf.Tensor2D;
    attn: tf.Tensor2D;
    mask: tf.Tensor2D;
    old: tf.Tensor2D;
    adv: tf.Tensor1D;
    w: tf.Tensor1D;
    ref: tf.Tensor2D;
  };
  P: number;
  sliceRows: number;
}

export function prepareLoss(
  m: GrpoModels,
  g: GrpoConfig,
  s: SampleStage,
  a: AdvantageStage,
  sliceRows = LOSS_SLICE,
): LossInputs {
  const b = lossBatch(m, s, g);
  const weights = tokenWeights(b.mask, { lossType: g.lossType, maxCompletionLength: g.maxCompletionLength });
  const t = tf.tidy(() => {
    const ids = tf.tensor2d(b.ids, undefined, 'int32'),
      targets = tf.tensor2d(b.targets, undefined, 'int32'),
      attn = tf.tensor2d(b.attn, undefined, 'int32');
    return {
      ids,
      targets,
      attn,
      mask: tf.tensor2d(b.mask),
      old: tf.tensor2d(b.old),
      adv: tf.tensor1d(a.advantages),
      w: tf.tensor1d(weights),
      ref: tf.concat(
        slices(b.ids.length, sliceRows).map(([r, n]) =>
          completionLogps(m, g, m.reference, rowsOf(ids, r, n), rowsOf(targets, r, n), rowsOf(attn, r, n), b.P, b.L),
        ),
      ) as tf.Tensor2D,
    };
  });
  return {
    B: b.ids.length,
    L: b.L,
    P: b.P,
    sliceRows,
    mask: b.mask,
    old: b.old,
    ref: null,
    t,
    dispose: () => tf.dispose(Object.values(t)),
  } as LossTensors;
}

/** Most judgements in one forward/backward of the loss: bigger batches run in slices (memory, not maths). */
const LOSS_SLICE = 48;

/** [first row, row count] of each slice of a B-row batch. */
function slices(B: number, size: number): [number, number][] {
  return Array.from({ length: Math.ceil(B / size) }, (_, k) => [k * size, Math.min(size, B - k * size)]);
}

function rowsOf<T extends tf.Tensor>(x: T, first: number, n: number): T {
  return (first === 0 && n === x.shape[0] ? x : tf.slice(x, first, n)) as T;
}

/** ℓp of the completion tokens [B, L] at the sampling temperature. */
function completionLogps(
  m: GrpoModels,
  g: GrpoConfig,
  params: ModelParams,
  ids: tf.Tensor2D,
  targets: tf.Tensor2D,
  attn: tf.Tensor2D,
  P: number,
  L: number,
): tf.Tensor2D {
  return tf.tidy(
    () =>
      tf.slice(
        tokenLogProbs(params, m.cfg, ids, targets, { attentionMask: attn, temperature: g.temperature }),
        [0, P - 1],
        [ids.shape[0], L],
      ) as tf.Tensor2D,
  );
}

/**
 * Stage 4: the loss and its backward pass. Returns the plain-data report and the clipped gradients, which
 * stay on the device until `applyUpdate` (stage 5) spends them. One readback: loss, norm, ℓp (and ℓp_ref once).
 */
export async function lossStage(
  m: GrpoModels,
  g: GrpoConfig,
  inputs: LossInputs,
  a: AdvantageStage,
  iteration: number,
): Promise<{ report: LossStage; grads: Record<string, tf.Tensor> }> {
  const x = inputs as LossTensors;
  const { B, L, t } = x;
  const clip = { beta: g.beta, epsilonLow: g.epsilon, epsilonHigh: g.epsilonHigh };
  const vars = Object.values(m.policy);
  // The loss is a weighted sum over rows (weights normalised over the whole batch), so the gradients of
  // row slices add up to the batch's: a large batch runs slice by slice within WASM's heap, then one clip.
  let sum: tf.NamedTensorMap | null = null;
  const losses: tf.Tensor[] = [],
    lps: tf.Tensor[] = [],
    ents: tf.Tensor[] = [];
  for (const [r, n] of slices(B, x.sliceRows)) {
    const { value, grads: raw } = tf.tidy(() => {
      // Slices are made outside the taped function: custom gradients (the embedding's) read them later.
      const ids = rowsOf(t.ids, r, n),
        targets = rowsOf(t.targets, r, n),
        attn = rowsOf(t.attn, r, n);
      const rest = {
        old_per_token_logps: rowsOf(t.old, r, n),
        ref_per_token_logps: rowsOf(t.ref, r, n),
        completion_mask: rowsOf(t.mask, r, n),
        advantages: tf.slice(t.adv, [r], [n]),
        weights: tf.slice(t.w, [r], [n]),
      };
      return tf.variableGrads(() => {
        const { logps, entropy } = tokenLogProbsAndEntropy(m.policy, m.cfg, ids, targets, {
          attentionMask: attn,
          temperature: g.temperature,
          entropy: true,
        });
        const lp = tf.slice(logps, [0, x.P - 1], [n, L]) as tf.Tensor2D;
        lps.push(tf.keep(lp));
        ents.push(tf.keep(tf.slice(entropy!, [0, x.P - 1], [n, L])));
        return grpoLossTensor({ per_token_logps: lp, ...rest }, clip).loss;
      }, vars);
    });
    losses.push(value);
    const prev: tf.NamedTensorMap | null = sum;
    sum =
      prev === null
        ? raw
        : Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, tf.tidy(() => tf.add(prev[k], v))]));
    if (prev !== null) tf.dispose([...Object.values(prev), ...Object.values(raw)]);
  }
  let grads: Record<string, tf.Tensor> = {};
  const packed = tf.tidy(() => {
    const named = Object.fromEntries(Object.entries(m.policy).map(([name, v]) => [name, sum![v.name]]));
    const { grads: clipped, norm } = clipByGlobalNorm(named, g.maxGradNorm);
    grads = Object.fromEntries(Object.entries(clipped).map(([name, v]) => [name, tf.keep(v)]));
    // stack + sum, not addN: WebGPU's AddN binds every input at once and fails past 7 (64 prompts per step)
    const parts = [
      tf.reshape(tf.sum(tf.stack(losses)), [1]),
      tf.reshape(norm, [1]),
      ...lps.map((k) => tf.reshape(k, [-1])),
      ...ents.map((k) => tf.reshape(k, [-1])),
    ];
    if (x.ref === null) parts.push(tf.reshape(t.ref, [-1]));
    return tf.concat(parts);
  });
  const spent = new Set(Object.values(grads));
  // unclipped, the sums are the gradients
  tf.dispose([...losses, ...lps, ...ents, ...Object.values(sum!).filter((v) => !spent.has(v))]);
  const data = (await packed.data()) as Float32Array; // the iteration's one readback
  packed.dispose();
  const rows = (off: number) =>
    Array.from({ length: B }, (_, i) => Array.from(data.subarray(off + i * L, off + (i + 1) * L)));
  const lp = rows(2),
    entropy = rows(2 + B * L);
  x.ref ??= rows(2 + 2 * B * L);
  const terms = tokenTerms(
    {
      per_token_logps: lp,
      old_per_token_logps: x.old,
      ref_per_token_logps: x.ref,
      completion_mask: x.mask,
      advantages: a.advantages,
    },
    clip,
  );
  const metrics = { ...policyMetrics(terms, x.mask, g.beta) } as Record<string, number>;
  metrics.clip_ratio = metrics['clip_ratio/region_mean'];
  metrics.entropy = maskedMean(entropy, x.mask);
  const report: LossStage = {
    iteration,
    loss: data[0],
    gradNorm: data[1],
    per_token_logps: lp,
    ratio: terms.map((r) => r.map((v) => v.coef_1)),
    kl: terms.map((r) => r.map((v) => v.per_token_kl)),
    clipped: terms.map((r) => r.map((v) => v.is_low_clipped || v.is_high_clipped)),
    metrics,
  };
  return { report, grads };
}

/** Stage 5: one AdamW step with the clipped gradients of stage 4 (which it frees). */
export function applyUpdate(m: GrpoModels, grads: Record<string, tf.Tensor>, lr: number): void {
  try {
    m.optimizer.apply(grads, lr);
  } finally {
    tf.dispose(Object.values(grads));
  }
}

/** Σ_t ℓp of each judgement under the current policy (the step-through's "what changed"). */
export async function sequenceLogps(m: GrpoModels, g: GrpoConfig, s: SampleStage): Promise<number[]> {
  const b = lossBatch(m, s, g);
  const sums = tf.tidy(() => {
    const lp = tokenLogProbs(
      m.policy,
      m.cfg,
      tf.tensor2d(b.ids, undefined, 'int32'),
      tf.tensor2d(b.targets, undefined, 'int32'),
      { attentionMask: tf.tensor2d(b.attn, undefined, 'int32'), temperature: g.temperature },
    );
    return tf.sum(tf.mul(tf.slice(lp, [0, b.P - 1], [b.ids.length, b.L]), tf.tensor2d(b.mask)), 1);
  });
  const v = Array.from(await sums.data());
  sums.dispose();
  return v;
}

const maskedSums = (rows: number[][], mask: number[][]) =>
  rows.map((r, i) => r.reduce((s, v, t) => s + (mask[i][t] ? v : 0), 0));

export type StageName = 'sample' | 'score' | 'advantages' | 'loss' | 'update';

/** What one stage computed, tagged by stage. */
export type StageOutput =
  | { stage: 'sample'; sample: SampleStage }
  | { stage: 'score'; score: ScoreStage }
  | { stage: 'advantages'; advantages: AdvantageStage }
  | { stage: 'loss'; loss: LossStage }
  | { stage: 'update'; update: UpdateStage };

/** One GRPO step as a state machine: each `next()` runs one stage; the loss/update pair repeats μ times. */
export interface StagedStep {
  readonly step: number;
  /** The stage the next `next()` runs, or null when the step is complete. */
  nextStage(): StageName | null;
  next(): Promise<StageOutput>;
  /** The whole step's report; only once nextStage() is null. */
  report(): GrpoStepReport;
  /** Frees what an unfinished step holds on the device (pending gradients, the loss batch). */
  dispose(): void;
}

export interface StagedStepOptions {
  step: number;
  seed: number; // the sampling seed of this step
  lr: number;
  measureChange?: boolean; // after each update, Σ_t ℓp per judgement (one more forward and readback)
}

export function createStagedStep(m: GrpoModels, g: GrpoConfig, pairs: Pair[], o: StagedStepOptions): StagedStep {
  const t0 = performance.now();
  let sample: SampleStage | null = null,
    score: ScoreStage | null = null,
    adv: AdvantageStage | null = null;
  let inputs: LossInputs | null = null;
  let pending: Record<string, tf.Tensor> | null = null;
  const losses: LossStage[] = [],
    updates: UpdateStage[] = [];
  let finished: GrpoStepReport | null = null;

  const nextStage = (): StageName | null => {
    if (!sample) return 'sample';
    if (!score) return 'score';
    if (!adv) return 'advantages';
    if (losses.length === updates.length) return losses.length < g.numIterations ? 'loss' : null;
    return 'update';
  };
  const release = () => {
    if (pending) tf.dispose(Object.values(pending));
    pending = null;
    inputs?.dispose();
    inputs = null;
  };
  const finish = (): GrpoStepReport => {
    const s = sample!,
      sc = score!;
    const groups = s.pairs.map((_, k) => sc.rewards.filter((_, i) => s.completions[i].group === k));
    const metrics: Record<string, number> = {
      ...losses[0].metrics,
      ...rewardMetrics(groups, g.scaleRewards),
      ...categoryAccuracy(s, sc),
      ...completionMetrics(
        s.completions.map((c) => c.tokens.length),
        s.completions.map((c) => c.stopReason === 'length'),
      ),
      loss: losses[0].loss,
      grad_norm: losses[0].gradNorm,
      learning_rate: o.lr,
    };
    const seconds = (performance.now() - t0) / 1000;
    metrics.tokens_per_second = s.completions.reduce((n, c) => n + c.tokens.length, 0) / seconds;
    return {
      step: o.step,
      sample: s,
      score: sc,
      advantages: adv!,
      ref_per_token_logps: inputs ? (inputs.ref ?? []) : [],
      losses,
      updates,
      metrics,
      seconds,
    };
  };

  return {
    step: o.step,
    nextStage,
    async next() {
      const stage = nextStage();
      try {
        switch (stage) {
          case 'sample':
            sample = await sampleStage(m, g, pairs, o.seed);
            return { stage, sample };
          case 'score':
            score = scoreStage(sample!);
            return { stage, score };
          case 'advantages':
            adv = advantageStage(sample!, score!, g);
            return { stage, advantages: adv };
          case 'loss': {
            inputs ??= prepareLoss(m, g, sample!, adv!);
            const r = await lossStage(m, g, inputs, adv!, losses.length);
            pending = r.grads;
            losses.push(r.report);
            return { stage, loss: r.report };
          }
          case 'update': {
            const grads = pending!;
            pending = null;
            applyUpdate(m, grads, o.lr);
            const last = losses[losses.length - 1];
            const update: UpdateStage = {
              iteration: updates.length,
              lr: o.lr,
              logpBefore: maskedSums(last.per_token_logps, inputs!.mask),
            };
            if (o.measureChange) update.logpAfter = await sequenceLogps(m, g, sample!);
            updates.push(update);
            if (nextStage() === null) {
              finished = finish();
              release();
            }
            return { stage, update };
          }
          default:
            throw new Error(`GRPO step ${o.step} is complete; there is no next stage`);
        }
      } catch (e) {
        release();
        throw e;
      }
    },
    report() {
      if (!finished) throw new Error(`GRPO step ${o.step} is not complete (next stage: ${nextStage()})`);
      return finished;
    },
    dispose: release,
  };
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

/** All five stages for one batch of pairs. */
export async function grpoStep(
  m: GrpoModels,
  g: GrpoConfig,
  pairs: Pair[],
  o: StagedStepOptions,
): Promise<GrpoStepReport> {
  const staged = createStagedStep(m, g, pairs, o);
  try {
    while (staged.nextStage() !== null) await staged.next();
    return staged.report();
  } finally {
    staged.dispose();
  }
}
