// One GRPO step as explicit stages — sample → score → advantages → loss and backward → update — each a
// function returning plain data (grpo_types.ts), so the UI can show and step through them and a test can
// check each. RM-R1's recipe: G judgements per prompt at temperature τ, reward +1/−1 on the verdict
// (truncated or malformed → −1), group-normalised advantages, clipped surrogate + β·k3 to the frozen
// reference. `createStagedStep` runs the stages one `next()` at a time (the step-through page); `grpoStep`
// runs them all. The loss batch is grpo_batch.ts, the loss and update grpo_update.ts, the metrics
// grpo_step_metrics.ts. On WebGPU the step empties the buffer pool after sampling and after the reference pass:
// each phase's buffers have sizes the next seldom reuses, so kept they would add up; emptied, the step holds
// its largest phase (with what that phase's own pool keeps).
import * as tf from '@tensorflow/tfjs';
import { generate } from '../engine/generate';
import { trimGpuPool } from '../engine/gpu_pool';
import { judgeStopIds, modelPrompt } from '../rm/cor_prompt';
import { rewardVerdict, type Verdict } from '../rm/cor_parser';
import { groupAdvantages, groupStats, verdictReward } from '../rm/grpo';
import type { Pair } from '../rm/pair';
import { prepareLoss, type LossInputs } from './grpo_batch';
import { stepMetrics } from './grpo_step_metrics';
import {
  groupedRewards,
  STEP_REPORT_VERSION,
  type AdvantageStage,
  type GrpoConfig,
  type GrpoModels,
  type GrpoStepReport,
  type LossStage,
  type SampleStage,
  type ScoreStage,
  type StageName,
  type StageOutput,
  type UpdateStage,
} from './grpo_types';
import { applyUpdate, lossStage, sequenceLogps } from './grpo_update';

/** Stage 1: G judgements per prompt with the KV-cache sampler. */
export async function sampleStage(m: GrpoModels, g: GrpoConfig, pairs: Pair[], seed: number): Promise<SampleStage> {
  const promptIds = pairs.map((p) => modelPrompt(m.tok, p).ids);
  const rows = promptIds.flatMap((ids) => Array.from({ length: g.numGenerations }, () => ids));
  const out = await generate(m.policy, m.cfg, rows, {
    maxNewTokens: g.maxCompletionLength,
    temperature: g.temperature,
    topP: g.topP,
    seed,
    eosIds: judgeStopIds(m.tok), // a real model's answer ends at its end of turn
    padId: m.tok.padId,
  });
  const completions = out.tokens.map((tokens, i) => ({
    group: Math.floor(i / g.numGenerations),
    tokens,
    pieces: tokens.map((id) => m.tok.piece(id)),
    logps: out.logProbs[i],
    text: m.tok.decode(tokens, { skipSpecial: true }),
    stopReason: out.stopReasons[i],
  }));
  return { pairs, promptIds, completions };
}

/** Stage 2: +1 iff the verdict (RM-R1's rule: last 80 characters) matches the label; truncated → −1. */
export function scoreStage(s: SampleStage): ScoreStage {
  const labels = s.pairs.map((p) => p.winner as Verdict);
  const verdicts = s.completions.map((c) => (c.stopReason === 'eos' ? rewardVerdict(c.text) : null));
  const rewards = verdicts.map((v, i) => verdictReward(v, labels[s.completions[i].group]));
  return { verdicts, rewards, labels };
}

/** Stage 3: each group's statistics (with the σ actually divided by) and advantages. */
export function advantageStage(s: SampleStage, sc: ScoreStage, g: GrpoConfig): AdvantageStage {
  const rewards = groupedRewards(s, sc);
  const opts = { scaleRewards: g.scaleRewards };
  const adv = groupAdvantages(rewards, opts);
  const groups = groupStats(rewards, opts).map((st, k) => ({ ...st, advantages: adv[k], zeroStd: st.std < 1e-8 }));
  return { scaleRewards: g.scaleRewards, groups, advantages: adv.flat() };
}

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
  step: number; // 1 = the run's first GRPO step
  seed: number; // the sampling seed of this step
  lr: number;
  measureChange?: boolean; // after each update, Σ_t ℓp per judgement (one more forward and readback)
}

