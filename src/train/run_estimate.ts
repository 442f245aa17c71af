// How long a run will take on some measured step times (engine/backend_choice.ts's StepTimes: a warm training
// step of B × T tokens, warm decode steps of a small and a large batch), before it starts. Each phase is
// counted in the units the pipeline runs (pipeline.ts): distillation steps of the recipe's batch and length,
// evaluation batches (prefill + decode steps), GRPO steps (sample G judgements per prompt, ℓp_ref, μ loss
// passes with backward, Σ ℓp after each update). Costs scale from the probe: training and forward passes by
// tokens, a decode step affinely in its rows (a fixed part per step, a part per row that grows with the
// cache it reads). The lengths come from a sample of the run's own world (runShapes). Leaves out checkpoint
// writes and data generation (seconds); assumes judgements as long as the oracle's, which a judge that has
// not learned the format overruns (up to the completion cap).
import type { StepTimes } from '../engine/backend_choice';
import type { LlamaConfig } from '../engine/config';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { oracleTrace } from '../rm/oracle';
import { modelPrompt } from '../rm/cor_prompt';
import { makeSplits } from '../rm/world';
import { freshConfig, heldOutCount, type Phase, phasesOf, worldOptions } from './pipeline';
import type { RunConfig } from './run_config';
import { encodeExample } from './sft';

/** A forward pass costs this share of a training step over the same tokens (backward ≈ 2 forwards). */
export const FORWARD_SHARE = 1 / 3;
/** Share of GRPO steps whose sampled group holds a judgement that runs to the completion cap (τ = 1 over
 * 192 judgements): 13 of 40 in a measured run of the tiny judge; such a step decodes to the cap. */
export const GRPO_RUNAWAY = 1 / 3;
/** generate() reads the sampled tokens back every 16: a batch stops at the next multiple after its last eos. */
const READ_EVERY = 16;
/** Pairs drawn to measure the world's lengths: enough for the longest prompt and trace to show. */
const SAMPLE_PAIRS = 160;

