// What must hold: AdamW follows PyTorch's torch.optim.AdamW step by step (plain-JS reference, 1e-6
// relative); weight decay is decoupled (zero grads shrink params by exactly (1 − lr·λ) per step) and
// skips 1-D weights; clipping follows clip_grad_norm_; apply() leaks no tensors. Runs on WASM.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from './node_webgpu';
import { clipByGlobalNorm, createAdamW, decayMatrices } from './optimizer';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** torch.optim.AdamW (amsgrad=False) on plain arrays, in float64. */
function referenceAdamW(
  p0: number[],
  grads: number[][],
  lrs: number[],
  c: { b1: number; b2: number; eps: number; wd: number },
): number[] {
  const p = [...p0],
    m = p.map(() => 0),
    v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1,
      lr = lrs[k];
    const bc1 = 1 - c.b1 ** t,
      bc2 = 1 - c.b2 ** t;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * c.wd;
      m[i] = c.b1 * m[i] + (1 - c.b1) * g[i];
      v[i] = c.b2 * v[i] + (1 - c.b2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + c.eps;
      p[i] -= (lr / bc1) * (m[i] / denom);
    }
  });
  return p;
}

const closeRel = (got: ArrayLike<number>, want: number[], rel: number) => {
  const worst = want.reduce((w, x, i) => Math.max(w, Math.abs(got[i] - x) / Math.max(Math.abs(x), 1e-3)), 0);
  expect(worst, `max relative diff ${worst}`).toBeLessThan(rel);
};

