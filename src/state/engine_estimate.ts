// The run's duration before Start (train/run_estimate.ts) on the backend in use and, when another measured
// backend would be much faster, on that one. The draft's shapes come from a sample of its world (~0.1–0.3 s),
// kept while the settings that change them stay the same.
import type { BackendName } from '../engine/backend';
import {
  type BackendChoice,
  candidate,
  type CandidateId,
  formatDuration,
  type Measurement,
  modelKey,
  type StepTimes,
} from '../engine/backend_choice';
import type { KernelPath } from '../engine/kernel_choice';
import { freshConfig } from '../train/pipeline';
import type { RunConfig } from '../train/run_config';
import { estimateRun, type RunEstimate, type RunShapes, runShapes } from '../train/run_estimate';

/** Another backend is named when the run there would take at most this share of the time. */
export const ALTERNATIVE_SHARE = 2 / 3;

let last: { key: string; shapes: RunShapes } | null = null;

/** The settings a run's shapes depend on, as one key. */
export const shapesKey = (run: RunConfig): string =>
  JSON.stringify([run.preset, run.tokenizer, run.world, run.noRubric, run.sft.lengthBucket, run.eval]);

/** The draft's shapes; recomputed only when a setting they depend on changes. */
export function draftShapes(run: RunConfig): RunShapes {
  const key = shapesKey(run);
  if (last?.key !== key) last = { key, shapes: runShapes(run) };
  return last.shapes;
}

const modelKeys = new Map<string, string>();

/** The key of the draft's fresh model (its preset with its tokenizer), under which its step times are kept. */
export function draftModelKey(run: Pick<RunConfig, 'preset' | 'tokenizer'>): string {
  const id = `${run.preset}/${run.tokenizer}`;
  const key = modelKeys.get(id) ?? modelKey(freshConfig(run).cfg);
  modelKeys.set(id, key);
  return key;
}

/** The run's seconds on some step times: what the backend choice ranks by. */
export const runCost =
  (run: RunConfig) =>
  (t: StepTimes): number =>
    estimateRun(run, draftShapes(run), t).seconds;

/** The measured candidate a backend and kernel path are; null for backends that are never measured. */
export function candidateInUse(backend: BackendName, kernels: KernelPath | null): CandidateId | null {
  if (backend === 'wasm') return 'wasm';
  if (backend === 'webgpu') return kernels === 'fused' ? 'webgpu/fused' : 'webgpu/stock';
  return null;
}

export interface DraftEstimate {
  label: string; // the backend in use
  estimate: RunEstimate | null; // null: not measured for this model (note says why)
  note: string | null;
  alternative: { id: CandidateId; backend: BackendName; label: string; seconds: number } | null; // much faster there
}

/** The draft run on the backend in use, from this model's measurements. */
export function draftEstimate(
  run: RunConfig,
  measurements: readonly Measurement[] | undefined,
  inUse: CandidateId | null,
  backend: BackendName,
): DraftEstimate {
  const label = inUse ? candidate(inUse).label : backend.toUpperCase();
  const times = measurements?.find((m) => m.id === inUse);
  const seconds = (m: Measurement) => (m.times ? estimateRun(run, draftShapes(run), m.times).seconds : Infinity);
  const estimate = times?.times ? estimateRun(run, draftShapes(run), times.times) : null;
  const best = [...(measurements ?? [])].filter((m) => m.id !== inUse).sort((a, b) => seconds(a) - seconds(b))[0];
  const alternative =
    best?.times && (!estimate || seconds(best) <= ALTERNATIVE_SHARE * estimate.seconds)
      ? { id: best.id, backend: candidate(best.id).backend, label: candidate(best.id).label, seconds: seconds(best) }
      : null;
  const note = estimate
    ? null
    : measurements === undefined
      ? 'not measured yet for this model'
      : `${label} has no step times for this model${times?.note ? ` (${times.note})` : ''}`;
  return { label, estimate, note, alternative };
}

/** The run record's note on the backend: why it runs here, and the estimate before Start. */
export function backendNote(
  run: RunConfig,
  choice: BackendChoice | null,
  measurements: readonly Measurement[] | undefined,
  backend: BackendName | null,
  kernels: KernelPath | null,
): string | null {
  if (!choice || !backend) return null;
  const e = draftEstimate(run, measurements, candidateInUse(backend, kernels), backend);
  const est = e.estimate ? `; estimated before start on ${e.label}: ~${formatDuration(e.estimate.seconds)}` : '';
  return `${choice.reason}${est}`;
}
