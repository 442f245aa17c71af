// The per-gradient Σ g² with the fused-kernel switch on, against the stock composition (square, sum,
// stack): each term and clipCoefficient's global norm and coefficient agree within 1e-5 relative on
// WebGPU, where the programs run, over ten gradients (two programs: 7 + 3) of awkward sizes, a 120×128
// embedding among them; exactly equal on CPU, where the switch must change nothing. Also: the same
// bits on a second run (no atomics), no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { clipCoefficient } from '../optimizer';
import { testBackends, switchTestBackend } from '../test_backends';
import { dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';
import { sumSquaresFused, sumSquaresStock } from './grad_norm';

const backends = await testBackends();

// 1037, 1113 and 7·37 share no factor with the 64-thread workgroup; [1] leaves 63 threads idle
const SHAPES = [[120, 128], [1037], [3, 7, 53], [16, 16], [64, 37], [1], [2, 2, 2, 200], [1113], [32, 32], [7, 37]];

/**
 * Random gradients with their data on the device, as in training (small CPU-resident inputs would send stock ops to the
 * CPU).
 */
function gradients(seed: number, scaled = false): tf.Tensor[] {
  return SHAPES.map((s, i) => {
    const g = scaled ? tf.tidy(() => tf.mul(randn(s, seed + i), 0.1 * (i + 1))) : randn(s, seed + i);
    if (tf.getBackend() === 'webgpu') (tf.backend() as WebGPUBackend).uploadToGPU(g.dataId);
    return g;
  });
}

/** max |a − b| / |b| over the elements, printed with a label. */
async function checkRelative(a: tf.Tensor, b: tf.Tensor, label: string): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), 1e-30));
  console.log(`${label}: max relative diff ${max.toExponential(2)}`);
  return max;
}

describe.each(backends)('grad-norm kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one strided tree and tfjs's reductions round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-5 : 0;

  it(
    `Σ g² per gradient, the global norm and the clip coefficient ` +
      `with the switch on = stock (relative error ≤ ${tol})`,
    async () => {
      const grads = gradients(1, true); // ten gradients of different scales
      const named = Object.fromEntries(grads.map((g, i) => [`p${i}`, g]));
      const stockTerms = sumSquaresStock(grads);
      const stock = clipCoefficient(named, 1);
      switchFusedKernels(true);
      const fusedTerms = sumSquaresFused(grads);
      const fused = clipCoefficient(named, 1);
      expect(await checkRelative(fusedTerms, stockTerms, `${backend} Σ g² terms`)).toBeLessThanOrEqual(tol);
      expect(await checkRelative(fused.norm, stock.norm, `${backend} global norm`)).toBeLessThanOrEqual(tol);
      expect(await checkRelative(fused.coef!, stock.coef!, `${backend} clip coefficient`)).toBeLessThanOrEqual(tol);
      tf.dispose([...grads, stockTerms, fusedTerms, stock.norm, stock.coef!, fused.norm, fused.coef!]);
    },
  );

  it('is deterministic: a second run gives the same bits', async () => {
    const grads = gradients(20);
    const [a, b] = [sumSquaresFused(grads), sumSquaresFused(grads)];
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([...grads, a, b]);
  });

  it('leaves no tensors behind', () => {
    const grads = gradients(40);
    const named = Object.fromEntries(grads.map((g, i) => [`p${i}`, g]));
    const before = tf.memory().numTensors;
    tf.dispose(sumSquaresFused(grads));
    switchFusedKernels(true);
    const { coef, norm } = clipCoefficient(named, 1);
    tf.dispose([coef!, norm]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(grads);
  });

  it.runIf(backend === 'webgpu')(
    'fused: ⌈P / 7⌉ dispatches for the P terms (2 for 10 gradients); the stock ops take 2P + 1 or more',
    () => {
      const grads = gradients(60);
      const named = Object.fromEntries(grads.map((g, i) => [`p${i}`, g]));
      const clip = (on: boolean) => () => {
        switchFusedKernels(on);
        const { coef, norm } = clipCoefficient(named, 1);
        return [coef!, norm];
      };
      const counts = {
        fusedTerms: dispatches(() => sumSquaresFused(grads)),
        stockTerms: dispatches(() => sumSquaresStock(grads)),
        fusedClip: dispatches(clip(true)),
        stockClip: dispatches(clip(false)),
      };
      console.log('grad-norm GPU dispatches', counts);
      expect(counts.fusedTerms).toBe(2);
      // a square and a sum each, then the stack
      expect(counts.stockTerms).toBeGreaterThanOrEqual(2 * SHAPES.length + 1);
      // the rest (sum, √, coefficient) is shared
      expect(counts.stockClip - counts.fusedClip).toBe(counts.stockTerms - counts.fusedTerms);
      tf.dispose(grads);
    },
  );
});
