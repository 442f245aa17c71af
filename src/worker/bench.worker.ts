// The bench page's worker: runs the engine benchmark suite (bench/suite.ts) off the page's thread, so
// the page stays responsive and shows progress. Its own worker, not the app's engine worker: the suite
// switches backends and restarts WebGPU, which must never happen under a training run. It also measures a model
// of the lab's model cache (bench/model_suite.ts), read from the cache as it is.
import * as Comlink from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type ModelSuiteOptions, type ModelSuiteResult, runModelSuite } from '../bench/model_suite';
import { runSuite, type SuiteOptions, type SuiteProgress, type SuiteResult } from '../bench/suite';
import { initBackend } from '../engine/backend';
import { type KernelChoice, selectKernels } from '../engine/kernel_choice';
import { checkFusedKernels, type KernelCheck } from '../engine/kernels/self_check';
import { browserKernelDeps } from './engine_cache_idb';
import { createModelsHost } from './models_host';
import type { CachedModel } from './models_protocol';

/** The kernel check's answer: the device, every case, and what the lab now runs on this adapter. */
export interface KernelCheckResult {
  device: string;
  checks: KernelCheck[];
  choice: KernelChoice;
}

export interface BenchApi {
  run(o: SuiteOptions, onProgress: (p: SuiteProgress) => void): Promise<SuiteResult>;
  /** Every fused kernel against its stock composition on this browser's WebGPU device; the outcome replaces
   * the cached one the lab's kernel choice reads. */
  checkKernels(onProgress: (done: number, total: number) => void): Promise<KernelCheckResult>;
  /** The models in the lab's cache (loaded on its Models or Judge page). */
  cachedModels(): Promise<CachedModel[]>;
  /** A cached model's decode (or training steps) on WebGPU, on the kernels `o.kernels` picks. */
  runModel(id: string, o: ModelSuiteOptions, onProgress: (p: SuiteProgress) => void): Promise<ModelSuiteResult>;
}

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

const kernelDeps = browserKernelDeps();
const models = createModelsHost(() => undefined); // reads the cache only: no loads, so no progress to send

const api: BenchApi = {
  run: (o, onProgress) =>
    runSuite(o, {
      async startBackend(name) {
        return initBackend({ order: [name], wasmPaths }); // throws with the reason when it cannot start
      },
      selectKernels: (mode, report) => selectKernels(mode, report, kernelDeps),
      onProgress,
    }),
  async checkKernels(onProgress) {
    const report = await initBackend({ order: ['webgpu'], wasmPaths });
    if (report.name !== 'webgpu') throw new Error(`the kernel check needs WebGPU: ${report.summary}`);
    let checks: KernelCheck[] = [];
    const run = async () => {
      checks = await checkFusedKernels((done, total) => onProgress(done, total));
      return checks;
    };
    const choice = await selectKernels('auto', report, { ...kernelDeps, check: run, recheck: true });
    return { device: report.summary, checks, choice };
  },
  cachedModels: () => models.cachedModels(),
  runModel: (id, o, onProgress) =>
    runModelSuite(o, {
      startBackend: () => initBackend({ order: ['webgpu'], wasmPaths }),
      selectKernels: (mode, report) => selectKernels(mode, report, kernelDeps),
      openSource: () => models.openCached(id),
      onProgress,
    }),
};

Comlink.expose(api);
