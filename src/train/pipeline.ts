// The RM-R1 recipe as one steppable state machine: reasoning distillation (SFT) on the traced split, a
// held-out evaluation, GRPO on label-only pairs, and another evaluation. Each `step()` does one unit of
// work — an SFT step, one evaluation batch, one GRPO step — and returns plain-data events. The CLI and the
// browser worker drive the same machine; pausing is not calling `step()`, and the GRPO step-through runs
// the next GRPO step stage by stage with `beginGrpoStep` / `finishGrpoStep`. Every checkpoint carries a
// resume snapshot (train/resume.ts), and `createPipeline(…, resume)` goes on from one. Settings the data
// cannot serve (no trace to distil, too few GRPO pairs) are refused when the pipeline is made, not later.
// Leaves out persistence (the host stores the events and checkpoint files) and where the data comes from
// (`worldData` builds the built-in synthetic world; a host may pass its own pairs, and traced ones from an
// import: `tracedExamples`). One code path for our models and real ones (an HF tokenizer with a chat template):
// the judge prompt, the distillation target and the verdict are read through cor_prompt.ts, which renders RM-R1's
// instruct prompt through the template for a real model and changes nothing for ours. With lora.rank > 0 the
// run trains LoRA adapters on the frozen model (engine/lora.ts): checkpoints hold the merged weights (a real
// model's in Hugging Face layout with its tokenizer files, which the judge loads like the base) and the adapter as
// PEFT writes it (adapter/), and between the stages the adapters are folded into the base, so GRPO's π_ref
// (adapters off) is the distilled model. The adapter of a GRPO checkpoint is still on the run's original base:
// the distilled adapter and GRPO's stacked into one of rank 2r (lora.ts's stackAdapters), exact. A LoRA run's
// resume snapshot holds the adapters, the folded ones, and names the weights under them (resume.ts). With
// lora.base f16 on WebGPU the frozen base is half-precision words (engine/f16_base.ts) and the fold rounds it
// again; each SFT and GRPO metrics row logs the device memory the step held (device_bytes).
import * as tf from '@tensorflow/tfjs';
import { modelCheckpointFiles, type CheckpointFiles } from '../engine/checkpoint';
import { presetConfig, type LlamaConfig } from '../engine/config';
import { halveOnDevice } from '../engine/f16_base';
import { hasF16Weights, valueShape } from '../engine/f16_weights';
import { onWebGPU } from '../engine/kernels/fused';
import { throwIfDeviceError } from '../engine/device_errors';
import { deviceBytesHeld, resetDeviceBytesPeak, trimGpuPool } from '../engine/gpu_pool';
import { CHECKPOINT_ADAPTER_DIR, peftAdapterFiles } from '../engine/hf/peft';
import { addLora, isLoraName, loraParams, mergeAndResetLora, mergedParams, stackAdapters } from '../engine/lora';
import { initParams, type ModelParams } from '../engine/model';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { oracleTrace } from '../rm/oracle';
import type { Pair } from '../rm/pair';
import { makeSplits, type SplitOptions } from '../rm/world';
import { REASONING_TASKS } from '../rm/world_reasoning';
import type { ReasoningTask } from '../rm/world_truth';
import { namedTokenizer } from '../rm/world_vocab';
import { createEvaluator, type EvalReport, type Evaluator } from './evaluate';
import { grpoPool, judgeRoom, poolRecord, type GrpoPoolRecord } from './grpo_pool';
import { createGrpoRun, drawablePairs, type GrpoRun } from './grpo_run';
import type { StagedStep } from './grpo_step';
import type { GrpoStepReport } from './grpo_types';
import type { PipelineResume, PipelineSnapshot, ResumeState } from './resume';
import { loraOf, runWeights, type RunConfig } from './run_config';
import { createSftRun, type SftExample, type SftResume, type SftRun } from './sft';

