// A run's resume snapshot: what the weights of its checkpoint lack to continue the same run exactly — the
// phase and step counters, AdamW's moments and step count, GRPO's pair-order RNG state and queue, and which
// weights are GRPO's frozen reference. Batch order, schedules and sampling seeds are pure functions of the
// seeds and step counts (sft.ts, grpo_run.ts), so they need nothing. Stored beside the checkpoint as two
// files: resume.json and optimizer.safetensors (each moment flattened, named `<param>.exp_avg` and
// `<param>.exp_avg_sq` as torch.optim.AdamW names them, the step count in the metadata). A LoRA run's checkpoint
// holds merged weights (W + s·B·A), which cannot be split again exactly: its snapshot also holds the adapters
// (adapters.safetensors, by their PEFT-style names) and names the weights they sit on — the run's start, or its
// 'sft' checkpoint once the distilled adapters are folded in, which it then keeps too (folded_adapters.safetensors,
// so a checkpoint's adapter stays on the original base) — and the run goes on from those. An evaluation
// phase restarts from its start: its report is written whole at its end.
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles, type CheckpointFiles } from '../engine/checkpoint';
import { tensorProblems } from '../engine/hf/weights';
import type { ModelParams } from '../engine/model';
import { isLoraName } from '../engine/lora';
import type { AdamWSnapshot } from '../engine/optimizer';
import { readSafetensors, writeSafetensors } from '../engine/safetensors';
import type { GrpoResume } from './grpo_run';
import { runCheckpointId, type CheckpointMeta, type LabStore, type RewindPoint, type RunRecord } from './lab_store';
import { freshModel, phasesOf, type Phase, type PipelineModel } from './pipeline';
import type { Pair } from '../rm/pair';
import { type RunConfig, runWeights } from './run_config';

export const RESUME_VERSION = 1;
export const STATE_FILE = 'resume.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const ADAPTERS_FILE = 'adapters.safetensors';
export const FOLDED_FILE = 'folded_adapters.safetensors';
/** A snapshot as stored: resume.json, and optimizer.safetensors while a training stage is under way. */
export type ResumeFiles = Record<string, Uint8Array>;

export interface ResumeState {
  /** The checkpoint holding the weights, as the pipeline named it (stored as the run's `<run id>-<name>`). */
  checkpoint: { name: string; phase: Phase; step: number };
  phase: Exclude<Phase, 'done'>; // where to go on; an evaluation restarts from its start
  steps: { sft: number; grpo: number }; // optimizer steps each stage has taken
  elapsed: number; // seconds of work so far: metrics' `elapsed` goes on from it
  /** GRPO under way: its position, and π_ref — the run's 'sft' checkpoint, or the weights it started from (none
   *  with LoRA: π_ref is the policy with its adapters off). */
  grpo?: Omit<GrpoResume, 'optimizer'> & { reference?: WeightsSource };
  /** LoRA: the weights under the adapters, the run's start or its 'sft' checkpoint (adapters folded in). */
  base?: WeightsSource;
}

/** Weights a resume reads besides its checkpoint: the run's 'sft' checkpoint, or the weights it started from. */
export type WeightsSource = 'sft' | 'start';

/** A snapshot as the pipeline makes it: AdamW's state when SFT or GRPO is under way, else null. */
export interface PipelineSnapshot {
  state: ResumeState;
  optimizer: AdamWSnapshot | null;
  adapters?: Record<string, Float32Array>; // LoRA: every adapter's values, by name
  folded?: Record<string, Float32Array>; // LoRA in GRPO after distillation: the distilled adapters folded in
}

/** What createPipeline resumes from: a snapshot, and π_ref when it continues GRPO (the pipeline owns it once
 * made; if createPipeline throws, the caller still does). */
export interface PipelineResume extends PipelineSnapshot {
  reference?: ModelParams;
}

const RESUMABLE: ResumeState['phase'][] = ['sft', 'eval-sft', 'grpo', 'eval-grpo'];
const MOMENTS = { m: 'exp_avg', v: 'exp_avg_sq' } as const;

export function encodeSnapshot(s: PipelineSnapshot): ResumeFiles {
  const json = JSON.stringify({ version: RESUME_VERSION, ...s.state }, null, 2);
  const files: ResumeFiles = { [STATE_FILE]: new TextEncoder().encode(`${json}\n`) };
  if (s.optimizer) {
    const tensors = Object.fromEntries(
      (['m', 'v'] as const).flatMap((k) =>
        Object.entries(s.optimizer![k]).map(([n, data]) => [`${n}.${MOMENTS[k]}`, { shape: [data.length], data }]),
      ),
    );
    files[OPTIMIZER_FILE] = writeSafetensors(tensors, { step: String(s.optimizer.step) });
  }
  for (const [file, adapters] of [
    [ADAPTERS_FILE, s.adapters],
    [FOLDED_FILE, s.folded],
  ] as const)
    if (adapters) {
      const tensors = Object.entries(adapters).map(([n, data]) => [n, { shape: [data.length], data }]);
      files[file] = writeSafetensors(Object.fromEntries(tensors), {});
    }
  return files;
}

