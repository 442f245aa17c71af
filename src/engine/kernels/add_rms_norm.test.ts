// The residual add + RMSNorm with the fused-kernel switch on, against the stock composition (tf.add, then
// rmsNormStock): s, y, dx, dr and dw for random upstream gradients of s and y on awkward shapes (< 1e-4 on
// WebGPU, where the programs run; exactly equal on CPU, where the switch must change nothing); the same
// with y given to three consumers (their gradients summed in the backward programs) and with s unused.
// Also: no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, switchTestBackend } from '../test_backends';
import { addRmsNorm, addRmsNormFused, addRmsNormStock } from './add_rms_norm';
import { checkTensor, dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';

const EPS = 1e-5;
const backends = await testBackends();

/** [s, y_1 … y_n] of x, r, w. */
type Norm = (x: tf.Tensor, r: tf.Tensor, w: tf.Tensor) => tf.Tensor[];

/**
 * Σ s·ds + Σ_k y_k·dy_k: a scalar whose gradients are the backward of `norm` for those upstream gradients (ds null: s
 * unused).
 */
function loss(norm: Norm, ds: tf.Tensor | null, dys: tf.Tensor[]) {
  return (x: tf.Tensor, r: tf.Tensor, w: tf.Tensor) => {
    const [s, ...ys] = norm(x, r, w);
    const terms = ys.map((y, k) => tf.sum(tf.mul(y, dys[k])));
    if (ds) terms.push(tf.sum(tf.mul(s, ds)));
    return tf.addN(terms) as tf.Scalar;
  };
}

/** [s, y_1, dx, dr, dw]. */
function valueAndGrads(
  norm: Norm,
  x: tf.Tensor,
  r: tf.Tensor,
  w: tf.Tensor,
  ds: tf.Tensor | null,
  dys: tf.Tensor[],
): tf.Tensor[] {
  const [s, ...ys] = norm(x, r, w);
  const grads = tf.grads(loss(norm, ds, dys))([x, r, w]);
  tf.dispose(ys.filter((y) => y !== ys[0])); // the stock path repeats one tensor
  return [s, ys[0], ...grads];
}

const stock =
  (copies: number): Norm =>
  (x, r, w) => {
    const [s, y] = addRmsNormStock(x, r, w, EPS);
    return [s, ...new Array<tf.Tensor>(copies).fill(y)];
  };

describe.each(backends)('residual add + RMSNorm kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and seven stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;
  const names = ['s', 'y', 'dx', 'dr', 'dw'];

  it.each([
    { shape: [7, 37] }, // rows and hidden size share no factor with the 64-thread workgroup
    { shape: [2, 3, 37] }, // leading axes are flattened into rows
    { shape: [3, 130] }, // more than two workgroup widths per row, with a remainder
    { shape: [4, 1] },
  ])(
    `addRmsNorm with the switch on = stock ops (s, y, dx, dr, dw; max error ≤ ${tol}) on $shape`,
    async ({ shape }) => {
      const C = shape[shape.length - 1];
      const x = randn(shape, 1),
        r = randn(shape, 2),
        w = randn([C], 3),
        ds = randn(shape, 4),
        dy = randn(shape, 5);
      const want = valueAndGrads(stock(1), x, r, w, ds, [dy]);
      switchFusedKernels(true);
      const got = valueAndGrads((a, b, c) => addRmsNorm(a, b, c, EPS), x, r, w, ds, [dy]);
      for (let i = 0; i < names.length; i++) {
        expect(await checkTensor(got[i], want[i], `${backend} [${shape}] ${names[i]}`)).toBeLessThanOrEqual(tol);
      }
      tf.dispose([x, r, w, ds, dy, ...want, ...got]);
    },
  );

  it.each([
    { copies: 3, sumUsed: true },
    { copies: 2, sumUsed: false }, // s unused: its gradient arrives as zeros
  ])(
    `y given to $copies consumers (s used: $sumUsed) = the stock ops on one y (max error ≤ ${tol})`,
    async ({ copies, sumUsed }) => {
      const shape = [5, 3, 45];
      const x = randn(shape, 11),
        r = randn(shape, 12),
        w = randn([45], 13),
        ds = sumUsed ? randn(shape, 14) : null;
      const dys = Array.from({ length: copies }, (_, k) => randn(shape, 20 + k));
      const want = valueAndGrads(stock(copies), x, r, w, ds, dys);
      const got = valueAndGrads((a, b, c) => addRmsNormFused(a, b, c, EPS, copies), x, r, w, ds, dys);
      for (let i = 0; i < names.length; i++) {
        expect(await checkTensor(got[i], want[i], `${backend} ${copies} copies ${names[i]}`)).toBeLessThanOrEqual(tol);
      }
      tf.dispose([x, r, w, ...(ds ? [ds] : []), ...dys, ...want, ...got]);
    },
  );

  it('leaves no tensors behind: the forward in tf.tidy, and its gradients', () => {
    const x = randn([7, 37], 1),
      r = randn([7, 37], 2),
      w = randn([37], 3),
      ds = randn([7, 37], 4),
      dy = randn([7, 37], 5);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      addRmsNormFused(x, r, w, EPS, 2);
    });
    tf.dispose(tf.grads(loss((a, b, c) => addRmsNormFused(a, b, c, EPS, 2), ds, [dy, dy]))([x, r, w]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, r, w, ds, dy]);
  });

  it.runIf(backend === 'webgpu')('fused: forward 1 dispatch; with the backward, far fewer than the stock ops', () => {
    // 40·37 = 1480 elements: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not sent to the CPU
    const x = randn([40, 37], 1),
      r = randn([40, 37], 2),
      w = randn([37], 3),
      ds = randn([40, 37], 4);
    const dys = [5, 6, 7].map((k) => randn([40, 37], k));
    const both = (norm: Norm) => () => tf.grads(loss(norm, ds, dys))([x, r, w]);
    const counts = {
      fusedForward: dispatches(() => addRmsNormFused(x, r, w, EPS, 3)),
      fusedBoth: dispatches(both((a, b, c) => addRmsNormFused(a, b, c, EPS, 3))),
      stockBoth: dispatches(both(stock(3))),
    };
    console.log('residual add + RMSNorm GPU dispatches', counts);
    expect(counts.fusedForward).toBe(1);
    // both include the same loss ops; the stock norm's forward and backward take ~25 dispatches, the fused 3
    expect(counts.stockBoth - counts.fusedBoth).toBeGreaterThanOrEqual(20);
    tf.dispose([x, r, w, ds, ...dys]);
  });
});
