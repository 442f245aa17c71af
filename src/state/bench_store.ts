// The bench page's store: the suite options (seeded from the URL query, e.g.
// bench.html?backends=webgpu&presets=nano&steps=1, checked by the suite's options table), progress, and the
// result. Its own small store: the bench page shares nothing with the app's. Actions sit outside the store,
// as in the app's state/.
import { create } from 'zustand';
import { suiteOptions, type SuiteOptions, type SuiteProgress, type SuiteResult } from '../bench/suite';
import type { KernelChoice } from '../engine/kernel_choice';
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
    choice: KernelChoice | null; // what the lab runs on this adapter after this check
    error: string | null;
  };
}

/** The table's defaults (bench/suite.ts's SUITE_SETTINGS: nano only, since tiny and small take minutes on a
 * software GPU). */
export const BENCH_DEFAULTS: SuiteOptions = suiteOptions({});

/** Options from a link's query (backends=webgpu&presets=nano,tiny&steps=1&compare=0), each checked by its rule:
 * a bad or unknown one is left at its default and named in `error`, the others apply. */
export function optionsFromQuery(search: string): { options: SuiteOptions; error: string | null } {
  const good: Record<string, string> = {};
  const errors: string[] = [];
  for (const [key, raw] of new URLSearchParams(search)) {
    try {
      suiteOptions({ [key]: raw });
      good[key] = raw;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const error = errors.length ? `The link's options were not all applied: ${errors.join('; ')}` : null;
  return { options: suiteOptions(good), error };
}

const initial: BenchState = {
  options: BENCH_DEFAULTS,
  running: false,
  progress: null,
  result: null,
  error: null,
  kernels: { running: false, done: 0, total: 0, device: '', checks: null, choice: null, error: null },
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
