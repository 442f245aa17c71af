// The Web Worker that owns the engine (tfjs and its backend). Thin on purpose: it picks the backend,
// watches the GPU device, and hands the run and judge calls to their hosts; no math lives here.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BROWSER_ORDER, initBackend } from '../engine/backend';
import { switchFusedKernels } from '../engine/kernels/fused';
import { createSmokeRun } from '../train/smoke';
import { yieldToMessages } from '../train/yield_to_messages';
import { createJudgeHost } from './judge_host';
import type { EngineApi, EventSink, MemoryReport, WorkerEvent } from './protocol';
import { createRunHost } from './run_host';

let sink: EventSink | null = null;
const emit = (e: WorkerEvent) => sink?.(e);
const runs = createRunHost(emit);
const judge = createJudgeHost(emit);

/** A lost device (driver reset, GPU removed, device.destroy()) ends every run: say so plainly. */
function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then((info) =>
    emit({
      kind: 'error',
      where: 'GPU',
      fatal: true,
      message:
        `The GPU device was lost (${info.reason || 'unknown reason'}${info.message ? `: ${info.message}` : ''}). ` +
        `Checkpoints already saved are kept; reload the page to go on.`,
    }),
  );
}

const api: EngineApi = {
  connect(s) {
    sink = s;
  },
  async init({ forceBackend }) {
    const order = forceBackend ? [forceBackend, ...BROWSER_ORDER.filter((b) => b !== forceBackend)] : BROWSER_ORDER;
    const report = await initBackend({
      order,
      wasmPaths: {
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
      },
    });
    if (report.name === 'webgpu') watchDevice();
    return report;
  },
  async memory() {
    return tf.memory() as MemoryReport;
  },
  async setFusedKernels(on) {
    if (runs.busy()) throw new Error('Switching kernels waits for the playing run: pause it first');
    switchFusedKernels(on);
    return on;
  },
  async smokeTrain() {
    if (runs.busy()) throw new Error('The engine check waits for the playing run: pause it first');
    const run = createSmokeRun();
    try {
      let first = NaN,
        last = NaN,
        steps = 0;
      while (!run.done()) {
        const step = await run.step();
        if (steps++ === 0) first = step.loss;
        last = step.loss;
        emit({ kind: 'smoke', step });
        await yieldToMessages();
      }
      return { first, last, steps };
    } finally {
      run.dispose();
      emit({ kind: 'memory', memory: tf.memory() as MemoryReport });
    }
  },
  startRun: (req) => runs.startRun(req),
  play: () => runs.play(),
  pause: () => runs.pause(),
  stepOnce: () => runs.stepOnce(),
  stop: () => runs.stop(),
  beginStepThrough: (req) => runs.beginStepThrough(req),
  nextStage: () => runs.nextStage(),
  endStepThrough: () => runs.endStepThrough(),
  ...judge,
};

Comlink.expose(api);
