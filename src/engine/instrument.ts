// Counters for the benchmark and for tests that bound readbacks: kernels run, GPU dispatches issued,
// readbacks (tensor data read back to JS: data(), dataSync(), array()), and the peak number of live tensors and bytes.
// Tensor bytes count a view (a reshape, a clone) again though it shares its buffer; `peakDeviceBytes` is the
// WebGPU buffers tfjs holds in use at their peak (pooled ones not), what the device really gives. They wrap
// the live engine and backend objects, so what they count is what ran, not an estimate.
// GPU dispatches are counted at the WebGPU backend's one recording point (`recordAndSubmit`, one
// `dispatchWorkgroups` each); on other backends `gpuDispatches` stays 0 and `kernels` is the figure.
import * as tf from '@tensorflow/tfjs';
import { gpuBytesInUse } from './gpu_pool';

export interface Counts {
  kernels: number;
  gpuDispatches: number;
  readbacks: number;
  peakTensors: number;
  peakBytes: number;
  peakDeviceBytes: number; // WebGPU only, else 0
}

export interface Counters {
  readonly counts: Counts;
  reset(): void;
  uninstall(): void;
}

type AnyFn = (...args: unknown[]) => unknown;
type Patchable = Record<string, unknown>;

function patch(obj: Patchable, key: string, before: () => void, after?: () => void): () => void {
  const original = obj[key] as AnyFn | undefined;
  if (typeof original !== 'function') return () => {};
  const own = Object.hasOwn(obj, key);
  obj[key] = function (this: unknown, ...args: unknown[]) {
    before();
    const out = original.apply(this, args);
    after?.();
    return out;
  };
  return () => {
    if (own) obj[key] = original;
    else delete obj[key];
  };
}

/** Installs counters on the current engine and backend. Call `uninstall()` when done. */
export function installCounters(): Counters {
  const engine = tf.engine();
  // patched by name: runKernelFunc is private in tfjs's types and recordAndSubmit exists on WebGPU only
  const patchable = engine as unknown as Patchable;
  const backend = tf.backend() as unknown as Patchable;
  const counts: Counts = {
    kernels: 0,
    gpuDispatches: 0,
    readbacks: 0,
    peakTensors: 0,
    peakBytes: 0,
    peakDeviceBytes: 0,
  };
  let inRead = 0;
  const track = () => {
    counts.peakTensors = Math.max(counts.peakTensors, engine.state.numTensors);
    counts.peakBytes = Math.max(counts.peakBytes, engine.state.numBytes);
    counts.peakDeviceBytes = Math.max(counts.peakDeviceBytes, gpuBytesInUse());
  };
  const undo = [
    patch(
      patchable,
      'runKernelFunc',
      () => {
        counts.kernels++;
      },
      track,
    ),
    patch(backend, 'recordAndSubmit', () => {
      counts.gpuDispatches++;
    }),
    // At the engine, where tensor.data()/dataSync() arrive: kernels reading their inputs on the CPU
    // backend go to the backend directly and are not readbacks. Count the outer call only.
    patch(
      patchable,
      'read',
      () => {
        counts.readbacks++;
        inRead++;
      },
      () => {
        inRead--;
      },
    ),
    patch(patchable, 'readSync', () => {
      if (inRead === 0) counts.readbacks++;
    }),
    patch(patchable, 'readToGPU', () => {
      counts.readbacks++;
    }),
  ];
  return {
    counts,
    reset() {
      Object.assign(counts, {
        kernels: 0,
        gpuDispatches: 0,
        readbacks: 0,
        peakTensors: engine.state.numTensors,
        peakBytes: engine.state.numBytes,
        peakDeviceBytes: gpuBytesInUse(),
      });
    },
    uninstall: () => undo.forEach((u) => u()),
  };
}
