// Stage 2 as a steppable run: `step()` takes the next `promptsPerStep` label-only pairs (reshuffled each
// epoch, seeded), runs the five GRPO stages and returns the report. Pausing is the caller not calling.
// `snapshot()` and the `resume` argument continue a run exactly: the step count (the schedule and each
// step's sampling seed derive from it), the pair-order RNG and its queue, AdamW's state and π_ref. A policy
// with LoRA adapters (engine/lora.ts) trains them alone, and π_ref is the policy with them off: no copy of the
// weights. Their dropout stays off in GRPO: ℓp_old (sampling) and ℓp must come from the same policy.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import { loraParams, trainableParams } from '../engine/lora';
import type { ModelParams } from '../engine/model';
import { ADAMW_MOMENTS, createAdamW, type AdamWSnapshot } from '../engine/optimizer';
import { createRng, shuffle } from '../engine/rng';
import { learningRateAt } from '../engine/schedule';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { swapPair, type Pair } from '../rm/pair';
import { stepSeed } from '../engine/sampling';
import { labelled, poolHash } from './grpo_pool';
import { createStagedStep, grpoStep, type StagedStep } from './grpo_step';
import type { GrpoConfig, GrpoModels, GrpoStepReport } from './grpo_types';
import { RUN_DEFAULTS } from './run_config';

export interface GrpoSchedule {
  steps: number; // optimizer steps (× μ updates each)
  lr: number; // peak learning rate
  warmupSteps: number;
  schedule: 'cosine' | 'constant';
  weightDecay: number;
  seed: number; // pair order and sampling
  bothOrders: boolean; // each pair judged as given and swapped in the same step
}

/** The cosine schedule's floor, as a fraction of the peak learning rate. */
export const GRPO_MIN_LR_RATIO = 0.1;

/** The run defaults' GRPO settings (train/run_config.ts holds every default, its range and why). */
export const GRPO_DEFAULTS: GrpoConfig & GrpoSchedule = RUN_DEFAULTS.grpo;

/** A frozen copy of the parameters (the reference model π_ref). */
export function frozenCopy(params: ModelParams): ModelParams {
  return Object.fromEntries(Object.entries(params).map(([n, v]) => [n, tf.tidy(() => tf.variable(v.clone(), false))]));
}

/** Where a GRPO run stands between steps. */
export interface GrpoResume {
  step: number; // steps taken
  rng: number; // the pair-order RNG's state
  order: number[]; // the pairs still queued this epoch, as indexes into the labelled pairs
  pairs: string; // poolHash of those labelled pairs: a resume on other data is refused
  optimizer: AdamWSnapshot; // step × μ updates
}

/** The labelled pairs GRPO draws from; throws when they cannot fill a step's batch. */
export function drawablePairs(g: Pick<GrpoSchedule & GrpoConfig, 'bothOrders' | 'promptsPerStep'>, pairs: Pair[]) {
  if (g.bothOrders && g.promptsPerStep % 2 !== 0)
    throw new Error(`GRPO with both orders needs an even number of prompts per step, got ${g.promptsPerStep}`);
  const usable = labelled(pairs);
  if (usable.length < g.promptsPerStep)
    throw new Error(`GRPO needs at least ${g.promptsPerStep} labelled A/B pairs, got ${usable.length}`);
  return usable;
}

export interface GrpoRun {
  readonly models: GrpoModels;
  /** Optimizer steps taken. */
  stepsDone(): number;
  done(): boolean;
  /** Where it stands between steps (one readback of the moments); `createGrpoRun(…, resume)` continues it. */
  snapshot(): Promise<GrpoResume>;
  /** Runs the next step's five stages. */
  step(): Promise<GrpoStepReport>;
  /** The next step as a stage-by-stage state machine (the step-through); counts as taken once begun. */
  begin(measureChange?: boolean): StagedStep;
  dispose(): void;
}

export function createGrpoRun(
  policy: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  g: GrpoConfig & GrpoSchedule,
  pairs: Pair[],
  // π_ref of a resumed run (its frozen start weights; none with LoRA); the run disposes it once created
  resume?: { state: GrpoResume; reference?: ModelParams },
): GrpoRun {
  const usable = drawablePairs(g, pairs);
  if (resume) checkResume(resume.state, usable, g);
  // with LoRA adapters, only they have AdamW moments
  const optimizer = createAdamW(trainableParams(policy), { lr: g.lr, ...ADAMW_MOMENTS, weightDecay: g.weightDecay });
  try {
    if (resume) optimizer.importState(resume.state.optimizer);
  } catch (e) {
    optimizer.dispose();
    throw e;
  }
  // with LoRA adapters π_ref is the policy with them off: no copy of the weights
  const hasAdapters = Object.keys(loraParams(policy)).length > 0;
  const reference = resume?.reference ?? (hasAdapters ? null : frozenCopy(policy));
  const models: GrpoModels = { cfg, tok, policy, reference, optimizer };
  const rng = createRng(resume?.state.rng ?? g.seed);
  let order: number[] = resume ? [...resume.state.order] : [];
  let t = resume?.state.step ?? 0;
  const next = (measureChange: boolean) => {
    const fresh = g.bothOrders ? g.promptsPerStep / 2 : g.promptsPerStep;
    if (order.length < fresh) order = [...order, ...shuffle([...usable.keys()], rng)];
    const taken = order.splice(0, fresh).map((i) => usable[i]);
    // Both orders in one batch: a verdict that follows the position, not the content, earns +1 in one
    // order and −1 in the other, so its gradient cancels and what is left rewards reading.
    const batch = g.bothOrders ? [...taken, ...taken.map(swapPair)] : taken;
    const lr = learningRateAt(t, {
      peakLr: g.lr,
      warmupSteps: g.warmupSteps,
      totalSteps: g.steps,
      schedule: g.schedule,
      minLrRatio: GRPO_MIN_LR_RATIO,
    });
    // t steps are done: the schedule and the sampling seed read that count, the report its step t + 1
    const o = { step: t + 1, seed: stepSeed(g.seed, t), lr, measureChange };
    t++;
    return { batch, o };
  };
  return {
    models,
    stepsDone: () => t,
    done: () => t >= g.steps,
    snapshot: async () => ({
      step: t,
      rng: rng.state(),
      order: [...order],
      pairs: poolHash(usable),
      optimizer: await optimizer.exportState(),
    }),
    step() {
      const { batch, o } = next(false);
      return grpoStep(models, g, batch, o);
    },
    begin(measureChange = true) {
      const { batch, o } = next(measureChange);
      return createStagedStep(models, g, batch, o);
    },
    dispose() {
      optimizer.dispose();
      if (reference) tf.dispose(Object.values(reference));
    },
  };
}

/** A snapshot fits this run: the same pairs, a queue within them, μ updates per step taken. */
function checkResume(r: GrpoResume, usable: Pair[], g: GrpoConfig & GrpoSchedule): void {
  const problems: string[] = [];
  if (r.pairs !== poolHash(usable)) problems.push("its GRPO pairs differ from this run's (the data changed)");
  if (r.order.some((i) => !Number.isInteger(i) || i < 0 || i >= usable.length))
    problems.push(`its pair queue points outside the ${usable.length} pairs`);
  if (r.optimizer.step !== r.step * g.numIterations)
    problems.push(`${r.optimizer.step} optimizer updates for ${r.step} steps of μ = ${g.numIterations}`);
  if (r.step > g.steps) problems.push(`step ${r.step} is past the run's ${g.steps} steps`);
  if (problems.length) throw new Error(`GRPO snapshot does not fit this run: ${problems.join('; ')}`);
}
