// The Web Worker that owns the engine (tfjs and its backend). Thin on purpose: it starts the backend the page
// chose (measured in a separate probe worker, worker/probe_client.ts) and the kernels, watches the GPU device,
// and hands the run and judge calls to their hosts; no math lives here.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BROWSER_ORDER, type BackendReport, initBackend } from '../engine/backend';
import { type KernelChoice, type KernelChoiceDeps, selectKernels } from '../engine/kernel_choice';
import { checkFusedKernels } from '../engine/kernels/self_check';
import { createSmokeRun } from '../train/smoke';
import { yieldToMessages } from '../train/yield_to_messages';
import { createJudgeHost, MODELS_KEPT } from './judge_host';
import { createModelsHost } from './models_host';
import { browserKernelDeps } from './engine_cache_idb';
import type { EngineApi, EventSink, MemoryReport, WorkerEvent } from './protocol';
import { createRunHost } from './run_host';

let sink: EventSink | null = null;
const emit = (e: WorkerEvent) => sink?.(e);
// the model cache: no engine needed, so not behind init; the judge and run hosts read cached models from it
const { openCached, ...models } = createModelsHost(emit);
const runs = createRunHost(emit, { openCached });
const judge = createJudgeHost(emit, MODELS_KEPT, openCached);
// the self-check, when it runs, streams its progress to the page
const kernelDeps: KernelChoiceDeps = {
  ...browserKernelDeps(),
  check: () => checkFusedKernels((done, total) => emit({ kind: 'kernel-check', done, total })),
};
let backend: BackendReport | null = null;
let kernels: KernelChoice | null = null;

// Settles when init has picked the backend and the kernels. Engine work waits for it: a call sent early
// must not run beside the kernel self-check, which flips the fused switch as it goes, nor before a backend
// is set.
let markStarted: (failure?: Error) => void = () => {};
const started = new Promise<void>((resolve, reject) => {
  markStarted = (failure) => (failure ? reject(failure) : resolve());
});
started.catch(() => {}); // init reports its own failure; the calls that waited get it too
const afterStart =
  <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    await started;
    return work(...args);
  };

/** A lost device (driver reset, GPU removed, device.destroy()) ends every run: say so plainly. */
function watchDevice(): void {
  const device = (tf.backend() as WebGPUBackend).device; // init() just said it is WebGPU
  void device.lost.then((info) =>
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
  async init({ forceBackend, kernels: mode = 'auto', kernelReason }) {
    const order = forceBackend ? [forceBackend, ...BROWSER_ORDER.filter((b) => b !== forceBackend)] : BROWSER_ORDER;
    try {
      const report = await initBackend({
        order,
        wasmPaths: {
          'tfjs-backend-wasm.wasm': wasmPlain,
          'tfjs-backend-wasm-simd.wasm': wasmSimd,
          'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
        },
      });
      if (report.name === 'webgpu') watchDevice();
      backend = report;
      // not awaited: the page shows the backend while the self-check runs (the first start on an adapter)
      void selectKernels(mode, report, kernelDeps).then(
        (choice) => {
          // the page asked for stock ops because they measured faster: say that rather than "as chosen"
          kernels =
            kernelReason && choice.path === 'stock'
              ? { ...choice, summary: `stock tfjs ops: ${kernelReason}` }
              : choice;
          markStarted();
        },
        (e: Error) => markStarted(e),
      );
      return report;
    } catch (e) {
      markStarted(e as Error);
      throw e;
    }
  },
  kernels: afterStart(async () => kernels!),
  async memory() {
    return tf.memory() as MemoryReport;
  },
  setKernels: afterStart(async (mode) => {
    if (runs.playing()) throw new Error('Switching kernels waits for the playing run: pause it first');
    kernels = await selectKernels(mode, backend!, kernelDeps);
    return kernels;
  }),
  smokeTrain: afterStart(async () => {
    if (runs.playing()) throw new Error('The engine check waits for the playing run: pause it first');
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
  }),
  startRun: afterStart((req) => runs.startRun(req)),
  resumeRun: afterStart((req) => runs.resumeRun(req)),
  play: afterStart(() => runs.play()),
  pause: () => runs.pause(),
  stepOnce: afterStart(() => runs.stepOnce()),
  stop: () => runs.stop(),
  beginStepThrough: afterStart((req) => runs.beginStepThrough(req)),
  nextStage: afterStart(() => runs.nextStage()),
  endStepThrough: () => runs.endStepThrough(),
  demoGrpoGroups: afterStart((req) => runs.demoGrpoGroups(req)),
  ...judge,
  ...models,
  judge: afterStart((req) => judge.judge(req)),
};

Comlink.expose(api);
