// The RM-R1 recipe as one steppable state machine: reasoning distillation (SFT) on the traced split, a
// held-out evaluation, GRPO on label-only pairs, and another evaluation. Each `step()` does one unit of
// work — an SFT step, one evaluation batch, one GRPO step — and returns plain-data events. The CLI and the
// browser worker drive the same machine; pausing is not calling `step()`, and the GRPO step-through runs
// the next GRPO step stage by stage with `beginGrpoStep` / `finishGrpoStep`.
// Leaves out persistence (the host stores the events and checkpoint files) and where the data comes from
// (`worldData` builds the built-in synthetic world; a host may pass its own pairs).
import { encodeCheckpoint, paramsToCheckpoint, type CheckpointFiles } from '../engine/checkpoint';
import { presetConfig, type LlamaConfig } from '../engine/config';
import { throwIfDeviceError } from '../engine/device_errors';
import { trimGpuPool } from '../engine/gpu_pool';
import { initParams, type ModelParams } from '../engine/model';
import type { Tokenizer } from '../engine/tokenizer';
import { judgePrompt } from '../rm/cor_prompt';
import { oracleTrace } from '../rm/oracle';
import type { Pair } from '../rm/pair';
import { makeSplits, type SplitOptions } from '../rm/world';
import { REASONING_TASKS } from '../rm/world_reasoning';
import type { ReasoningTask } from '../rm/world_truth';
import { namedTokenizer } from '../rm/world_vocab';
import { createEvaluator, type EvalReport, type Evaluator } from './evaluate';
import { createGrpoRun, type GrpoRun } from './grpo_run';
import type { GrpoStepReport, StagedStep } from './grpo_step';
import type { RunConfig } from './run_config';
import { createSftRun, type SftExample, type SftRun } from './sft';

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

