// Which backend runs, chosen by measurement. At first use on a device (per adapter, browser and model) each
// candidate — WASM, WebGPU with stock tfjs ops, WebGPU with our fused kernels — times a warm training step
// and warm decode steps of the model (bench/step_times.ts), and the candidate whose run would end first is
// used; the cost of a run on some step times is the caller's (train/run_estimate.ts). WASM goes first: its
// whole probe sets WebGPU's budget, so a software adapter (SwiftShader) that needs minutes for its first step
// is stopped, never preferred over WASM without a measurement. The outcome is cached (keyed_cache.ts). An
// override (?backend=, the Engine panel, --backend) is honoured and says so. Every candidate not used carries
// its reason. Measuring is the caller's: in the browser a throwaway worker, terminated past its budget; in
// Node in-process (the budget is checked between steps).
import type { AdapterReport, BackendName } from './backend';
import type { LlamaConfig } from './config';
import { adapterName, type KernelMode, type KernelPath } from './kernel_choice';
import type { KeyedCache } from './keyed_cache';

export type CandidateId = 'wasm' | 'webgpu/stock' | 'webgpu/fused';

export interface Candidate {
  id: CandidateId;
  backend: BackendName;
  kernels: KernelPath;
  label: string;
}

/** In the order they are measured: WASM's probe sets the budget of the others. */
export const CANDIDATES: readonly Candidate[] = [
  { id: 'wasm', backend: 'wasm', kernels: 'stock', label: 'WASM' },
  { id: 'webgpu/stock', backend: 'webgpu', kernels: 'stock', label: 'WebGPU (stock ops)' },
  { id: 'webgpu/fused', backend: 'webgpu', kernels: 'fused', label: 'WebGPU (fused kernels)' },
];
export const candidate = (id: CandidateId): Candidate => CANDIDATES.find((c) => c.id === id)!;

/** What a probe runs (bench/step_times.ts): a training step of batch × seqLen, decode steps of each batch. */
export interface ProbeShape {
  batch: number;
  seqLen: number;
  decodeBatches: number[]; // rows decoded together: a small and a large batch, for a cost per row
  promptLength: number; // prefilled before the decode steps
  cacheLength: number; // KV-cache positions: prompt + the longest judgement a run generates
}

export interface StepTimes {
  shape: ProbeShape;
  firstStepMs: number; // the first training step, its shaders compiled in it
  trainMs: number; // a warm training step (mean of a few): forward, backward, clipping, AdamW, one readback
  decodeMs: number[]; // a warm decode step (sample + decode) of shape.decodeBatches[i] rows
  totalMs: number; // the whole probe, model set-up included
}

/** One candidate's probe: its times, or why it has none (cannot start, over the budget, kernels failed). */
export interface Measurement {
  id: CandidateId;
  times: StepTimes | null;
  note: string | null;
}

export interface TimingsRecord {
  key: string; // timingsKey(...)
  adapter: string; // readable
  model: string; // readable
  measuredAt: number; // ms since the epoch
  measurements: Measurement[];
}

/** auto: the fastest measured; a backend's name: that one, as the user asked. */
export type BackendMode = 'auto' | BackendName;
export const BACKEND_MODES: readonly BackendMode[] = ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'];

export interface BackendChoice {
  mode: BackendMode;
  backend: BackendName; // tried first; the engine falls back in its usual order if it cannot start
  kernels: KernelMode; // asked of the kernel rule: stock when WebGPU's stock ops measured faster than fused
  candidate: CandidateId | null; // the measured candidate in use; null for an override without times
  reason: string; // one sentence: what runs, and why
  measurements: Measurement[]; // this device's, cached or just measured; [] when none
  measuredAt: number | null;
  cached: boolean;
}

// WebGPU's probe may take this many times WASM's whole probe, and never less than the floor (a real GPU's
// first step compiles its shaders: seconds in a browser); without WASM to compare, the fixed cap.
export const BUDGET_FACTOR = 4;
export const BUDGET_FLOOR_MS = 15_000;
export const BUDGET_WITHOUT_WASM_MS = 120_000;

export function probeBudgetMs(wasm: Measurement | undefined): number {
  if (!wasm?.times) return BUDGET_WITHOUT_WASM_MS;
  return Math.max(BUDGET_FLOOR_MS, BUDGET_FACTOR * wasm.times.totalMs);
}

/** A software or fallback adapter: it runs on the CPU, so it is never preferred without a measurement. */
export function isSoftwareAdapter(a: AdapterReport | undefined | null): boolean {
  if (!a) return false;
  return a.fallback === true || /swiftshader|llvmpipe|lavapipe|software/i.test(`${a.architecture} ${a.description}`);
}

/** The cache key: kernel_choice.ts's adapterKey (the adapter, what runs the code, its version) and the model. */
export const timingsKey = (adapterKey: string, model: string): string => `${adapterKey} | ${model}`;

/** The model's shape, which is what its step times depend on. */
export const modelKey = (c: LlamaConfig): string =>
  `${c.num_hidden_layers} layers × ${c.hidden_size} (MLP ${c.intermediate_size}, heads ${c.num_attention_heads}/` +
  `${c.num_key_value_heads}, vocabulary ${c.vocab_size}, context ${c.max_position_embeddings})`;

/** '45 s', '21 min', '3 h 10 min'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.round(seconds / 60);
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

export interface Ranked {
  id: CandidateId;
  seconds: number; // the run on this candidate's times
}

/** Measured candidates, fastest first (ties keep the measuring order: WASM, stock, fused). */
export function rankMeasurements(ms: readonly Measurement[], cost: (t: StepTimes) => number): Ranked[] {
  return ms
    .flatMap((m) => (m.times ? [{ id: m.id, seconds: cost(m.times) }] : []))
    .filter((r) => Number.isFinite(r.seconds))
    .sort((a, b) => a.seconds - b.seconds);
}