/** The lengths and counts a run's cost depends on. */
export interface RunShapes {
  context: number; // the model's positions
  distill: number; // traced examples SFT trains on
  heldOut: number; // traced examples of SFT's held-out loss
  sftSeqLen: number; // mean padded length of a distillation batch
  promptLen: number; // the longest judge prompt: generation batches are left-padded to it
  traceLen: number; // the oracle's longest judgement, <eos> included
  evalRows: number; // judgements per evaluation (pairs × both orders × samples)
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The run's shapes, from a sample of its world through the model's tokenizer (a fresh model's unless given: a
 * real model's renders the prompts through its chat template; ~0.1 s). */
export function runShapes(
  run: RunConfig,
  { cfg, tok }: { cfg: LlamaConfig; tok: TextTokenizer } = freshConfig(run),
): RunShapes {
  const n = (k: number) => Math.min(k, SAMPLE_PAIRS);
  const w = makeSplits({ ...worldOptions(run), nDistill: n(run.world.nDistill), nGrpo: n(run.world.nGrpo), nEval: 0 });
  const traced = w.distill.map((d) => (run.noRubric ? oracleTrace(d.pair, { noRubric: true }) : d.trace));
  const ctx = cfg.max_position_embeddings;
  const rows = w.distill.map((d, i) => encodeExample(tok, { pair: d.pair, trace: traced[i] }, Infinity));
  const prompts = [...w.distill.map((d) => d.pair), ...w.grpo].map((p) => modelPrompt(tok, p).ids.length);
  const traces = traced.map((t) => tok.encode(t, { eos: true }).ids.length);
  const heldOut = heldOutCount(run.world.nDistill);
  return {
    context: ctx,
    distill: run.world.nDistill - heldOut,
    heldOut,
    sftSeqLen: Math.min(ctx, mean(rows.map((r) => roundUp(r.ids.length - 1, run.sft.lengthBucket)))),
    promptLen: Math.max(1, ...prompts),
    traceLen: Math.max(1, ...traces),
    evalRows: run.world.nEval * 2 * run.eval.samples,
  };
}

/** Per-token and per-step costs (ms) scaled from the probe's times. */
export interface UnitCosts {
  trainPerToken: number;
  forwardPerToken: number;
  /** One decode step of `rows` rows reading a cache of `cache` positions. */
  decode(rows: number, cache: number): number;
}

export function unitCosts(t: StepTimes): UnitCosts {
  const s = t.shape;
  const trainPerToken = t.trainMs / (s.batch * s.seqLen);
  const [b1, b2] = s.decodeBatches,
    [d1, d2] = t.decodeMs;
  const perRow = b2 > b1 ? Math.max(0, (d2 - d1) / (b2 - b1)) : d1 / b1;
  const fixed = Math.max(0, d1 - perRow * b1);
  return {
    trainPerToken,
    forwardPerToken: trainPerToken * FORWARD_SHARE,
    decode: (rows, cache) => fixed + perRow * rows * (cache / s.cacheLength),
  };
}

export interface PhaseEstimate {
  phase: Exclude<Phase, 'done'>;
  seconds: number;
}

export interface RunEstimate {
  phases: PhaseEstimate[];
  seconds: number; // all phases
}

/** One generate() call: prefill of the distinct left-padded prompts, then `steps` decode steps of all rows. */
function generateMs(u: UnitCosts, sh: RunShapes, rows: number, maxNew: number, steps: number, prompts = rows): number {
  const cache = sh.promptLen + Math.min(maxNew, sh.context - sh.promptLen);
  return prompts * sh.promptLen * u.forwardPerToken + steps * u.decode(rows, cache);
}

/** Decode steps of a batch whose longest judgement is `longest` tokens. */
const stepsFor = (longest: number, cap: number) => Math.min(cap, roundUp(longest, READ_EVERY));

function sftMs(run: RunConfig, sh: RunShapes, u: UnitCosts): number {
  const steps = Math.ceil(sh.distill / run.sft.batchSize) * run.sft.epochs;
  const losses = (run.sft.evalEvery > 0 ? Math.floor(steps / run.sft.evalEvery) : 0) + 1;
  const train = steps * run.sft.batchSize * sh.sftSeqLen * u.trainPerToken;
  return train + losses * sh.heldOut * sh.sftSeqLen * u.forwardPerToken;
}

function evalMs(run: RunConfig, sh: RunShapes, u: UnitCosts): number {
  const e = run.eval;
  const steps = stepsFor(sh.traceLen, e.maxCompletionLength);
  let ms = 0;
  for (let left = sh.evalRows; left > 0; left -= e.batchSize)
    ms += generateMs(u, sh, Math.min(left, e.batchSize), e.maxCompletionLength, steps);
  return ms;
}

function grpoStepMs(run: RunConfig, sh: RunShapes, u: UnitCosts): number {
  const g = run.grpo;
  const rows = g.promptsPerStep * g.numGenerations;
  const usual = stepsFor(sh.traceLen, g.maxCompletionLength);
  const steps = (1 - GRPO_RUNAWAY) * usual + GRPO_RUNAWAY * g.maxCompletionLength;
  const tokens = rows * (roundUp(sh.promptLen, g.lengthBucket) + roundUp(steps, g.lengthBucket));
  const passes = tokens * (u.forwardPerToken * (1 + g.numIterations) + u.trainPerToken * g.numIterations);
  const sampling = generateMs(u, sh, rows, g.maxCompletionLength, steps, g.promptsPerStep); // a group's prompt once
  return sampling + passes; // ℓp_ref + μ × (loss, Σ ℓp after)
}

/** The run's duration on these step times, phase by phase. */
export function estimateRun(run: RunConfig, sh: RunShapes, t: StepTimes): RunEstimate {
  const u = unitCosts(t);
  const ms: Record<Exclude<Phase, 'done'>, () => number> = {
    sft: () => sftMs(run, sh, u),
    'eval-sft': () => evalMs(run, sh, u),
    grpo: () => run.grpo.steps * grpoStepMs(run, sh, u),
    'eval-grpo': () => evalMs(run, sh, u),
  };
  const phases = phasesOf(run.stage)
    .filter((p): p is Exclude<Phase, 'done'> => p !== 'done')
    .map((phase) => ({ phase, seconds: ms[phase]() / 1000 }));
  return { phases, seconds: phases.reduce((a, p) => a + p.seconds, 0) };
}
