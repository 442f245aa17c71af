// Test helpers for the kernels: seeded random inputs, llm.c's check_tensor — the max |a − b| between a
// kernel's output and its reference, printed with a label so a passing run still shows the margin — and
// the GPU dispatches a call issues.
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