export type Phase = 'sft' | 'eval-sft' | 'grpo' | 'eval-grpo' | 'done';
const PHASE_NAMES: Record<Exclude<Phase, 'done'>, string> = {
  sft: 'distillation',
  'eval-sft': 'evaluation after distillation',
  grpo: 'GRPO',
  'eval-grpo': 'evaluation after GRPO',
};

/** Which phases a run's `stage` setting runs, in order. */
export function phasesOf(stage: RunConfig['stage']): Phase[] {
  if (stage === 'sft') return ['sft', 'eval-sft', 'done'];
  if (stage === 'grpo') return ['grpo', 'eval-grpo', 'done'];
  return ['sft', 'eval-sft', 'grpo', 'eval-grpo', 'done'];
}

export interface PipelineData {
  distill: SftExample[]; // traced pairs for SFT
  distillHeldOut: SftExample[]; // traced pairs for SFT's held-out loss
  grpo: Pair[]; // label-only pairs
  eval: Pair[]; // held-out pairs for accuracy
}

/** 'add,sub' → the task list; throws naming an unknown task, or an empty list. */
export function parseReasoningTasks(list: string): ReasoningTask[] {
  const tasks = list
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const bad = tasks.filter((t) => !(REASONING_TASKS as readonly string[]).includes(t));
  if (bad.length > 0 || tasks.length === 0) {
    throw new Error(
      `world.reasoningTasks: ` +
        `${bad.length ? `unknown task ${bad.map((b) => `"${b}"`).join(', ')}` : 'no task given'}; ` +
        `choose from ${REASONING_TASKS.join(', ')}`,
    );
  }
  return tasks as ReasoningTask[];
}

/** The run's world settings as the generator takes them. */
export function worldOptions(run: RunConfig): SplitOptions {
  const { reasoningTasks, ...knobs } = run.world;
  return { seed: run.seed, ...knobs, reasoningTasks: parseReasoningTasks(reasoningTasks) };
}

/** How many of n traced pairs are held out for SFT's loss: 5%, at least 8. */
export const heldOutCount = (n: number): number => Math.min(n, Math.max(8, Math.round(n * 0.05)));

/** The synthetic world's splits as a run uses them: each traced pair with the trace it distils on (the
 * no-rubric ablation's when set), 5% of them held out for the SFT loss. */
export function worldSplits(run: RunConfig) {
  const world = makeSplits(worldOptions(run));
  const traced = world.distill.map((d) => ({
    pair: d.pair,
    trace: run.noRubric ? oracleTrace(d.pair, { noRubric: true }) : d.trace,
  }));
  const nHeld = heldOutCount(traced.length);
  return { distill: traced.slice(nHeld), distillHeldOut: traced.slice(0, nHeld), grpo: world.grpo, eval: world.eval };
}

/** The built-in data: the synthetic world's splits. */
export function worldData(run: RunConfig): PipelineData {
  const w = worldSplits(run);
  const ex = (traced: typeof w.distill): SftExample[] => traced.map((d) => ({ pair: d.pair, trace: d.trace }));
  return { distill: ex(w.distill), distillHeldOut: ex(w.distillHeldOut), grpo: w.grpo, eval: w.eval };
}

/** Distillation examples from imported pairs that carry a judge trace: RM-R1's SFT records keep theirs in
 * `meta.trace` (importers/rm_r1.ts); pairs without one are left out. */
export function tracedExamples(pairs: Pair[]): SftExample[] {
  return pairs.flatMap((p) => (typeof p.meta?.trace === 'string' ? [{ pair: p, trace: p.meta.trace }] : []));
}

/** The data a run trains on: the world's splits, with an imported dataset's traced pairs (5% held out for the
 * loss) distilled on instead of the oracle's traces, and a dataset's labelled pairs for GRPO instead of the
 * world's. The CLI's --distill / --grpo-data and the page's choices both come through here. */
