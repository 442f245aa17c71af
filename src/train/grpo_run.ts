// Stage 2 as a steppable run: `step()` takes the next `promptsPerStep` label-only pairs (reshuffled each
// epoch, seeded), runs the five GRPO stages and returns the report. Pausing is the caller not calling.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import type { ModelParams } from '../engine/model';
import { createAdamW } from '../engine/optimizer';
import { createRng, shuffle } from '../engine/rng';
import { learningRateAt } from '../engine/schedule';
import type { Tokenizer } from '../engine/tokenizer';
import { swapPair, type Pair } from '../rm/pair';
import { stepSeed } from '../engine/sampling';
import {
  createStagedStep,
  grpoStep,
  type GrpoConfig,
  type GrpoModels,
  type GrpoStepReport,
  type StagedStep,
} from './grpo_step';

export interface GrpoSchedule {
  steps: number; // optimizer steps (× μ updates each)
  lr: number; // peak learning rate
  warmupSteps: number;
  schedule: 'cosine' | 'constant';
  weightDecay: number;
  seed: number; // pair order and sampling
  bothOrders: boolean; // each pair judged as given and swapped in the same step
}

export const GRPO_DEFAULTS: GrpoConfig & GrpoSchedule = {
  numGenerations: 6, // G: RM-R1 uses 7; 6 keeps a tiny batch even
  promptsPerStep: 8,
  temperature: 1.0, // RM-R1
  topP: 1, // RM-R1
  maxCompletionLength: 144, // compact traces are ≤ ~130 tokens (+ <eos>): a correct one is never cut off
  beta: 0.001, // RM-R1's KL coefficient
  epsilon: 0.2,
  epsilonHigh: 0.28, // clip-higher keeps exploration alive on a tiny model
  numIterations: 1, // μ
  scaleRewards: 'group',
  lossType: 'token_mean',
  maxGradNorm: 1,
  lengthBucket: 16,
  steps: 60,
  lr: 1e-3,
  warmupSteps: 5,
  schedule: 'constant',
  weightDecay: 0,
  seed: 1,
  bothOrders: false,
};

/** A frozen copy of the parameters (the reference model π_ref). */
export function frozenCopy(params: ModelParams): ModelParams {
  return Object.fromEntries(Object.entries(params).map(([n, v]) => [n, tf.tidy(() => tf.variable(v.clone(), false))]));
}

export interface GrpoRun {
  readonly models: GrpoModels;
  /** Optimizer steps taken. */
  stepsDone(): number;
  done(): boolean;
  /** Runs the next step's five stages. */
  step(): Promise<GrpoStepReport>;
  /** The next step as a stage-by-stage state machine (the step-through); counts as taken once begun. */
  begin(measureChange?: boolean): StagedStep;
  dispose(): void;
}

export function createGrpoRun(
  policy: ModelParams,
  cfg: LlamaConfig,
  tok: Tokenizer,
  g: GrpoConfig & GrpoSchedule,
  pairs: Pair[],
): GrpoRun {
  const usable = pairs.filter((p) => p.winner === 'A' || p.winner === 'B');
  if (g.bothOrders && g.promptsPerStep % 2 !== 0)
    throw new Error(`GRPO with both orders needs an even number of prompts per step, got ${g.promptsPerStep}`);
  if (usable.length < g.promptsPerStep)
    throw new Error(`GRPO needs at least ${g.promptsPerStep} labelled A/B pairs, got ${usable.length}`);
  const reference = frozenCopy(policy);
  const optimizer = createAdamW(policy, { lr: g.lr, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: g.weightDecay });
  const models: GrpoModels = { cfg, tok, policy, reference, optimizer };
  const rng = createRng(g.seed);
  let order: Pair[] = [];
  let t = 0;
  const next = (measureChange: boolean) => {
    const fresh = g.bothOrders ? g.promptsPerStep / 2 : g.promptsPerStep;
    if (order.length < fresh) order = [...order, ...shuffle([...usable], rng)];
    const taken = order.splice(0, fresh);
    // Both orders in one batch: a verdict that follows the position, not the content, earns +1 in one
    // order and −1 in the other, so its gradient cancels and what is left rewards reading.
    const batch = g.bothOrders ? [...taken, ...taken.map(swapPair)] : taken;
    const lr = learningRateAt(t, {
      peakLr: g.lr,
      warmupSteps: g.warmupSteps,
      totalSteps: g.steps,
      schedule: g.schedule,
      minLrRatio: 0.1,
    });
    const o = { step: t, seed: stepSeed(g.seed, t), lr, measureChange };
    t++;
    return { batch, o };
  };
  return {
    models,
    stepsDone: () => t,
    done: () => t >= g.steps,
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
      tf.dispose(Object.values(reference));
    },
  };
}
