// The GRPO step's data: what it reads (GrpoConfig, GrpoModels), what each of its five stages returns, and
// the step report that holds them all. Reports are stored with the run, so they carry a version; a report
// written by an older version is upgraded on read (`upgradeStepReport`). Plain data only: no tensors here.
import type { LlamaConfig } from '../engine/config';
import type { ModelParams } from '../engine/model';
import type { AdamW } from '../engine/optimizer';
import type { TextTokenizer } from '../engine/text_tokenizer';
import type { Verdict } from '../rm/cor_parser';
import { groupStats, type GroupStats, type LossType, type ScaleRewards } from '../rm/grpo';
import type { Pair } from '../rm/pair';

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
  microBatch: number; // judgements per forward/backward of the loss, gradients summed (0: the whole batch)
  recompute: boolean; // recompute each block's activations in the backward pass (less memory, one more forward)
}

export interface GrpoModels {
  cfg: LlamaConfig;
  tok: TextTokenizer;
  policy: ModelParams; // π_θ, trained
  reference: ModelParams | null; // π_ref, frozen stage-1 checkpoint; null: the policy with its LoRA adapters off
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

/** One prompt's group: its mean, its own σ, the σ its advantages were divided by, and the advantages. */
export interface AdvantageGroup extends GroupStats {
  advantages: number[];
  zeroStd: boolean; // every reward equal: zero advantage, the group teaches nothing
}

/** Stage 3 output: per group statistics and advantages, under the step's `scaleRewards`. */
export interface AdvantageStage {
  scaleRewards: ScaleRewards;
  groups: AdvantageGroup[];
  advantages: number[]; // per judgement, in sampling order
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

/** Version 2: steps count from 1 (step 1 is the first, as in SFT) and groups carry `scaledBy`. */
export const STEP_REPORT_VERSION = 2;

export interface GrpoStepReport {
  version: typeof STEP_REPORT_VERSION;
  step: number; // 1 = the run's first GRPO step
  sample: SampleStage;
  score: ScoreStage;
  advantages: AdvantageStage;
  ref_per_token_logps: number[][]; // ℓp_ref [B][L]
  losses: LossStage[]; // one per iteration μ
  updates: UpdateStage[];
  metrics: Record<string, number>; // TRL's names (train/metrics.ts)
  seconds: number;
}

export type StageName = 'sample' | 'score' | 'advantages' | 'loss' | 'update';

/** What one stage computed, tagged by stage. */
export type StageOutput =
  | { stage: 'sample'; sample: SampleStage }
  | { stage: 'score'; score: ScoreStage }
  | { stage: 'advantages'; advantages: AdvantageStage }
  | { stage: 'loss'; loss: LossStage }
  | { stage: 'update'; update: UpdateStage };

/** The rewards of each prompt's judgements: [groups][G]. */
export function groupedRewards(s: SampleStage, sc: ScoreStage): number[][] {
  return s.pairs.map((_, k) => sc.rewards.filter((_, i) => s.completions[i].group === k));
}

/** Version 1 (no `version` field): steps counted from 0, and groups kept only their own σ. */
export interface StepReportV1 extends Omit<GrpoStepReport, 'version' | 'advantages'> {
  version?: undefined;
  advantages: { groups: Omit<AdvantageGroup, 'scaledBy'>[]; advantages: number[] };
}

/**
 * A stored report in the current version. Version 1 gets step + 1, and the σ its advantages were divided
 * by, recomputed from its rewards under the run's `scaleRewards` (the rewards are stored, so this is exact).
 * Without the run's record: 'group', the default of every version that wrote version 1.
 */
export function upgradeStepReport(
  r: GrpoStepReport | StepReportV1,
  runScaleRewards: ScaleRewards | undefined,
): GrpoStepReport {
  const stored: { version?: unknown; step?: unknown } = r; // as read: a later version may have written it
  if (stored.version !== undefined && stored.version !== STEP_REPORT_VERSION)
    throw new Error(
      `GRPO step report (step ${stored.step}) has version ${stored.version}; this version of Rubric Lab reads ` +
        `up to ${STEP_REPORT_VERSION}`,
    );
  if (r.version === STEP_REPORT_VERSION) return r;
  const scaleRewards = runScaleRewards ?? 'group';
  const stats = groupStats(groupedRewards(r.sample, r.score), { scaleRewards });
  return {
    ...r,
    version: STEP_REPORT_VERSION,
    step: r.step + 1,
    advantages: {
      scaleRewards,
      groups: r.advantages.groups.map((g, k) => ({ ...g, scaledBy: stats[k].scaledBy })),
      advantages: r.advantages.advantages,
    },
  };
}