export function runData(run: RunConfig, imported: { distillPairs?: Pair[]; grpoPairs?: Pair[] } = {}): PipelineData {
  const data = worldData(run);
  if (imported.distillPairs) {
    const traced = tracedExamples(imported.distillPairs);
    if (traced.length === 0)
      throw new Error(
        `distillation dataset: none of its ${imported.distillPairs.length} pairs carries a judge trace ` +
          "(RM-R1's SFT records do)",
      );
    const nHeld = heldOutCount(traced.length);
    if (nHeld === traced.length)
      throw new Error(
        `distillation dataset: its ${traced.length} traced pairs are all held out for the loss (5%, at least 8); ` +
          'it needs more to train on',
      );
    Object.assign(data, { distill: traced.slice(nHeld), distillHeldOut: traced.slice(0, nHeld) });
  }
  if (imported.grpoPairs) data.grpo = imported.grpoPairs;
  return data;
}

/** One row of metrics.jsonl: TRL's names (train/metrics.ts), `step` counted within the stage. */
export interface MetricsRow {
  stage: 'sft' | 'grpo' | 'eval';
  step: number;
  elapsed: number;
  [key: string]: number | string;
}

export type PipelineEvent =
  | { kind: 'phase'; phase: Phase }
  | { kind: 'note'; message: string }
  | { kind: 'metrics'; row: MetricsRow }
  | { kind: 'grpo-step'; report: GrpoStepReport }
  | { kind: 'eval-progress'; after: 'sft' | 'grpo'; done: number; total: number }
  | { kind: 'eval'; after: 'sft' | 'grpo'; report: EvalReport }
  | { kind: 'grpo-pool'; pool: GrpoPoolRecord }
  | CheckpointEvent;

/** A checkpoint of the current weights; `step` counts the steps of the training stage they come from. */
export interface CheckpointEvent {
  kind: 'checkpoint';
  name: string;
  phase: Phase;
  step: number;
  files: CheckpointFiles;
  resume?: PipelineSnapshot; // how to go on from these weights (none once the run is done)
}

export interface PhaseProgress {
  phase: Exclude<Phase, 'done'>;
  done: number;
  total: number;
}

export interface Pipeline {
  readonly config: RunConfig;
  readonly params: ModelParams;
  readonly cfg: LlamaConfig;
  readonly tok: TextTokenizer;
  phase(): Phase;
  /** done/total units of every phase of this run (SFT steps, evaluation rows, GRPO steps). */
  progress(): PhaseProgress[];
  done(): boolean;
  /** One unit of work. */
  step(): Promise<PipelineEvent[]>;
  /** In the GRPO phase: the next GRPO step as a stage machine; hand its report to `finishGrpoStep`. */
  beginGrpoStep(measureChange?: boolean): StagedStep | null;
  finishGrpoStep(report: GrpoStepReport): Promise<PipelineEvent[]>;
  /** The current parameters as a checkpoint named `name` (one readback), e.g. 'stopped' on stop. Its step is
   *  the step count of the phase's training stage: SFT steps during SFT and its evaluation, GRPO steps during
   *  GRPO and its evaluation. */
  checkpoint(name: string): Promise<CheckpointEvent>;
  dispose(): void;
}

export interface PipelineModel {
  params: ModelParams;
  cfg: LlamaConfig;
  tok: TextTokenizer;
  tokenizerFiles?: Record<string, Uint8Array>; // a real model's: its checkpoints carry them
  name?: string; // where it was loaded from (a Hub id, a folder): a LoRA checkpoint's adapter names it as its base
}

/** A new model for a run: its preset, its tokenizer, weights from its seed. */
export function freshModel(run: RunConfig): PipelineModel {
  const { cfg, tok } = freshConfig(run);
  const params = initParams(cfg, run.seed);
  if (runWeights(run) === 'f16' && onWebGPU()) halveOnDevice(params); // a LoRA run's frozen base (f16_base.ts)
  return { params, cfg, tok };
}