/** A staged step: what it runs on, and what it has computed so far. */
interface Step {
  m: GrpoModels;
  g: GrpoConfig;
  pairs: Pair[];
  o: StagedStepOptions;
  t0: number; // when it began (ms)
  sample: SampleStage | null;
  score: ScoreStage | null;
  adv: AdvantageStage | null;
  inputs: LossInputs | null; // the loss batch, from the first loss to the end of the step
  pending: Record<string, tf.Tensor> | null; // clipped gradients between a loss and its update
  losses: LossStage[];
  updates: UpdateStage[];
}

function stageAfter(p: Step): StageName | null {
  if (!p.sample) return 'sample';
  if (!p.score) return 'score';
  if (!p.adv) return 'advantages';
  if (p.losses.length === p.updates.length) return p.losses.length < p.g.numIterations ? 'loss' : null;
  return 'update';
}

async function runStage(p: Step, stage: StageName | null): Promise<StageOutput> {
  const { m, g } = p;
  switch (stage) {
    case 'sample':
      p.sample = await sampleStage(m, g, p.pairs, p.o.seed);
      trimGpuPool(0); // its KV cache and decode buffers: sizes the loss never asks for
      return { stage, sample: p.sample };
    case 'score':
      p.score = scoreStage(p.sample!);
      return { stage, score: p.score };
    case 'advantages':
      p.adv = advantageStage(p.sample!, p.score!, g);
      return { stage, advantages: p.adv };
    case 'loss': {
      if (!p.inputs) {
        p.inputs = prepareLoss(m, g, p.sample!, p.adv!);
        trimGpuPool(0); // the reference pass's buffers, before the training pass asks for its own
      }
      const r = await lossStage(m, g, p.inputs, p.adv!, p.losses.length);
      p.pending = r.grads;
      p.losses.push(r.report);
      return { stage, loss: r.report };
    }
    case 'update':
      return { stage, update: await runUpdate(p) };
    default:
      throw new Error(`GRPO step ${p.o.step} is complete; there is no next stage`);
  }
}

const maskedSums = (rows: number[][], mask: number[][]) =>
  rows.map((r, i) => r.reduce((s, v, t) => s + (mask[i][t] ? v : 0), 0));

async function runUpdate(p: Step): Promise<UpdateStage> {
  const grads = p.pending!;
  p.pending = null;
  applyUpdate(p.m, grads, p.o.lr);
  const last = p.losses[p.losses.length - 1];
  const u: UpdateStage = {
    iteration: p.updates.length,
    lr: p.o.lr,
    logpBefore: maskedSums(last.per_token_logps, p.inputs!.mask),
  };
  if (p.o.measureChange) u.logpAfter = await sequenceLogps(p.m, p.g, p.sample!);
  p.updates.push(u);
  return u;
}

/** The report of a step whose stages have all run. */
function stepReport(p: Step): GrpoStepReport {
  const sample = p.sample!,
    score = p.score!;
  const seconds = (performance.now() - p.t0) / 1000;
  const { losses, updates } = p;
  return {
    version: STEP_REPORT_VERSION,
    step: p.o.step,
    sample,
    score,
    advantages: p.adv!,
    ref_per_token_logps: p.inputs?.ref ?? [],
    losses,
    updates,
    metrics: stepMetrics({ sample, score, losses, scaleRewards: p.g.scaleRewards, lr: p.o.lr, seconds }),
    seconds,
  };
}

export function createStagedStep(m: GrpoModels, g: GrpoConfig, pairs: Pair[], o: StagedStepOptions): StagedStep {
  const nothingYet = { sample: null, score: null, adv: null, inputs: null, pending: null, losses: [], updates: [] };
  const p: Step = { m, g, pairs, o, t0: performance.now(), ...nothingYet };
  let finished: GrpoStepReport | null = null;
  const release = () => {
    if (p.pending) tf.dispose(Object.values(p.pending));
    p.pending = null;
    p.inputs?.dispose();
    p.inputs = null;
  };
  return {
    step: o.step,
    nextStage: () => stageAfter(p),
    async next() {
      try {
        const out = await runStage(p, stageAfter(p));
        if (stageAfter(p) === null) {
          finished = stepReport(p);
          release();
        }
        return out;
      } catch (e) {
        release();
        throw e;
      }
    },
    report() {
      if (!finished) throw new Error(`GRPO step ${o.step} is not complete (next stage: ${stageAfter(p)})`);
      return finished;
    },
    dispose: release,
  };
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
