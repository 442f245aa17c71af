// The bench page's store: the suite options (seeded from the URL query, e.g.
// bench.html?backends=webgpu&presets=nano&steps=1, checked by the suite's options table), progress, and the
// result; and a real model's bench (a model of the lab's cache, its options, progress, result). Its own small
// store: the bench page shares nothing with the app's but the model cache its worker reads. Actions sit outside
// the store, as in the app's state/.
import { create } from 'zustand';
import { modelSuiteOptions, type ModelSuiteOptions, type ModelSuiteResult } from '../bench/model_suite';
import { suiteOptions, type SuiteOptions, type SuiteProgress, type SuiteResult } from '../bench/suite';
import type { KernelChoice } from '../engine/kernel_choice';
import type { KernelCheck } from '../engine/kernels/self_check';
import { cachedModels, runBench, runKernelCheck, runModelBench } from '../worker/bench_client';
import type { CachedModel } from '../worker/models_protocol';

export interface BenchState {
  options: SuiteOptions;
  running: boolean;
  progress: SuiteProgress | null;
  result: SuiteResult | null;
  error: string | null;
  /** The kernel self-check: fused against stock on this device. */
  kernels: {
    running: boolean;
    done: number;
    total: number;
    device: string;
    checks: KernelCheck[] | null;
    choice: KernelChoice | null; // what the lab runs on this adapter after this check
    error: string | null;
  };
  /** A real model of the lab's cache: decode f16 beside f32, or its training steps. */
  model: {
    models: CachedModel[] | null; // null: not listed yet
    id: string; // the chosen cached model; '' for none
    options: ModelSuiteOptions;
    running: boolean;
    progress: SuiteProgress | null;
    result: ModelSuiteResult | null;
    error: string | null;
  };
}

/** The table's defaults (bench/suite.ts's SUITE_SETTINGS: nano only, since tiny and small take minutes on a
 * software GPU). */
export const BENCH_DEFAULTS: SuiteOptions = suiteOptions({});

/** The real model's options in a link carry this prefix (bench.html?model.weights=f16&model.newTokens=64). */
const MODEL_PREFIX = 'model.';

/** Options from a link's query (backends=webgpu&presets=nano,tiny&steps=1&compare=0, and the real model's
 * model.promptTokens=64&…), each checked by its rule: a bad or unknown one is left at its default and named in
 * `error`, the others apply. */
export function optionsFromQuery(search: string): {
  options: SuiteOptions;
  model: ModelSuiteOptions;
  error: string | null;
} {
  const good: Record<string, string> = {};
  const goodModel: Record<string, string> = {};
  const errors: string[] = [];
  for (const [key, raw] of new URLSearchParams(search)) {
    const isModel = key.startsWith(MODEL_PREFIX);
    const name = isModel ? key.slice(MODEL_PREFIX.length) : key;
    try {
      if (isModel) modelSuiteOptions({ [name]: raw }, (k) => MODEL_PREFIX + k);
      else suiteOptions({ [name]: raw });
      (isModel ? goodModel : good)[name] = raw;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const error = errors.length ? `The link's options were not all applied: ${errors.join('; ')}` : null;
  return { options: suiteOptions(good), model: modelSuiteOptions(goodModel), error };
}

const initial: BenchState = {
  options: BENCH_DEFAULTS,
  running: false,
  progress: null,
  result: null,
  error: null,
  kernels: { running: false, done: 0, total: 0, device: '', checks: null, choice: null, error: null },
  model: {
    models: null,
    id: '',
    options: modelSuiteOptions({}),
    running: false,
    progress: null,
    result: null,
    error: null,
  },
};

export const useBenchStore = create<BenchState>()(() => initial);

export const setBenchOptions = (patch: Partial<SuiteOptions>) =>
  useBenchStore.setState((s) => ({ options: { ...s.options, ...patch } }));

/** One job at a time on the worker's device: the suite, the kernel check or a model's bench. */
const busy = (s: BenchState) => s.running || s.kernels.running || s.model.running;

export async function startBench(): Promise<void> {
  const state = useBenchStore.getState();
  if (busy(state)) return;
  const { options } = state;
  useBenchStore.setState({ running: true, progress: null, result: null, error: null });
  try {
    const result = await runBench(options, (progress) => useBenchStore.setState({ progress }));
    useBenchStore.setState({ result });
  } catch (e) {
    useBenchStore.setState({ error: (e as Error).message });
  } finally {
    useBenchStore.setState({ running: false });
  }
}

export async function startKernelCheck(): Promise<void> {
  if (busy(useBenchStore.getState())) return;
  const set = (patch: Partial<BenchState['kernels']>) =>
    useBenchStore.setState((s) => ({ kernels: { ...s.kernels, ...patch } }));
  set({ running: true, done: 0, total: 0, checks: null, choice: null, error: null });
  try {
    const { device, checks, choice } = await runKernelCheck((done, total) => set({ done, total }));
    set({ device, checks, choice });
  } catch (e) {
    set({ error: (e as Error).message });
  } finally {
    set({ running: false });
  }
}

const setModel = (patch: Partial<BenchState['model']>) =>
  useBenchStore.setState((s) => ({ model: { ...s.model, ...patch } }));

export const chooseBenchModel = (id: string) => setModel({ id, result: null, error: null });

export const setModelBenchOptions = (patch: Partial<ModelSuiteOptions>) =>
  useBenchStore.setState((s) => ({ model: { ...s.model, options: { ...s.model.options, ...patch } } }));

/** Lists the lab's cached models; keeps the choice if it is still there, else picks the first. */
export async function refreshBenchModels(): Promise<void> {
  try {
    const models = await cachedModels();
    const { id } = useBenchStore.getState().model;
    setModel({ models, id: models.some((m) => m.id === id) ? id : (models[0]?.id ?? '') });
  } catch (e) {
    setModel({ models: [], error: `Could not read the model cache: ${(e as Error).message}` });
  }
}

export async function startModelBench(): Promise<void> {
  const state = useBenchStore.getState();
  const { id, options } = state.model;
  if (busy(state)) return;
  if (!id) {
    setModel({ error: "No model chosen: load one into the cache on the lab's Models page first." });
    return;
  }
  setModel({ running: true, progress: null, result: null, error: null });
  try {
    const result = await runModelBench(id, options, (progress) => setModel({ progress }));
    setModel({ result });
  } catch (e) {
    setModel({ error: (e as Error).message });
  } finally {
    setModel({ running: false });
  }
}