/** The built-in data: the synthetic world's splits (5% of the traced split held out for the SFT loss). */
export function worldData(run: RunConfig): PipelineData {
  const world = makeSplits(worldOptions(run));
  const ex = (traced: typeof world.distill): SftExample[] =>
    traced.map((d) => ({
      prompt: judgePrompt(d.pair).text,
      trace: run.noRubric ? oracleTrace(d.pair, { noRubric: true }) : d.trace,
    }));
  const nHeld = Math.min(world.distill.length, Math.max(8, Math.round(world.distill.length * 0.05)));
  return {
    distill: ex(world.distill.slice(nHeld)),
    distillHeldOut: ex(world.distill.slice(0, nHeld)),
    grpo: world.grpo,
    eval: world.eval,
  };
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
  | { kind: 'checkpoint'; name: string; phase: Phase; step: number; files: CheckpointFiles };

export interface PhaseProgress {
  phase: Exclude<Phase, 'done'>;
  done: number;
  total: number;
}

export interface Pipeline {
  readonly config: RunConfig;
  readonly params: ModelParams;
  readonly cfg: LlamaConfig;
  readonly tok: Tokenizer;
  phase(): Phase;
  /** done/total units of every phase of this run (SFT steps, evaluation rows, GRPO steps). */
  progress(): PhaseProgress[];
  done(): boolean;
  /** One unit of work. */
  step(): Promise<PipelineEvent[]>;
  /** In the GRPO phase: the next GRPO step as a stage machine; hand its report to `finishGrpoStep`. */
  beginGrpoStep(measureChange?: boolean): StagedStep | null;
  finishGrpoStep(report: GrpoStepReport): Promise<PipelineEvent[]>;
  /** The current parameters as checkpoint files (one readback), e.g. to save on stop. */
  checkpoint(): Promise<CheckpointFiles>;
  dispose(): void;
}

export interface PipelineModel {
  params: ModelParams;
  cfg: LlamaConfig;
  tok: Tokenizer;
}

/** A new model for a run: its preset, its tokenizer, weights from its seed. */
export function freshModel(run: RunConfig): PipelineModel {
  const tok = namedTokenizer(run.tokenizer);
  const cfg = presetConfig(run.preset, {
    vocab_size: tok.vocabSize,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
  });
  return { params: initParams(cfg, run.seed), cfg, tok };
}

/** The pairs whose category or `category/subset` is listed (comma-separated); all when the list is empty.
 * A name no pair carries is refused, naming the ones there are. */
export function selectCategories(pairs: Pair[], list: string): Pair[] {
  const names = list
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (!names.length) return pairs;
  const namesOf = (p: Pair) => (p.category ? [p.category, ...(p.subset ? [`${p.category}/${p.subset}`] : [])] : []);
  const known = new Set(pairs.flatMap(namesOf));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length)
    throw new Error(
      `grpo.categories: no GRPO pair is in ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
        `there are ${[...known].sort().join(', ')}`,
    );
  return pairs.filter((p) => namesOf(p).some((n) => names.includes(n)));
}

export function createPipeline(run: RunConfig, model: PipelineModel, data: PipelineData): Pipeline {
  const { params, cfg, tok } = model;
  const phases = phasesOf(run.stage);
  let at = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const notes: string[] = [];

  // GRPO prompts must leave room to judge; longer ones (imported data) are left out, and said so.
  const room = Math.min(32, run.grpo.maxCompletionLength);
  const chosen = selectCategories(data.grpo, run.grpo.categories);
  if (chosen.length < data.grpo.length)
    notes.push(`GRPO on ${chosen.length} of ${data.grpo.length} pairs: grpo.categories = ${run.grpo.categories}`);
  const grpoPairs = chosen.filter(
    (p) => tok.encode(judgePrompt(p).text, { bos: true }).ids.length + room <= cfg.max_position_embeddings,
  );
  if (grpoPairs.length < chosen.length)
    notes.push(
      `GRPO: ${chosen.length - grpoPairs.length} of ${chosen.length} pairs left out: their prompt leaves fewer ` +
        `than ${room} tokens of the ${cfg.max_position_embeddings}-token context`,
    );

  let sft: SftRun | null = null;
  let grpo: GrpoRun | null = null;
  let evaluator: Evaluator | null = null;
  const sftTotal = Math.ceil(data.distill.length / run.sft.batchSize) * run.sft.epochs;
  const done: Record<Exclude<Phase, 'done'>, number> = { sft: 0, 'eval-sft': 0, grpo: 0, 'eval-grpo': 0 };
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
  const checkpointEvent = async (name: string, step: number): Promise<PipelineEvent> => ({
    kind: 'checkpoint',
    name,
    phase: phase(),
    step,
    files: encodeCheckpoint(await paramsToCheckpoint(params, cfg, tok)),
  });

  async function sftStep(): Promise<PipelineEvent[]> {
    sft ??= createSftRun(params, cfg, tok, run.sft, data.distill, data.distillHeldOut);
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
    };
    if (r.evalLoss !== undefined) row.eval_loss = r.evalLoss;
    const events: PipelineEvent[] = [{ kind: 'metrics', row }];
    if (run.checkpointEvery > 0 && r.step % run.checkpointEvery === 0 && !sft.done())
      events.push(await checkpointEvent('latest', r.step));
    if (sft.done()) {
      sft.dispose();
      sft = null;
      events.push(await checkpointEvent('sft', r.step), ...advance());
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

  const grpoRun = () => (grpo ??= createGrpoRun(params, cfg, tok, run.grpo, grpoPairs));

  const flushNotes = (): PipelineEvent[] => notes.splice(0).map((message) => ({ kind: 'note', message }));

  async function finishGrpoStep(report: GrpoStepReport): Promise<PipelineEvent[]> {
    const g = grpoRun();
    done.grpo = g.stepsDone();
    const row: MetricsRow = { stage: 'grpo', step: report.step + 1, elapsed: elapsed(), ...report.metrics };
    throwIfDeviceError(`GRPO, step ${done.grpo}`); // before its metrics are kept: a failed dispatch computed nothing
    trimGpuPool(); // each step's lengths differ: their freed buffers would pile up
    const events: PipelineEvent[] = [...flushNotes(), { kind: 'grpo-step', report }, { kind: 'metrics', row }];
    if (g.done()) {
      g.dispose();
      grpo = null;
      events.push(await checkpointEvent('grpo', done.grpo), ...advance());
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
      return phase() === 'grpo' ? grpoRun().begin(measureChange) : null;
    },
    finishGrpoStep,
    async checkpoint() {
      return encodeCheckpoint(await paramsToCheckpoint(params, cfg, tok));
    },
    dispose() {
      sft?.dispose();
      grpo?.dispose();
      sft = grpo = evaluator = null; // the parameters belong to the caller
    },
  };
}
