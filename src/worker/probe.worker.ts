// The backend probe's worker: times one candidate backend at a time (bench/step_times.ts) off the page's
// thread and away from the engine worker, so a probe that runs past its budget (a software GPU's first
// step takes minutes) is ended by terminating this worker, and every backend it started goes with it.
// Thrown away after the choice (worker/probe_client.ts).
import * as Comlink from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { measureCandidate } from '../bench/step_times';
import { initBackend, releaseBackend } from '../engine/backend';
import { candidate, type CandidateId, type Measurement } from '../engine/backend_choice';
import type { LlamaConfig } from '../engine/config';
import { selectKernels } from '../engine/kernel_choice';
import { checkFusedKernels } from '../engine/kernels/self_check';
import { browserKernelDeps } from './engine_cache_idb';

export interface ProbeApi {
  /** Times one candidate on a fresh model of `cfg`, within the budget; the self-check streams its progress. */
  measure(
    id: CandidateId,
    cfg: LlamaConfig,
    budgetMs: number,
    on: { kernelCheck(done: number, total: number): void; timing(): void },
  ): Promise<Measurement>;
}

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

const api: ProbeApi = {
  async measure(id, cfg, budgetMs, on) {
    const c = candidate(id);
    const kernelDeps = { ...browserKernelDeps(), check: () => checkFusedKernels((d, t) => on.kernelCheck(d, t)) };
    return measureCandidate(c, cfg, budgetMs, {
      start: async (name) => {
        const r = await initBackend({ order: [name], wasmPaths }); // throws with the reason when it cannot start
        for (const other of ['webgpu', 'wasm'] as const) if (other !== name) releaseBackend(other);
        return r;
      },
      kernels: (report) => selectKernels('auto', report, kernelDeps),
      onTiming: () => on.timing(),
    });
  },
};

Comlink.expose(api);
