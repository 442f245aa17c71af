// The fused LoRA projection: its value and its gradients for x, A and B equal the stock composition's
// (x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ through autograd) to 1e-5, with and without a bias; W and b get no gradient (frozen);
// the gradient for A agrees with central finite differences in float64 on the host; nothing leaks. On WebGPU
// a nano model with adapters gives the same loss and adapter gradients on the fused path (this op) as stock.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from './config';
import { switchFusedKernels } from './kernels/fused';
import { addLora, LORA_TARGETS, loraParams } from './lora';
import { loraLinear2d } from './lora_linear';
import { initParams, maskedNll } from './model';
import { switchTestBackend, testBackends } from './test_backends';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('loraLinear2d (CPU)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const withBias of [true, false])
    it(`value and gradients equal the stock composition${withBias ? ', with a bias' : ''} (1e-5)`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const [x, A, B, dy] = [rand([5, 7], 1), rand([3, 7], 3), rand([6, 3], 4), rand([5, 6], 5)];
        const w = rand([6, 7], 2) as tf.Tensor2D;
        const b = withBias ? rand([6], 6) : undefined;
        const s = 2.5;
        const stock = (xi: tf.Tensor, a: tf.Tensor, bb: tf.Tensor) => {
          const base = tf.matMul(xi, w, false, true);
          const y = tf.add(
            b ? tf.add(base, b) : base,
            tf.matMul(tf.mul(tf.matMul(xi, a, false, true), s), bb, false, true),
          );
          return tf.sum(tf.mul(y, dy));
        };
        const fused = (xi: tf.Tensor, a: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(loraLinear2d(xi as tf.Tensor2D, w, b, a as tf.Tensor2D, bb as tf.Tensor2D, s), dy));
        expect(maxAbs(stock(x, A, B), fused(x, A, B))).toBeLessThanOrEqual(1e-5 * 10); // a sum of 30 terms
        const want = tf.grads(stock)([x, A, B]);
        const got = tf.grads(fused)([x, A, B]);
        for (let i = 0; i < 3; i++) expect(maxAbs(got[i], want[i])).toBeLessThanOrEqual(1e-5);
      });
      expect(tf.memory().numTensors).toBe(before);
    });

  it('the gradient for A agrees with central finite differences in float64 (relative 1e-3)', () => {
    const [n, inp, out, r, s] = [3, 4, 5, 2, 1.5];
    const draw = (k: number, seed: number) => Array.from({ length: k }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
    const [x, w, A, B, dy] = [
      draw(n * inp, 1),
      draw(out * inp, 2),
      draw(r * inp, 3),
      draw(out * r, 4),
      draw(n * out, 5),
    ];
    // L(A) = Σ dy ⊙ (x·Wᵀ + s·(x·Aᵀ)·Bᵀ) in float64
    const loss = (a: number[]) => {
      let sum = 0;
      for (let i = 0; i < n; i++)
        for (let o = 0; o < out; o++) {
          let y = 0;
          for (let k = 0; k < inp; k++) y += x[i * inp + k] * w[o * inp + k];
          for (let q = 0; q < r; q++) {
            let m = 0;
            for (let k = 0; k < inp; k++) m += x[i * inp + k] * a[q * inp + k];
            y += s * m * B[o * r + q];
          }
          sum += dy[i * out + o] * y;
        }
      return sum;
    };
    const got = tf.tidy(() => {
      const t = (v: number[], shape: [number, number]) => tf.tensor2d(v, shape);
      const [xt, wt, Bt, dyt] = [t(x, [n, inp]), t(w, [out, inp]), t(B, [out, r]), t(dy, [n, out])];
      const f = (a: tf.Tensor) => tf.sum(tf.mul(loraLinear2d(xt, wt, undefined, a as tf.Tensor2D, Bt, s), dyt));
      return tf
        .grad(f)(t(A, [r, inp]))
        .dataSync();
    });
    const h = 1e-6;
    for (let j = 0; j < A.length; j++) {
      const up = [...A],
        down = [...A];
      up[j] += h;
      down[j] -= h;
      const fd = (loss(up) - loss(down)) / (2 * h);
      expect(Math.abs(got[j] - fd)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(fd)));
    }
  });
});

const onWebGPU = (await testBackends()).includes('webgpu');

describe.skipIf(!onWebGPU)('LoRA projections on the fused path (WebGPU)', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it('loss and adapter gradients equal the stock path’s (1e-4)', async () => {
    const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
    const params = initParams(cfg, 2);
    const s = { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false };
    const adapters = addLora(params, cfg, s, { seed: 3 });
    for (const [name, v] of Object.entries(loraParams(params)))
      if (name.endsWith('lora_B.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', name.length));
    const x = tf.tensor2d([[1, 5, 9, 4, 7, 3, 30, 2]], undefined, 'int32');
    const t = tf.tensor2d([[5, 9, 4, 7, 3, 30, 2, 11]], undefined, 'int32');
    const m = tf.ones([1, 8]) as tf.Tensor2D;
    const run = async (fused: boolean) => {
      switchFusedKernels(fused);
      try {
        const { value, grads } = tf.variableGrads(
          () => maskedNll(params, cfg, x, t, m) as tf.Scalar,
          Object.values(adapters),
        );
        const out = {
          loss: (await value.data())[0],
          grads: await Promise.all(Object.values(adapters).map((v) => grads[v.name].data())),
        };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      } finally {
        switchFusedKernels(false);
      }
    };
    const [stock, fused] = [await run(false), await run(true)];
    expect(Math.abs(fused.loss - stock.loss)).toBeLessThanOrEqual(1e-4);
    stock.grads.forEach((g, i) =>
      g.forEach((v, j) => expect(Math.abs(fused.grads[i][j] - v)).toBeLessThanOrEqual(1e-4)),
    );
    tf.dispose([...Object.values(params), x, t, m]);
  });
});