/** Every candidate but `used`, with its run time or why it has none (WebGPU once when both say the same). */
function others(ms: readonly Measurement[], ranked: Ranked[], used: CandidateId | null): string[] {
  const lines = ms
    .filter((m) => m.id !== used)
    .map((m) => {
      const r = ranked.find((x) => x.id === m.id);
      return { label: candidate(m.id).label, what: r ? `~${formatDuration(r.seconds)}` : (m.note ?? 'no times') };
    });
  const gpu = lines.filter((l) => l.label.startsWith('WebGPU'));
  const same = gpu.length === 2 && gpu[0].what === gpu[1].what;
  return (same ? [...lines.filter((l) => !gpu.includes(l)), { label: 'WebGPU', what: gpu[0].what }] : lines).map(
    (l) => `${l.label}: ${l.what}`,
  );
}

const withOthers = (head: string, rest: string[]) => (rest.length ? `${head} (${rest.join('; ')})` : head);

/** The choice from this device's measurements (pure): the fastest, or the override, each with its reason. */
export function decideBackend(
  mode: BackendMode,
  ms: readonly Measurement[],
  cost: (t: StepTimes) => number,
  software: boolean,
): Pick<BackendChoice, 'backend' | 'kernels' | 'candidate' | 'reason'> {
  const ranked = rankMeasurements(ms, cost);
  if (mode !== 'auto') {
    const r = ranked.find((x) => candidate(x.id).backend === mode);
    const head = `${mode.toUpperCase()}, as chosen (override)${r ? `: the run ~${formatDuration(r.seconds)}` : ''}`;
    return {
      backend: mode,
      kernels: 'auto',
      candidate: r?.id ?? null,
      reason: withOthers(head, others(ms, ranked, r?.id ?? null)),
    };
  }
  const best = ranked[0];
  if (!best) {
    // nothing measured: the usual order, except that a software adapter never goes before WASM unmeasured
    const backend: BackendName = software ? 'wasm' : 'webgpu';
    const why = software ? 'WebGPU here is a software adapter' : 'WebGPU first, as usual';
    return {
      backend,
      kernels: 'auto',
      candidate: null,
      reason: withOthers(`${backend.toUpperCase()}: no backend could be measured; ${why}`, others(ms, ranked, null)),
    };
  }
  const c = candidate(best.id);
  const fusedWorks = ms.some((m) => m.id === 'webgpu/fused' && m.times);
  return {
    backend: c.backend,
    kernels: c.id === 'webgpu/stock' && fusedWorks ? 'stock' : 'auto',
    candidate: c.id,
    reason: withOthers(
      `${c.label}: the fastest measured on this device, the run ~${formatDuration(best.seconds)}`,
      others(ms, ranked, c.id),
    ),
  };
}

export interface BackendChoiceDeps {
  /** This device's WebGPU adapter, or why there is none. */
  adapter: AdapterReport | string;
  cache: KeyedCache<TimingsRecord>;
  key: string; // timingsKey(...)
  model: string; // readable, for the record
  /** Probes one candidate (its backend started, its kernels switched on) within the budget. */
  measure(c: Candidate, budgetMs: number): Promise<Measurement>;
  /** The run's seconds on these times. */
  cost(t: StepTimes): number;
  onProgress?(label: string): void;
  now?: () => number;
}

/** Probes every candidate in order; WebGPU's budget comes from WASM's probe. */
export async function measureCandidates(deps: BackendChoiceDeps): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const c of CANDIDATES) {
    const note = skipReason(c, deps.adapter, out);
    if (note) {
      out.push({ id: c.id, times: null, note });
      continue;
    }
    deps.onProgress?.(`measuring ${c.label}`);
    out.push(await deps.measure(c, probeBudgetMs(out.find((m) => m.id === 'wasm'))));
  }
  return out;
}

function skipReason(c: Candidate, adapter: AdapterReport | string, done: Measurement[]): string | null {
  if (c.backend !== 'webgpu') return null;
  if (typeof adapter === 'string') return `not available: ${adapter}`;
  const stock = done.find((m) => m.id === 'webgpu/stock');
  if (c.id === 'webgpu/fused' && stock && !stock.times) return "not measured: WebGPU's stock ops got no times";
  return null;
}

/** The backend for this device: from the cached measurements, else measured now (auto only) and cached. */
export async function chooseBackend(mode: BackendMode, deps: BackendChoiceDeps): Promise<BackendChoice> {
  let record = await deps.cache.get(deps.key);
  const cached = record !== undefined;
  if (!record && mode === 'auto') {
    const adapter = typeof deps.adapter === 'string' ? 'no WebGPU adapter' : adapterName(deps.adapter);
    const measurements = await measureCandidates(deps);
    record = { key: deps.key, adapter, model: deps.model, measuredAt: (deps.now ?? Date.now)(), measurements };
    // a probe that failed on this visit (no times at all) is not kept: the next start measures again
    if (measurements.some((m) => m.times)) await deps.cache.put(record);
  }
  const ms = record?.measurements ?? [];
  const software = typeof deps.adapter !== 'string' && isSoftwareAdapter(deps.adapter);
  return {
    mode,
    ...decideBackend(mode, ms, deps.cost, software),
    measurements: ms,
    measuredAt: record?.measuredAt ?? null,
    cached,
  };
}
