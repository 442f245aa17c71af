// Training's matmul on frozen half-precision weights: y = x·Wᵀ (+ b) and dx = dy·W against float64 products
// of the same halves (1e-5 relative to the scale of a sum of K or N unit terms: the programs accumulate in
// f32), on shapes whose M, N and K/2 are not multiples of the 16-wide tile (partial tiles on every edge) and
// smaller than one tile. Through autograd the op's gradient is dy·W and W gets none; a LoRA linear on top
// (base on the f16 W) has gradients for x and A equal to central finite differences of a float64 host
// reference on the dequantized W. Nothing leaks; off WebGPU the ops refuse, naming the backend.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loraLinear2d } from '../lora_linear';
import { switchTestBackend, testBackends } from '../test_backends';
import { asHalves, linearRef, normals } from './f16_test_reference';
import { packF16Weight } from './matmul_f16';
import { matMulF16Dx, matMulF16Rows, matMulF16Train } from './matmul_f16_train';

const backends = await testBackends();

/** dy [M, N] · W in float64 for W [N, K]. */
function backwardRef(dy: Float32Array, w: Float64Array, M: number, K: number, N: number) {
  const dx = new Float64Array(M * K);
  for (let m = 0; m < M; m++)
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += dy[m * N + n] * w[n * K + k];
      dx[m * K + k] = s;
    }
  return dx;
}

const maxErr = (got: ArrayLike<number>, want: Float64Array, scale: number) => {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale);
  return e;
};

describe.each(backends)('f16 training matmul on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  if (backend !== 'webgpu') {
    it('refuses off WebGPU, naming the backend', async () => {
      const w = await packF16Weight(tf.ones([2, 4]) as tf.Tensor2D);
      expect(() => matMulF16Rows(tf.ones([3, 4]) as tf.Tensor2D, w)).toThrow(`the backend is ${backend}`);
      expect(() => matMulF16Dx(tf.ones([3, 2]) as tf.Tensor2D, w)).toThrow(`the backend is ${backend}`);
      tf.dispose(w);
    });
    return;
  }

  it.each([
    { M: 37, K: 70, N: 23, bias: false }, // 3 × 2 tiles, K/2 = 35 words: 3 steps, the last of 3
    { M: 37, K: 70, N: 23, bias: true },
    { M: 5, K: 6, N: 3, bias: true }, // smaller than one tile on every side
    { M: 16, K: 64, N: 16, bias: false }, // exactly one tile, two steps
    { M: 50, K: 34, N: 41, bias: false },
  ])('[$M, $K] · [$N, $K]ᵀ (bias $bias) and dy · W = the float64 products of the halves', async (s) => {
    const { M, K, N, bias } = s;
    const xv = normals(M * K, 1),
      wv = normals(N * K, 2),
      dyv = normals(M * N, 3),
      bv = bias ? normals(N, 4) : null;
    const x = tf.tensor2d(xv, [M, K]),
      dy = tf.tensor2d(dyv, [M, N]),
      b = bv ? tf.tensor1d(bv) : undefined,
      w32 = tf.tensor2d(wv, [N, K]);
    const w = await packF16Weight(w32);
    const wh = asHalves(wv);
    const before = tf.memory().numTensors;
    const y = matMulF16Rows(x, w, b),
      dx = matMulF16Dx(dy, w);
    expect(y.shape).toEqual([M, N]);
    expect(dx.shape).toEqual([M, K]);
    expect(maxErr(await y.data(), linearRef(xv, wh, bv, M, K, N), Math.sqrt(K))).toBeLessThan(1e-5);
    expect(maxErr(await dx.data(), backwardRef(dyv, wh, M, K, N), Math.sqrt(N))).toBeLessThan(1e-5);
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy, b ?? [], w32, w]);
  });

  it('through autograd: the gradient for x is dy·W (the backward program itself), nothing leaks', async () => {
    const [M, K, N] = [21, 30, 19];
    const x = tf.tensor2d(normals(M * K, 5), [M, K]),
      dy = tf.tensor2d(normals(M * N, 6), [M, N]);
    const w = await packF16Weight(tf.tensor2d(normals(N * K, 7), [N, K]));
    const before = tf.memory().numTensors;
    const got = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(matMulF16Train(xi as tf.Tensor2D, w), dy)))(x);
    const want = matMulF16Dx(dy, w);
    expect(got.shape).toEqual([M, K]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))));
    expect(await diff.data()).toEqual(new Float32Array([0]));
    tf.dispose([got, want, diff]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy, w]);
  });

  it('a LoRA linear on the f16 base: gradients for x and A = float64 finite differences (rel 1e-4)', async () => {
    const [M, K, N, r, s] = [19, 38, 21, 3, 0.75];
    const xv = normals(M * K, 8),
      wv = normals(N * K, 9),
      av = normals(r * K, 10).map((v) => v * 0.3),
      bv = normals(N * r, 11).map((v) => v * 0.3),
      cv = normals(M * N, 12);
    const wh = asHalves(wv);
    // L(x, A) = Σ c ⊙ tanh(x·dequant(W)ᵀ + s·(x·Aᵀ)·Bᵀ) / √K, in float64
    const loss = (x: Float64Array, a: Float64Array) => {
      const base = linearRef(x, wh, null, M, K, N);
      const mid = linearRef(x, a, null, M, K, r);
      let sum = 0;
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let y = base[m * N + n];
          for (let q = 0; q < r; q++) y += s * mid[m * r + q] * bv[n * r + q];
          sum += cv[m * N + n] * Math.tanh(y / Math.sqrt(K));
        }
      return sum;
    };
    const central = (v: Float64Array, f: (u: Float64Array) => number) =>
      v.map((_, i) => {
        const h = 1e-5;
        const up = v.slice(),
          down = v.slice();
        up[i] += h;
        down[i] -= h;
        return (f(up) - f(down)) / (2 * h);
      });
    const x64 = Float64Array.from(xv),
      a64 = Float64Array.from(av);
    const wantX = central(x64, (u) => loss(u, a64)),
      wantA = central(a64, (u) => loss(x64, u));

    const w = await packF16Weight(tf.tensor2d(wv, [N, K]));
    const B = tf.tensor2d(bv, [N, r]),
      c = tf.tensor2d(cv, [M, N]);
    const f = (x: tf.Tensor, a: tf.Tensor) =>
      tf.sum(
        tf.mul(tf.tanh(tf.div(loraLinear2d(x as tf.Tensor2D, w, undefined, a as tf.Tensor2D, B, s), Math.sqrt(K))), c),
      );
    const xt = tf.tensor2d(xv, [M, K]),
      at = tf.tensor2d(av, [r, K]);
    const before = tf.memory().numTensors;
    const [gx, ga] = tf.grads(f)([xt, at]);
    const rel = (got: Float32Array, want: Float64Array) => {
      const scale = want.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
      return maxErr(got, want, scale);
    };
    expect(rel((await gx.data()) as Float32Array, wantX)).toBeLessThan(1e-4);
    expect(rel((await ga.data()) as Float32Array, wantA)).toBeLessThan(1e-4);
    tf.dispose([gx, ga]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, B, c, xt, at]);
  });
});
