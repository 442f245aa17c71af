// The bench page's worker: runs the engine benchmark suite (bench/suite.ts) off the page's thread, so
// the page stays responsive and shows progress. Its own worker, not the app's engine worker: the suite
// switches backends and restarts WebGPU, which must never happen under a training run.
import * as Comlink from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { runSuite, type SuiteOptions, type SuiteProgress, type SuiteResult } from '../bench/suite';
import { initBackend } from '../engine/backend';

export interface BenchApi {
  run(o: SuiteOptions, onProgress: (p: SuiteProgress) => void): Promise<SuiteResult>;
}

const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };

const api: BenchApi = {
  run: (o, onProgress) => runSuite(o, {
    async startBackend(name) {
      const report = await initBackend({ order: [name], wasmPaths }); // throws with the reason when it cannot start
      return report.summary;
    },
    onProgress,
  }),
};

Comlink.expose(api);