/** A new model's config and tokenizer for a run: its preset with its tokenizer's vocabulary. */
export function freshConfig(run: Pick<RunConfig, 'preset' | 'tokenizer'>) {
  const tok = namedTokenizer(run.tokenizer);
  const cfg = presetConfig(run.preset, {
    vocab_size: tok.vocabSize,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
  });
  return { cfg, tok };
}

export { selectCategories } from './grpo_pool';

/** The most device memory held since the step began (gpu_pool.ts, its trims included); none on the CPU. */
function deviceBytes(): { device_bytes?: number } {
  const held = deviceBytesHeld();
  return held === null ? {} : { device_bytes: held };
}

/** The adapters' values by name (one readback each): what a LoRA run's resume snapshot holds. */
async function readAdapters(params: ModelParams): Promise<Record<string, Float32Array>> {
  const entries = Object.entries(loraParams(params));
  const data = await Promise.all(entries.map(([, v]) => v.data<'float32'>()));
  return Object.fromEntries(entries.map(([n], i) => [n, new Float32Array(data[i])]));
}

/** Refuses, before any work, settings the data cannot serve. */
function checkData(run: RunConfig, data: PipelineData, grpoPairs: Pair[]): void {
  const phases = phasesOf(run.stage);
  if (phases.includes('sft') && data.distill.length === 0)
    throw new Error(
      `SFT: no traced pair to distil (${data.distillHeldOut.length} are held out for its loss); ` +
        `raise world.nDistill (now ${run.world.nDistill})`,
    );
  if (phases.includes('grpo')) drawablePairs(run.grpo, grpoPairs);
}

/** Where a run starts: its first phase, or where a resume snapshot says. */
function startingPoint(run: RunConfig, resume?: PipelineResume) {
  const phases = phasesOf(run.stage);
  const at = resume ? phases.indexOf(resume.state.phase) : 0;
  if (resume) {
    const { state: s, optimizer, reference, adapters } = resume;
    const lora = loraOf(run) !== null;
    const problem =
      at < 0
        ? `a ${run.stage} run has no ${s.phase} phase`
        : lora !== (adapters !== undefined)
          ? lora
            ? 'a LoRA run needs its adapters (adapters.safetensors), which this snapshot lacks'
            : 'it holds LoRA adapters but this run has lora.rank 0'
          : s.phase === 'sft' && s.steps.sft > 0 && !optimizer
            ? `SFT is at step ${s.steps.sft} but the optimizer state is missing`
            : s.grpo && (!optimizer || (!lora && !reference))
              ? 'GRPO is under way but its optimizer state or reference model is missing'
              : null;
    if (problem) throw new Error(`resume snapshot: ${problem}`);
  }
  return { phases, at, steps: resume?.state.steps ?? { sft: 0, grpo: 0 }, elapsed: resume?.state.elapsed ?? 0 };
}