describe('AdamW', () => {
  const hp = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

  it('matches PyTorch AdamW for 5 steps, with varying lr (1e-6 relative)', async () => {
    const p0 = [0.5, -1.25, 2, 0.75, -0.3, 1.1];
    const grads = [0, 1, 2, 3, 4].map((k) => p0.map((_, i) => Math.sin(1 + i * 1.7 + k * 0.9) * (i + 1) * 0.1));
    const lrs = [1e-2, 2e-2, 3e-2, 2e-2, 1e-2];
    const w = tf.variable(tf.tensor2d(p0, [2, 3]));
    const opt = createAdamW({ w }, { lr: 0, ...hp });
    for (let k = 0; k < 5; k++) {
      const g = tf.tensor2d(grads[k], [2, 3]);
      opt.apply({ w: g }, lrs[k]);
      g.dispose();
    }
    const want = referenceAdamW(p0, grads, lrs, { b1: hp.beta1, b2: hp.beta2, eps: hp.eps, wd: hp.weightDecay });
    closeRel(await w.data(), want, 1e-6);
    expect(opt.state().step).toBe(5);
    opt.dispose();
    w.dispose();
  });

  it('decoupled weight decay: zero grads shrink a matrix by exactly (1 − lr·λ) per step, vectors not', async () => {
    const w = tf.variable(
      tf.tensor2d([
        [1, -2],
        [3, 0.5],
      ]),
    );
    const norm = tf.variable(tf.tensor1d([1, 2]));
    const lr = 0.01,
      wd = 0.5;
    const opt = createAdamW({ w, norm }, { lr, ...hp, weightDecay: wd });
    expect(decayMatrices('model.norm.weight', norm)).toBe(false);
    for (let k = 0; k < 3; k++) opt.apply({ w: tf.zeros([2, 2]), norm: tf.zeros([2]) });
    const keep = 1 - lr * wd;
    closeRel(
      await w.data(),
      [1, -2, 3, 0.5].map((x) => x * keep ** 3),
      1e-6,
    );
    expect(Array.from(await norm.data())).toEqual([1, 2]);
    opt.dispose();
  });

  it('honours a custom decay filter and leaves parameters without a gradient untouched', async () => {
    const a = tf.variable(tf.tensor2d([[1, 1]])),
      b = tf.variable(tf.tensor2d([[1, 1]]));
    const opt = createAdamW({ a, b }, { lr: 0.1, ...hp, weightDecay: 1, decayFilter: (n) => n === 'b' });
    opt.apply({ a: tf.zeros([1, 2]), b: tf.zeros([1, 2]) });
    expect(Array.from(await a.data())).toEqual([1, 1]);
    closeRel(await b.data(), [0.9, 0.9], 1e-6);
    opt.apply({ a: tf.ones([1, 2]) }); // b has no gradient: no decay, no update
    closeRel(await b.data(), [0.9, 0.9], 1e-6);
    opt.dispose();
  });

  it('refuses gradients with unknown names or wrong shapes', () => {
    const a = tf.variable(tf.zeros([2, 2]));
    const opt = createAdamW({ a }, { lr: 0.1, ...hp });
    expect(() => opt.apply({ b: tf.zeros([2, 2]) })).toThrow(/gradient "b" matches no parameter/);
    expect(() => opt.apply({ a: tf.zeros([2]) })).toThrow(/gradient "a" has shape \[2\], parameter has \[2,2\]/);
    expect(opt.state().step).toBe(0);
    opt.dispose();
  });

  it('restores a saved state so the next step matches an uninterrupted run', async () => {
    const g = [
      [0.3, -0.2],
      [0.1, 0.4],
      [-0.5, 0.2],
    ];
    const run = async (split: boolean) => {
      const w = tf.variable(tf.tensor2d([[1, 2]]));
      let opt = createAdamW({ w }, { lr: 0.05, ...hp });
      for (let k = 0; k < 3; k++) {
        if (split && k === 2) {
          const s = opt.state();
          const saved = { step: s.step, m: { w: s.m.w.clone() }, v: { w: s.v.w.clone() } };
          opt.dispose();
          opt = createAdamW({ w }, { lr: 0.05, ...hp });
          opt.loadState(saved);
        }
        opt.apply({ w: tf.tensor2d([g[k]]) });
      }
      return Array.from(await w.data());
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('exports its state as plain data that a new optimizer imports and continues exactly from', async () => {
    const g = [
      [0.3, -0.2, 0.7],
      [0.1, 0.4, -0.3],
      [-0.5, 0.2, 0.1],
    ];
    const run = async (split: boolean) => {
      const params = { w: tf.variable(tf.tensor2d([[1, 2]])), b: tf.variable(tf.tensor1d([0.5])) };
      let opt = createAdamW(params, { lr: 0.05, ...hp });
      for (let k = 0; k < 3; k++) {
        if (split && k === 2) {
          const saved = await opt.exportState();
          expect(saved.step).toBe(2);
          expect(saved.m.w).toBeInstanceOf(Float32Array);
          expect(saved.v.b).toHaveLength(1);
          opt.dispose();
          opt = createAdamW(params, { lr: 0.05, ...hp });
          opt.importState(structuredClone(saved)); // as it comes back from storage
        }
        opt.apply({ w: tf.tensor2d([g[k].slice(0, 2)]), b: tf.tensor1d([g[k][2]]) });
      }
      opt.dispose();
      return [...(await params.w.data()), ...(await params.b.data())];
    };
    expect(await run(true)).toEqual(await run(false));

    const opt = createAdamW({ w: tf.variable(tf.zeros([2])) }, { lr: 0.1, ...hp });
    const bad = { step: 1, m: { w: new Float32Array(3), x: new Float32Array(1) }, v: {} };
    expect(() => opt.importState(bad)).toThrow(
      /m of "w" has 3 values, the parameter 2; no v for "w"; moments for unknown parameters "x"/,
    );
    opt.dispose();
  });

  it('keeps tf.memory().numTensors flat across apply() calls', () => {
    const params = { a: tf.variable(tf.randomNormal([4, 3])), b: tf.variable(tf.ones([3])) };
    const grads = { a: tf.randomNormal([4, 3]), b: tf.randomNormal([3]) };
    const opt = createAdamW(params, { lr: 1e-3, ...hp });
    opt.apply(grads);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) opt.apply(grads);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  const sqNorm = async (gs: Record<string, tf.Tensor>) => {
    let s = 0;
    for (const g of Object.values(gs)) for (const x of await g.data()) s += x * x;
    return Math.sqrt(s);
  };

  it('reports the global L2 norm and scales to maxNorm when above it (1e-5 relative)', async () => {
    const grads = {
      a: tf.tensor2d([
        [3, 0],
        [0, 4],
      ]),
      b: tf.tensor1d([12]),
    }; // ‖g‖ = 13
    const { grads: c, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.shape).toEqual([]);
    expect((await norm.data())[0]).toBeCloseTo(13, 5);
    expect(await sqNorm(c)).toBeCloseTo(1, 5);
    expect(Array.from(await c.b.data())[0]).toBeCloseTo(12 / 13, 5);
  });

  it('leaves gradients unchanged below maxNorm, and with maxNorm 0 (measure only)', async () => {
    const grads = { a: tf.tensor1d([0.3, -0.4]) };
    for (const maxNorm of [1, 0]) {
      const { grads: c, norm } = clipByGlobalNorm(grads, maxNorm);
      expect((await norm.data())[0]).toBeCloseTo(0.5, 6);
      expect(Array.from(await c.a.data())).toEqual(Array.from(await grads.a.data()));
    }
  });

  it('creates only its outputs', () => {
    const grads = { a: tf.ones([3, 3]), b: tf.ones([2]) };
    const before = tf.memory().numTensors;
    const { grads: c, norm } = clipByGlobalNorm(grads, 0.5);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose([c.a, c.b, norm]);
  });
});
