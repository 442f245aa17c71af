// The Web Worker that owns the engine (tfjs and its backend). Thin on purpose: it runs train/ code and
// forwards plain-data events to the page; no math lives here.
import * as Comlink from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BROWSER_ORDER, initBackend } from '../engine/backend';
import { createSmokeRun } from '../train/smoke';
import type { EngineApi } from './protocol';

let stopRequested = false;

const api: EngineApi = {
  async init({ forceBackend }) {
    const order = forceBackend ? [forceBackend, ...BROWSER_ORDER.filter((b) => b !== forceBackend)] : BROWSER_ORDER;
    return initBackend({
      order,
      wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded },
    });
  },
  async smokeTrain(cfg, sink) {
    stopRequested = false;
    let run;
    try {
      run = createSmokeRun(cfg);
    } catch (e) {
      sink({ kind: 'error', where: 'smoke train setup', message: (e as Error).message });
      return;
    }
    let first = NaN, last = NaN, n = 0;
    try {
      while (!run.done() && !stopRequested) {
        const step = await run.step();
        if (n === 0) first = step.loss;
        last = step.loss;
        n++;
        sink({ kind: 'smoke-step', step, total: cfg.steps });
      }
      sink({ kind: 'smoke-done', steps: n, firstLoss: first, lastLoss: last });
    } catch (e) {
      sink({ kind: 'error', where: `smoke train step ${n + 1}`, message: (e as Error).message });
    } finally {
      run.dispose();
    }
  },
  stop() {
    stopRequested = true;
  },
};

Comlink.expose(api);
