// The bench page's store: the suite options (seeded from the URL query, e.g.
// bench.html?backends=webgpu&presets=nano&steps=1), progress, and the result. Its own small store: the
// bench page shares nothing with the app's. Actions sit outside the store, as in the app's state/.
import { create } from 'zustand';
import type { SuiteOptions, SuiteProgress, SuiteResult } from '../bench/suite';
import type { BackendName } from '../engine/backend';
import type { PresetName } from '../engine/config';
import type { KernelCheck } from '../engine/kernels/self_check';
import { runBench, runKernelCheck } from '../worker/bench_client';

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
    error: string | null;
  };
}

export const BENCH_DEFAULTS: SuiteOptions = {
  backends: ['webgpu', 'wasm'],
  presets: ['nano'], // tiny and small take minutes on a software GPU
  steps: 2,
  compare: true,
  firstStep: false,
  submitBatches: [],
  decodeCost: false,
  poolTrim: false,
};

/** Options from a query string: backends, presets, submitBatches as comma lists; steps a number; flags 1/0. */
export function optionsFromQuery(search: string): SuiteOptions {
  const q = new URLSearchParams(search);
  const list = (k: string) => q.get(k)?.split(',').filter(Boolean);
  const on = (k: keyof SuiteOptions) => (q.has(k) ? q.get(k) !== '0' : (BENCH_DEFAULTS[k] as boolean));
  return {
    backends: (list('backends') as BackendName[] | undefined) ?? BENCH_DEFAULTS.backends,
    presets: (list('presets') as PresetName[] | undefined) ?? BENCH_DEFAULTS.presets,
    steps: Number(q.get('steps') ?? BENCH_DEFAULTS.steps),
    compare: on('compare'),
    firstStep: on('firstStep'),
    submitBatches: list('submitBatches')?.map(Number) ?? BENCH_DEFAULTS.submitBatches,
    decodeCost: on('decodeCost'),
    poolTrim: on('poolTrim'),
  };
}

const initial: BenchState = {
  options: BENCH_DEFAULTS,
  running: false,
  progress: null,
  result: null,
  error: null,
  kernels: { running: false, done: 0, total: 0, device: '', checks: null, error: null },
};

export const useBenchStore = create<BenchState>()(() => initial);

export const setBenchOptions = (patch: Partial<SuiteOptions>) =>
  useBenchStore.setState((s) => ({ options: { ...s.options, ...patch } }));

export async function startBench(): Promise<void> {
  const { options, running, kernels } = useBenchStore.getState();
  if (running || kernels.running) return;
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
  const { kernels, running } = useBenchStore.getState();
  if (kernels.running || running) return; // one job at a time on the worker's device
  const set = (patch: Partial<BenchState['kernels']>) =>
    useBenchStore.setState((s) => ({ kernels: { ...s.kernels, ...patch } }));
  set({ running: true, done: 0, total: 0, checks: null, error: null });
  try {
    const { device, checks } = await runKernelCheck((done, total) => set({ done, total }));
    set({ device, checks });
  } catch (e) {
    set({ error: (e as Error).message });
  } finally {
    set({ running: false });
  }
}
