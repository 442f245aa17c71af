// The kernel self-check (what bench.html's "Check kernels" runs in a browser) on WebGPU in Node: every
// fused kernel within 1e-4 of its stock composition, forward and gradients, and no tensor left behind.
// A check that cannot fail is worthless: a deliberately wrong "fused" kernel must come out failing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, switchTestBackend } from '../test_backends';
import { rmsNormStock } from './rms_norm';
import { checkFusedKernels, compareDifferentiable, describeCheck, KERNEL_TOLERANCE } from './self_check';
import { randn } from './check_tensor';

const backends = await testBackends();

describe.runIf(backends.includes('webgpu'))('fused kernel self-check on webgpu', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it(`every fused kernel matches its stock composition within ${KERNEL_TOLERANCE}, and nothing leaks`, async () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const results = await checkFusedKernels((done) => seen.push(done));
    for (const r of results) console.log(describeCheck(r));
    expect(results.length).toBeGreaterThanOrEqual(14);
    expect(seen).toEqual(results.map((_, i) => i + 1));
    expect(results.filter((r) => !r.pass).map(describeCheck)).toEqual([]);
    expect(results.filter((r) => r.gradient !== null).length).toBeGreaterThanOrEqual(8);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('fails a kernel whose gradient alone is wrong', async () => {
    // forward equal, backward scaled by 1 + 1e-3: only the gradient comparison can see it
    const scaleGradient = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.mul(x, 1),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, 1.001),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
    const skewed = (x: tf.Tensor, w: tf.Tensor) => rmsNormStock(scaleGradient(x), w, 1e-5);
    const r = await compareDifferentiable('skewed RMSNorm', 'x [3,70]', skewed, (x, w) => rmsNormStock(x, w, 1e-5), [
      randn([3, 70], 1),
      randn([70], 2),
    ]);
    expect(r.forward).toBe(0);
    expect(r.gradient!).toBeGreaterThan(KERNEL_TOLERANCE);
    expect(r.pass).toBe(false);
    const shifted = await compareDifferentiable(
      'shifted RMSNorm',
      'x [3,70]',
      (x, w) => tf.add(rmsNormStock(x, w, 1e-5), 1e-3),
      (x, w) => rmsNormStock(x, w, 1e-5),
      [randn([3, 70], 1), randn([70], 2)],
    );
    expect(shifted.forward).toBeGreaterThan(KERNEL_TOLERANCE);
    expect(shifted.pass).toBe(false);
  });
});

describe('fused kernel self-check off WebGPU', () => {
  it('refuses with the backend named', async () => {
    await switchTestBackend('cpu');
    await expect(checkFusedKernels()).rejects.toThrow(/WebGPU programs; the backend is cpu/);
  });
});