/** Stored files → a snapshot; throws naming the file and what is wrong. */
export function decodeSnapshot(files: ResumeFiles): PipelineSnapshot {
  if (!(files[STATE_FILE] instanceof Uint8Array)) throw new Error(`resume snapshot: missing ${STATE_FILE}`);
  let stored: ResumeState & { version: number };
  try {
    stored = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files[STATE_FILE]));
  } catch (e) {
    throw new Error(`${STATE_FILE}: not valid JSON (${(e as Error).message})`);
  }
  const problems = stateProblems(stored);
  if (problems.length) throw new Error(`${STATE_FILE}: ${problems.join('; ')}`);
  const { version: _, ...state } = stored;
  const bytes = files[OPTIMIZER_FILE];
  const snapshot: PipelineSnapshot = { state, optimizer: bytes instanceof Uint8Array ? decodeOptimizer(bytes) : null };
  if (state.base && !(files[ADAPTERS_FILE] instanceof Uint8Array))
    throw new Error(`resume snapshot: missing ${ADAPTERS_FILE} (a LoRA run's adapters)`);
  if (state.base) snapshot.adapters = decodeAdapters(files[ADAPTERS_FILE], ADAPTERS_FILE);
  if (state.base && files[FOLDED_FILE] instanceof Uint8Array)
    snapshot.folded = decodeAdapters(files[FOLDED_FILE], FOLDED_FILE);
  return snapshot;
}

function stateProblems(s: ResumeState & { version: number }): string[] {
  if (typeof s !== 'object' || s === null) return ['not an object'];
  if (s.version !== RESUME_VERSION)
    return [`version ${s.version}; this version of Rubric Lab reads version ${RESUME_VERSION}`];
  const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  const problems: string[] = [];
  if (!RESUMABLE.includes(s.phase)) problems.push(`phase "${s.phase}" is not one of ${RESUMABLE.join(', ')}`);
  if (!count(s.steps?.sft) || !count(s.steps?.grpo)) problems.push('steps must hold sft and grpo step counts');
  if (typeof s.checkpoint?.name !== 'string' || !count(s.checkpoint?.step)) problems.push('checkpoint is incomplete');
  if (typeof s.elapsed !== 'number') problems.push('elapsed must be a number of seconds');
  if (s.grpo && (!count(s.grpo.step) || !Array.isArray(s.grpo.order) || typeof s.grpo.pairs !== 'string'))
    problems.push('grpo must hold step, rng, order and pairs');
  if (s.base !== undefined && s.base !== 'sft' && s.base !== 'start') problems.push('base must be "sft" or "start"');
  return problems;
}

