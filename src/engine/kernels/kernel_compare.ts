// How the kernel self-check (self_check.ts) compares a fused kernel with its stock composition: the max
// |fused − stock| over the outputs and, for differentiable kernels, over the gradients of a random
// projection Σ y·dy with respect to every float input. Both sides see the same inputs and the same dy.
import * as tf from '@tensorflow/tfjs';
import { randn } from './check_tensor';

/** The largest |fused − stock| a kernel may show, forward or backward, and pass. */
export const KERNEL_TOLERANCE = 1e-4;

/** max |fused − stock| over the outputs, and over the input gradients (null: forward-only kernel). */
export interface Diffs {
  forward: number;
  gradient: number | null;
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Every tensor flattened and joined: several outputs (or gradients) become one vector to compare. */
export const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));

/** max |a − b|; NaN when the shapes differ, a tensor is empty or any element is NaN. */
export async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  if (a.shape.join() !== b.shape.join()) return NaN;
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i])); // a NaN stays NaN
  return x.length === 0 ? NaN : m;
}

/** y and all input gradients of Σ y·dy for one implementation, flattened to two tensors. */
function valueAndGrads(f: Fn, inputs: tf.Tensor[], dySeed: number): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const dy = randn(y.shape, dySeed);
    const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs, dy);
    return [tf.reshape(y, [-1]), flat(grads)];
  });
}

/** Outputs and input gradients of `fused` against `stock`; `inputs` are disposed afterwards. */
export async function compareDifferentiable(fused: Fn, stock: Fn, inputs: tf.Tensor[]): Promise<Diffs> {
  try {
    const [yf, gf] = valueAndGrads(fused, inputs, 99);
    const [ys, gs] = valueAndGrads(stock, inputs, 99);
    const d = { forward: await maxDiff(yf, ys), gradient: await maxDiff(gf, gs) };
    tf.dispose([yf, gf, ys, gs]);
    return d;
  } finally {
    tf.dispose(inputs);
  }
}

/** Outputs only; the results of `fused` and `stock`, and `owned`, are disposed after the comparison. */
export async function compareForward(
  fused: () => tf.Tensor,
  stock: () => tf.Tensor,
  owned: tf.Tensor[] = [],
): Promise<Diffs> {
  try {
    const yf = tf.tidy(fused);
    const ys = tf.tidy(stock);
    const d = { forward: await maxDiff(yf, ys), gradient: null };
    tf.dispose([yf, ys]);
    return d;
  } finally {
    tf.dispose(owned);
  }
}