export function createPipeline(
  run: RunConfig,
  model: PipelineModel,
  data: PipelineData,
  resume?: PipelineResume,
): Pipeline {
  const { params, cfg, tok, tokenizerFiles, name: baseModel = '' } = model;
  const start = startingPoint(run, resume);
  const { phases } = start;
  let at = start.at;
  const t0 = performance.now();
  const elapsed = () => start.elapsed + (performance.now() - t0) / 1000;
  const notes: string[] = [];

  // GRPO prompts must leave room to judge; longer ones (imported data) are left out, and said so.
  const room = judgeRoom(run.grpo.maxCompletionLength);
  const pool = grpoPool(data.grpo, run.grpo.categories, tok, cfg.max_position_embeddings, room);
  const { chosen, fitting: grpoPairs } = pool;
  if (chosen.length < data.grpo.length)
    notes.push(`GRPO on ${chosen.length} of ${data.grpo.length} pairs: grpo.categories = ${run.grpo.categories}`);
  if (grpoPairs.length < chosen.length)
    notes.push(
      `GRPO: ${chosen.length - grpoPairs.length} of ${chosen.length} pairs left out: their prompt leaves fewer ` +
        `than ${room} tokens of the ${cfg.max_position_embeddings}-token context`,
    );
  checkData(run, data, grpoPairs);
  if (resume) notes.length = 0; // the run's record has them from its start
  const lora = loraOf(run);
  // resumed: the model is the weights under the adapters (resume.ts), and the adapters are the snapshot's
  if (lora) addLora(params, cfg, lora, resume?.adapters ? { weights: resume.adapters } : { seed: run.seed });
  if (lora && run.lora.base === 'f16' && !hasF16Weights(params))
    notes.push(
      `LoRA: the frozen base is float32, not lora.base f16: ${
        onWebGPU()
          ? 'a weight is past half precision’s range (the load said which)'
          : `half precision runs on WebGPU only (the backend is ${tf.getBackend()})`
      }`,
    );

  // LoRA: whether the distilled adapters are folded into the base yet (a resume says where it stands)
  let folded = resume?.state.base === 'sft';
  // LoRA: the distilled adapters once final (the checkpoint after SFT), kept on the host to stack under GRPO's;
  // a resume past SFT has them in its snapshot (folded) or as its adapters (not folded yet)
  let distilled = folded ? resume?.folded : resume && resume.state.phase !== 'sft' ? resume.adapters : undefined;
  if (lora && folded && !distilled)
    notes.push(
      'LoRA: this snapshot predates keeping the distilled adapters, so its checkpoints carry the merged weights ' +
        'but no adapter on the original base',
    );
  let sft: SftRun | null = null;
  let grpo: GrpoRun | null = null;
  let evaluator: Evaluator | null = null;
  const sftTotal = Math.ceil(data.distill.length / run.sft.batchSize) * run.sft.epochs;
  const done: Record<Exclude<Phase, 'done'>, number> = { ...start.steps, 'eval-sft': 0, 'eval-grpo': 0 };
  // rows to judge: pairs × 2 orders × samples, exact once the evaluator has left out prompts too long to judge
  const total: Record<Exclude<Phase, 'done'>, number> = {
    sft: sftTotal,
    grpo: run.grpo.steps,
    'eval-sft': 0,
    'eval-grpo': 0,
  };
  total['eval-sft'] = total['eval-grpo'] = data.eval.filter((p) => p.winner !== 'tie').length * 2 * run.eval.samples;

  const phase = () => phases[at];
  const advance = (): PipelineEvent[] => {
    at++;
    return [{ kind: 'phase', phase: phase() }];
  };
  const newSft = (r?: SftResume) => createSftRun(params, cfg, tok, run.sft, data.distill, data.distillHeldOut, r);
  // the stage a run starts or resumes in is set up now, so what it refuses is refused at the start
  try {
    if (phase() === 'sft')
      sft = newSft(resume?.optimizer ? { step: done.sft, optimizer: resume.optimizer } : undefined);
    const g = resume?.state.grpo;
    if (g && resume?.optimizer && (lora || resume.reference))
      grpo = createGrpoRun(params, cfg, tok, run.grpo, grpoPairs, {
        state: { ...g, optimizer: resume.optimizer },
        reference: resume.reference, // none with LoRA: π_ref is the policy with its adapters off
      });
  } catch (e) {
    sft?.dispose(); // π_ref stays the caller's until the pipeline is made
    throw e;
  }

  /** How to go on from the current weights in phase `resumeAt` (nothing once the run is done). */
  async function snapshot(
    c: ResumeState['checkpoint'],
    resumeAt: Phase,
    current?: Record<string, Float32Array>,
  ): Promise<PipelineSnapshot | undefined> {
    if (resumeAt === 'done') return undefined;
    // GRPO after distillation: π_ref is the 'sft' checkpoint's weights
    const fromSft = (resumeAt === 'grpo' || resumeAt === 'eval-grpo') && run.stage === 'both';
    const state: ResumeState = {
      checkpoint: c,
      phase: resumeAt,
      steps: { sft: done.sft, grpo: done.grpo },
      elapsed: elapsed(),
      ...(lora ? { base: folded ? 'sft' : 'start' } : {}),
    };
    const folds = folded && distilled ? { folded: distilled } : {};
    const adapters = lora ? { adapters: current ?? (await readAdapters(params)), ...folds } : {};
    if (resumeAt === 'sft' && sft) return { state, optimizer: (await sft.snapshot()).optimizer, ...adapters };
    if (resumeAt !== 'grpo' || !grpo) return { state, optimizer: null, ...adapters };
    const { optimizer, ...g } = await grpo.snapshot();
    const reference = lora ? {} : { reference: fromSft ? ('sft' as const) : ('start' as const) };
    return { state: { ...state, grpo: { ...g, ...reference } }, optimizer, ...adapters };
  }
  const checkpointEvent = async (name: string, step: number, resumeAt = phase()): Promise<CheckpointEvent> => {
    const c = { name, phase: phase(), step };
    const weights = mergedParams(params); // a plain checkpoint: with LoRA, W + s·B·A
    let files: CheckpointFiles;
    try {
      files = await modelCheckpointFiles(weights.params, cfg, tok, tokenizerFiles);
    } finally {
      weights.dispose();
    }
    const current = lora ? await readAdapters(params) : undefined;
    if (current) Object.assign(files, adapterFiles(current));
    return { kind: 'checkpoint', ...c, files, resume: await snapshot(c, resumeAt, current) };
  };

  /** The adapter on the run's original base as PEFT files in adapter/: GRPO's stacked on the distilled one once
   *  that is folded in (none for a snapshot from before the folded adapters were kept: said in a note). */
  function adapterFiles(current: Record<string, Float32Array>): CheckpointFiles {
    if (!lora || (folded && !distilled)) return {};
    const { settings, weights } =
      folded && distilled ? stackAdapters(distilled, current, lora) : { settings: lora, weights: current };
    const base = Object.fromEntries(
      Object.entries(params).flatMap(([n, v]) => (isLoraName(n) ? [] : [[n, valueShape(v)]])),
    );
    const files = peftAdapterFiles(weights, cfg, settings, baseModel, base);
    return Object.fromEntries(Object.entries(files).map(([n, b]) => [`${CHECKPOINT_ADAPTER_DIR}/${n}`, b]));
  }

  async function sftStep(): Promise<PipelineEvent[]> {
    sft ??= newSft();
    const r = await sft.step();
    done.sft = r.step;
    const row: MetricsRow = {
      stage: 'sft',
      step: r.step,
      elapsed: elapsed(),
      loss: r.loss,
      grad_norm: r.gradNorm,
      learning_rate: r.lr,
      tokens_per_second: r.tokens / r.seconds,
      ...deviceBytes(),
    };
    if (r.evalLoss !== undefined) row.eval_loss = r.evalLoss;
    const events: PipelineEvent[] = [{ kind: 'metrics', row }];
    if (run.checkpointEvery > 0 && r.step % run.checkpointEvery === 0 && !sft.done())
      events.push(await checkpointEvent('latest', r.step));
    if (sft.done()) {
      sft.dispose();
      sft = null;
      if (lora) distilled = await readAdapters(params); // what GRPO's adapters will sit on
      events.push(await checkpointEvent('sft', r.step, phases[at + 1]), ...advance());
    }
    return events;
  }

  async function evalStep(after: 'sft' | 'grpo'): Promise<PipelineEvent[]> {
    const p = phase() as 'eval-sft' | 'eval-grpo';
    if (!evaluator) {
      evaluator = createEvaluator(params, cfg, tok, data.eval, { ...run.eval, seed: run.seed });
      total[p] = evaluator.total;
    }
    const n = evaluator.done() ? evaluator.total : await evaluator.step();
    done[p] = n;
    const events: PipelineEvent[] = [{ kind: 'eval-progress', after, done: n, total: evaluator.total }];
    if (evaluator.done()) {
      const report = evaluator.report();
      evaluator = null;
      const row: MetricsRow = {
        stage: 'eval',
        step: after === 'sft' ? done.sft : done.grpo,
        elapsed: elapsed(),
        after,
        eval_accuracy: report.overall.accuracy,
        position_consistency: report.positionConsistency,
        unparseable: report.unparseableRate,
      };
      for (const [c, a] of Object.entries(report.perCategory)) row[`eval_accuracy/${c}`] = a.accuracy;
      events.push({ kind: 'eval', after, report }, { kind: 'metrics', row }, ...advance());
    }
    return events;
  }

  const grpoRun = () => {
    // LoRA after distillation: fold the adapters in, so π_ref (adapters off) is the distilled model
    if (!grpo && lora && phases.includes('sft') && !folded) {
      mergeAndResetLora(params, run.seed + 1);
      folded = true; // the base is now the 'sft' checkpoint's weights (W + s·B·A, computed alike)
    }
    grpo ??= createGrpoRun(params, cfg, tok, run.grpo, grpoPairs);
    return grpo;
  };

  // the run's record of its GRPO pairs goes out once, with the first notes
  const once: PipelineEvent[] = [{ kind: 'grpo-pool', pool: poolRecord(pool) }];
  const flushNotes = (): PipelineEvent[] => [
    ...notes.splice(0).map((message): PipelineEvent => ({ kind: 'note', message })),
    ...once.splice(0),
  ];

  async function finishGrpoStep(report: GrpoStepReport): Promise<PipelineEvent[]> {
    const g = grpoRun();
    done.grpo = g.stepsDone();
    const row: MetricsRow = {
      stage: 'grpo',
      step: report.step,
      elapsed: elapsed(),
      ...report.metrics,
      ...deviceBytes(),
    };
    throwIfDeviceError(`GRPO, step ${done.grpo}`); // before its metrics are kept: a failed dispatch computed nothing
    trimGpuPool(); // each step's lengths differ: their freed buffers would pile up
    const events: PipelineEvent[] = [...flushNotes(), { kind: 'grpo-step', report }, { kind: 'metrics', row }];
    if (g.done()) {
      g.dispose();
      grpo = null;
      events.push(await checkpointEvent('grpo', done.grpo, phases[at + 1]), ...advance());
    } else if (run.checkpointEvery > 0 && done.grpo % run.checkpointEvery === 0) {
      events.push(await checkpointEvent('latest', done.grpo));
    }
    return events;
  }

  return {
    config: run,
    params,
    cfg,
    tok,
    phase,
    done: () => phase() === 'done',
    progress: () =>
      phases
        .filter((p): p is Exclude<Phase, 'done'> => p !== 'done')
        .map((p) => ({ phase: p, done: done[p], total: total[p] })),
    async step() {
      const during = phase();
      if (during === 'done') return flushNotes();
      resetDeviceBytesPeak();
      if (during === 'grpo') return finishGrpoStep(await grpoRun().step()); // checks the device itself
      const events = [
        ...flushNotes(),
        ...(await (during === 'sft' ? sftStep() : evalStep(during === 'eval-sft' ? 'sft' : 'grpo'))),
      ];
      throwIfDeviceError(`${PHASE_NAMES[during]}, step ${done[during]}`);
      trimGpuPool();
      return events;
    },
    beginGrpoStep(measureChange = true) {
      if (phase() !== 'grpo') return null;
      resetDeviceBytesPeak();
      return grpoRun().begin(measureChange);
    },
    finishGrpoStep,
    checkpoint(name) {
      const p = phase();
      const sftWeights = p === 'sft' || p === 'eval-sft' || (p === 'done' && !phases.includes('grpo'));
      return checkpointEvent(name, sftWeights ? done.sft : done.grpo);
    },
    dispose() {
      sft?.dispose();
      grpo?.dispose();
      sft = grpo = evaluator = null; // the parameters belong to the caller
    },
  };
}