function decodeOptimizer(bytes: Uint8Array): AdamWSnapshot {
  const where = OPTIMIZER_FILE;
  const { tensors, metadata } = readSafetensors(bytes);
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${where}: no step count in its metadata`);
  const out: AdamWSnapshot = { step, m: {}, v: {} };
  for (const [name, t] of Object.entries(tensors)) {
    const hit = (['m', 'v'] as const).find((k) => name.endsWith(`.${MOMENTS[k]}`));
    if (!hit) throw new Error(`${where}: tensor "${name}" is neither an exp_avg nor an exp_avg_sq`);
    out[hit][name.slice(0, -MOMENTS[hit].length - 1)] = t.data;
  }
  return out;
}

function decodeAdapters(bytes: Uint8Array, file: string): Record<string, Float32Array> {
  const { tensors } = readSafetensors(bytes);
  const bad = Object.keys(tensors).filter((n) => !isLoraName(n));
  if (bad.length) throw new Error(`${file}: "${bad[0]}" is not a LoRA adapter (….lora_A/B.weight)`);
  return Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.data]));
}

/** What a run's record keeps when it goes on from a snapshot: rows up to its steps, evaluations finished before. */
export function rewindPoint(state: ResumeState, stage: RunConfig['stage']): RewindPoint {
  const phases = phasesOf(stage);
  const before = phases.slice(0, phases.indexOf(state.phase));
  return {
    sft: state.steps.sft,
    grpo: state.steps.grpo,
    evals: before.flatMap((p) => (p === 'eval-sft' ? ['sft' as const] : p === 'eval-grpo' ? ['grpo' as const] : [])),
  };
}

/** The snapshot goes with this checkpoint: a page closed between saving the two leaves them apart. */
export function checkSnapshotCheckpoint(state: ResumeState, meta: CheckpointMeta | null): void {
  const c = state.checkpoint;
  if (!meta) throw new Error(`the checkpoint '${c.name}' the resume snapshot goes with is no longer stored`);
  if (meta.step !== c.step || meta.phase !== c.phase)
    throw new Error(
      `checkpoint '${c.name}' holds ${meta.phase} step ${meta.step} but the resume snapshot is for ${c.phase} ` +
        `step ${c.step} (the page closed between saving them); start a new run from checkpoint '${c.name}' instead`,
    );
}

/** Files a resume reads: the snapshot, its checkpoint, and π_ref's checkpoint when GRPO goes on from one, or
 * (LoRA) the weights under the adapters (absent for a run from fresh weights: they come again from the seed). */
export interface ResumeInputs {
  snapshot: ResumeFiles;
  checkpoint: CheckpointFiles;
  reference?: CheckpointFiles;
  base?: CheckpointFiles;
}

/**
 * What a stored run resumes from: its snapshot, the checkpoint it goes with (checked to match), π_ref's
 * checkpoint mid-GRPO or the weights under a LoRA run's adapters (the run's 'sft' checkpoint, or its start, which
 * `readStart` reads by the run's `init`), and the datasets it distilled and ran GRPO on. Throws saying what is
 * missing.
 */
export async function readResumeInputs(
  store: LabStore,
  run: RunRecord,
  readStart: (init: string) => Promise<CheckpointFiles | null>,
): Promise<ResumeInputs & { state: ResumeState; grpoPairs?: Pair[]; distillPairs?: Pair[] }> {
  const snapshot = await store.resumeSnapshot(run.id);
  if (!snapshot) throw new Error(`run ${run.name} has no resume point: it ended before its first checkpoint`);
  const { state } = decodeSnapshot(snapshot);
  const id = runCheckpointId(run.id, state.checkpoint.name);
  checkSnapshotCheckpoint(state, (await store.listCheckpoints()).find((c) => c.id === id) ?? null);
  const checkpoint = await store.checkpointFiles(id);
  if (!checkpoint) throw new Error(`the checkpoint '${state.checkpoint.name}' is no longer stored`);
  /** The weights `source` names; none for fresh weights. */
  const weights = async (source: WeightsSource | undefined, what: string) => {
    const files =
      source === 'sft'
        ? await store.checkpointFiles(runCheckpointId(run.id, 'sft'))
        : source === 'start' && run.init
          ? await readStart(run.init)
          : null;
    if (source === 'start' && run.init && !files)
      throw new Error(`resuming needs the checkpoint the run started from (${run.init}, ${what})`);
    return files ?? undefined;
  };
  const reference = await weights(state.grpo?.reference, 'the reference model');
  const base = await weights(state.base, 'the weights under its LoRA adapters');
  const pairsOf = async (d: RunRecord['grpoDataset']) => {
    const pairs = d ? await store.datasetPairs(d.id) : null;
    if (d && !pairs) throw new Error(`dataset ${d.name} is no longer stored`);
    return pairs ?? undefined;
  };
  const [grpoPairs, distillPairs] = [await pairsOf(run.grpoDataset), await pairsOf(run.distillDataset)];
  return { state, snapshot, checkpoint, reference, base, grpoPairs, distillPairs };
}

/** The model and the resume a pipeline goes on from; the caller owns both (π_ref passes to the pipeline). */
export function loadResume(config: RunConfig, files: ResumeInputs): { model: PipelineModel; resume: PipelineResume } {
  const snapshot = decodeSnapshot(files.snapshot);
  if (snapshot.state.base) {
    // LoRA: the weights under the adapters (the checkpoint holds them merged); the pipeline adds the adapters
    if (snapshot.state.base === 'sft' && !files.base)
      throw new Error("resuming a LoRA run needs its 'sft' checkpoint (the weights under its adapters)");
    const base = files.base ? modelFromFiles(files.base, { weights: runWeights(config) }) : freshModel(config);
    return { model: base, resume: snapshot };
  }
  const model = modelFromFiles(files.checkpoint);
  try {
    const source = snapshot.state.grpo?.reference;
    if (!source) return { model, resume: snapshot };
    if (source === 'sft' && !files.reference)
      throw new Error("resuming GRPO needs the run's 'sft' checkpoint (the reference model); it is no longer stored");
    const reference = files.reference ? modelFromFiles(files.reference).params : freshModel(config).params;
    const problems = tensorProblems(reference, model.cfg, 'the reference checkpoint');
    if (problems.length) {
      tf.dispose(Object.values(reference));
      throw new Error(`GRPO's reference model does not fit the run's: ${problems.join('; ')}`);
    }
    for (const v of Object.values(reference)) v.trainable = false; // π_ref is frozen
    return { model, resume: { ...snapshot, reference } };
  } catch (e) {
    tf.dispose(Object.values(model.params));
    throw e;
  }
}
