// Attention with the fused-kernel switch on, against the stock composition (two matmuls and a softmax):
// y, dq, dk and dv for a random upstream gradient, with a causal + left-padding bias from maskTensors
// (fully masked padding query rows included) and a padding-only bias over more keys than queries
// (< 1e-4 on WebGPU, where the programs run; exactly equal on CPU, where the switch must change nothing).
// The same for attendMergedFused with q, k, v in either layout ([B, H, T, D] or as projected, [B, T, H·D])
// and y merged, against the stock split, attention and merge. Also: a fully masked row gives stock's
// uniform softmax and no NaN, no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { attend, maskTensors, NEG_SCORE } from '../model';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';
import { attendFused, attendMergedFused, attendMergedStock, attendStock, repeatKv } from './attention';

const backends = await testBackends();

type Attend = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/** [y, dq, dk, dv] of `att` for upstream gradient dy. */
function valueAndGrads(
  att: Attend,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor,
  dy: tf.Tensor,
): tf.Tensor[] {
  return [
    att(q, k, v, bias),
    ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => att(a, b, c, bias))([q, k, v], dy),
  ];
}

/** [B, 1, T, T] from maskTensors: causal, and sequence b > 0 left-padded by b + 2 (its first query rows see no key). */
function causalPaddingBias(B: number, T: number): tf.Tensor {
  const mask = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b > 0 && t < b + 2 ? 0 : 1)));
  return tf.tidy(() => maskTensors(tf.tensor2d(mask), T).bias);
}

/** [1, 1, 1, Tk] as the decode step builds it: every third key slot is empty. */
function paddingBias(Tk: number): tf.Tensor {
  return tf.tensor(
    Array.from({ length: Tk }, (_, j) => (j % 3 === 1 ? NEG_SCORE : 0)),
    [1, 1, 1, Tk],
  );
}

const CASES = [
  { name: 'causal + padding', B: 2, H: 3, Tq: 13, Tk: 13, D: 12, bias: () => causalPaddingBias(2, 13) },
  { name: 'padding only, Tq < Tk', B: 1, H: 2, Tq: 3, Tk: 19, D: 16, bias: () => paddingBias(19) },
  { name: 'causal, more rows than threads', B: 1, H: 1, Tq: 70, Tk: 70, D: 8, bias: () => causalPaddingBias(1, 70) },
  { name: 'two columns per thread', B: 1, H: 2, Tq: 4, Tk: 6, D: 80, bias: () => paddingBias(6) },
  {
    name: 'grouped kv heads (2 per kv head), causal + padding',
    B: 2,
    H: 4,
    Hkv: 2,
    Tq: 11,
    Tk: 11,
    D: 12,
    bias: () => causalPaddingBias(2, 11),
  },
  {
    name: 'grouped kv heads (3 per kv head), Tq < Tk',
    B: 2,
    H: 6,
    Hkv: 2,
    Tq: 3,
    Tk: 19,
    D: 16,
    bias: () => paddingBias(19),
  },
  { name: 'one kv head for all', B: 1, H: 4, Hkv: 1, Tq: 9, Tk: 9, D: 8, bias: () => causalPaddingBias(1, 9) },
];

/** The stock reference with kv heads repeated (HF's repeat_kv), for k, v [B, Hkv, Tk, D]. */
const stockGrouped: Attend = (q, k, v, bias) =>
  attendStock(q, repeatKv(k, q.shape[1]! / k.shape[1]!), repeatKv(v, q.shape[1]! / k.shape[1]!), bias);

