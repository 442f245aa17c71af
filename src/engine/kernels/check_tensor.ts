// Test helpers for the kernels: seeded random inputs, llm.c's check_tensor — the max |a − b| between a
// kernel's output and its reference, printed with a label so a passing run still shows the margin — the
// GPU dispatches a call issues, and a registered WebGPU kernel swapped for a broken one (to prove a check fails).
import * as tf from '@tensorflow/tfjs';
import { installCounters } from '../instrument';
import { createRng } from '../rng';

/** A standard-normal float32 tensor, the same for the same seed on every backend. */
export function randn(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
}

/**
 * max |a − b| over all elements, printed; NaN anywhere gives NaN. Reads with data(): dataSync throws on WebGPU in Node.
 */
export async function checkTensor(a: tf.Tensor, b: tf.Tensor, label: string): Promise<number> {
  if (a.shape.join() !== b.shape.join()) throw new Error(`${label}: shape [${a.shape}] vs [${b.shape}]`);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  console.log(`${label}: maxdiff ${max.toExponential(2)}`);
  return max;
}

/** GPU dispatches issued by f (a returned tensor is disposed), counted at the webgpu backend. */
export function dispatches(f: () => tf.TensorContainer | undefined): number {
  const counters = installCounters();
  counters.reset();
  tf.dispose(f() ?? []);
  counters.uninstall();
  return counters.counts.gpuDispatches;
}

/** Runs `work` with the WebGPU kernel `name` replaced by `wrap(original)`, then puts the original back. */
export async function withKernelReplaced<T>(
  name: string,
  wrap: (original: tf.KernelFunc) => tf.KernelFunc,
  work: () => Promise<T>,
): Promise<T> {
  const original = tf.getKernel(name, 'webgpu');
  if (!original) throw new Error(`no WebGPU kernel ${name} to replace`);
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
  try {
    return await work();
  } finally {
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(original);
  }
}
