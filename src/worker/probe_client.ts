// The page's side of the backend choice (engine/backend_choice.ts): this browser's cached measurements for
// its adapter and the model (IndexedDB), else a probe worker (probe.worker.ts) that times each candidate; a
// candidate still running when its budget ends is stopped by terminating the worker (a software GPU's first
// step cannot be interrupted otherwise). The worker is thrown away after the choice, with its backends.
import * as Comlink from 'comlink';
import { describeAdapter } from '../engine/backend';
import {
  type BackendChoice,
  type BackendMode,
  type Candidate,
  chooseBackend,
  type Measurement,
  modelKey,
  type StepTimes,
  timingsKey,
  type TimingsRecord,
} from '../engine/backend_choice';
import type { LlamaConfig } from '../engine/config';
import { adapterKey } from '../engine/kernel_choice';
import { engineVersion, idbCache } from './engine_cache_idb';
import type { ProbeApi } from './probe.worker';

/** How long a candidate may take to start (its WebGPU device, the kernel self-check) before its timing. */
const START_LIMIT_MS = 120_000;

export interface ProbeEvents {
  onProgress(label: string): void;
  onKernelCheck(done: number, total: number): void;
}

/** A probe worker started on first use; kill() ends it and the next measure starts another. */
function probeWorker() {
  let worker: Worker | null = null;
  let api: Comlink.Remote<ProbeApi> | null = null;
  return {
    api(): Comlink.Remote<ProbeApi> {
      worker ??= new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' });
      api ??= Comlink.wrap<ProbeApi>(worker);
      return api;
    },
    kill() {
      worker?.terminate();
      worker = null;
      api = null;
    },
  };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One candidate's probe in the worker, ended by terminating it when the budget (armed as timing starts) ends. */
function measureWithin(
  probe: ReturnType<typeof probeWorker>,
  c: Candidate,
  cfg: LlamaConfig,
  budgetMs: number,
  ev: ProbeEvents,
): Promise<Measurement> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (note: string) => {
      probe.kill();
      resolve({ id: c.id, times: null, note });
    };
    const arm = (ms: number, note: () => string) => {
      clearTimeout(timer);
      timer = setTimeout(() => stop(note()), ms);
    };
    arm(START_LIMIT_MS, () => `stopped: it did not start within ${secs(START_LIMIT_MS)}`);
    const on = {
      kernelCheck: (done: number, total: number) => ev.onKernelCheck(done, total),
      timing: () => {
        const t0 = performance.now();
        ev.onProgress(`measuring ${c.label}: a training step and decode steps`);
        arm(
          budgetMs,
          () =>
            `stopped after ${secs(performance.now() - t0)} in its first steps, over the budget of ${secs(budgetMs)}`,
        );
      },
    };
    probe
      .api()
      .measure(c.id, cfg, budgetMs, Comlink.proxy(on))
      .then(resolve, (e: unknown) => resolve({ id: c.id, times: null, note: `the probe failed: ${String(e)}` }))
      .finally(() => clearTimeout(timer));
  });
}

/** The cache key of this browser's adapter (or none) and the model. */
async function cacheKey(cfg: LlamaConfig) {
  const adapter = await describeAdapter();
  const key = adapterKey(
    typeof adapter === 'string' ? undefined : adapter,
    navigator.userAgent,
    engineVersion() ?? 'dev',
  );
  return { adapter, key: timingsKey(key, modelKey(cfg)) };
}

/** The backend for a model of `cfg`: measured on this device (cached), the fastest for `cost`, or the override. */
export async function chooseBackendInBrowser(
  mode: BackendMode,
  cfg: LlamaConfig,
  cost: (t: StepTimes) => number,
  ev: ProbeEvents,
): Promise<BackendChoice> {
  const { adapter, key } = await cacheKey(cfg);
  const probe = probeWorker();
  try {
    return await chooseBackend(mode, {
      adapter,
      cache: idbCache<TimingsRecord>('backend-timings'),
      key,
      model: modelKey(cfg),
      measure: (c, budgetMs) => measureWithin(probe, c, cfg, budgetMs, ev),
      cost,
      onProgress: ev.onProgress,
    });
  } finally {
    probe.kill();
  }
}