describe.each(backends)('attention kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and the stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each(CASES)(
    `attend with the switch on = stock ops (y, dq, dk, dv; max error ≤ ${tol}): $name, B=$B H=$H Hkv=$Hkv Tq=$Tq ` +
      `Tk=$Tk D=$D`,
    async ({ B, H, Hkv = H, Tq, Tk, D, bias: makeBias }) => {
      const q = randn([B, H, Tq, D], 1),
        k = randn([B, Hkv, Tk, D], 2),
        v = randn([B, Hkv, Tk, D], 3),
        dy = randn([B, H, Tq, D], 4);
      const bias = makeBias();
      const stock = valueAndGrads(stockGrouped, q, k, v, bias, dy);
      switchFusedKernels(true);
      const fused = valueAndGrads(attend, q, k, v, bias, dy);
      const names = ['y', 'dq', 'dk', 'dv'];
      for (let i = 0; i < 4; i++) {
        expect(
          await checkTensor(
            fused[i],
            stock[i],
            `${backend} B=${B} H=${H} Hkv=${Hkv} Tq=${Tq} Tk=${Tk} D=${D} ${names[i]}`,
          ),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([q, k, v, dy, bias, ...stock, ...fused]);
    },
  );

  it.each([
    { name: 'q heads first, k heads first, v as projected (the model)', layouts: [4, 4, 3] },
    { name: 'all as projected', layouts: [3, 3, 3] },
    { name: 'all heads first', layouts: [4, 4, 4] },
    { name: 'q as projected, k and v heads first (the decode cache)', layouts: [3, 4, 4] },
  ])(
    `attendMergedFused = the stock split, attention and merge (y, dq, dk, dv; max error ≤ ${tol}), grouped kv ` +
      `heads, causal + padding: $name`,
    async ({ layouts }) => {
      const [B, H, Hkv, T, D] = [2, 4, 2, 11, 12];
      // a tensor of [B, Hx, T, D] content in the rank-4 layout, or as [B, T, Hx·D]
      const make = (Hx: number, rank: number, seed: number) => {
        const heads = randn([B, Hx, T, D], seed);
        if (rank === 4) return heads;
        const projected = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B, T, Hx * D]);
        heads.dispose();
        return projected;
      };
      const q = make(H, layouts[0], 1),
        k = make(Hkv, layouts[1], 2),
        v = make(Hkv, layouts[2], 3),
        dy = randn([B, T, H * D], 4);
      const bias = causalPaddingBias(B, T);
      const stock = valueAndGrads((a, b, c, m) => attendMergedStock(a, b, c, m, H, Hkv), q, k, v, bias, dy);
      const fused = valueAndGrads((a, b, c, m) => attendMergedFused(a, b, c, m, H, Hkv), q, k, v, bias, dy);
      const names = ['y', 'dq', 'dk', 'dv'];
      for (let i = 0; i < 4; i++) {
        expect(
          await checkTensor(fused[i], stock[i], `${backend} merged, layouts ${layouts} ${names[i]}`),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([q, k, v, dy, bias, ...stock, ...fused]);
    },
  );

  it('a fully masked padding query row: no NaN, the uniform average of v (as stock)', async () => {
    const [B, H, T, D] = [2, 3, 13, 12];
    const q = randn([B, H, T, D], 1),
      k = randn([B, H, T, D], 2),
      v = randn([B, H, T, D], 3),
      dy = randn([B, H, T, D], 4);
    const bias = causalPaddingBias(B, T); // sequence 1: query rows 0..2 see no key
    const fused = valueAndGrads(attendFused, q, k, v, bias, dy);
    for (const t of fused) expect((await t.data()).some(Number.isNaN)).toBe(false);
    const row = tf.slice(fused[0], [1, 0, 0, 0], [1, H, 1, D]);
    const mean = tf.mean(tf.slice(v, [1, 0, 0, 0], [1, H, T, D]), 2, true);
    expect(await checkTensor(row, mean, `${backend} masked row y vs mean of v`)).toBeLessThanOrEqual(1e-5);
    tf.dispose([q, k, v, dy, bias, row, mean, ...fused]);
  });

  it('leaves no tensors behind: the forward in tf.tidy, and its gradients', () => {
    const q = randn([2, 3, 13, 12], 1),
      k = randn([2, 3, 13, 12], 2),
      v = randn([2, 3, 13, 12], 3),
      dy = randn([2, 3, 13, 12], 4);
    const bias = causalPaddingBias(2, 13);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      attendFused(q, k, v, bias);
    });
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => attendFused(a, b, c, bias))([q, k, v], dy));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, dy, bias]);
  });

  it.runIf(backend === 'webgpu')('fused: forward 1 dispatch, backward 2; the stock ops take more', () => {
    // 2·4·16·16 = 2048 elements per input: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not
    // sent to the CPU
    const shape = [2, 4, 16, 16];
    const q = randn(shape, 1),
      k = randn(shape, 2),
      v = randn(shape, 3),
      dy = randn(shape, 4);
    const bias = causalPaddingBias(2, 16);
    const grads = (att: Attend) => () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => att(a, b, c, bias))([q, k, v], dy);
    const counts = {
      fusedForward: dispatches(() => attendFused(q, k, v, bias)),
      stockForward: dispatches(() => attendStock(q, k, v, bias)),
      fusedBoth: dispatches(grads(attendFused)),
      stockBoth: dispatches(grads(attendStock)),
    };
    const backward = { fused: counts.fusedBoth - counts.fusedForward, stock: counts.stockBoth - counts.stockForward };
    console.log('attention GPU dispatches', counts, 'backward', backward);
    expect(counts.fusedForward).toBe(1);
    expect(backward.fused).toBe(2);
    expect(counts.stockForward).toBeGreaterThan(counts.fusedForward);
    expect(backward.stock).toBeGreaterThan(backward.fused);
    tf.dispose([q, k, v, dy, bias]);
  });
});
