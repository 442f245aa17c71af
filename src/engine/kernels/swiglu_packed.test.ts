// SwiGLU over the packed gate|up projection against the stock composition (two slices, gate · σ(gate) · up)
// on widths that are not multiples of the workgroup size (< 1e-4 on WebGPU, where the program runs;
// exactly equal on CPU, where it is the stock composition). Also: no leaked tensors, one GPU dispatch.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { swigluPackedFused, swigluPackedStock } from './swiglu_packed';

const backends = await testBackends();

describe.each(backends)('packed SwiGLU kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each([
    [3, 32],
    [2, 176],
    [5, 7],
  ])(`silu(gate)·up from gu [N, 2·I] = stock (max error ≤ ${tol}): N=%i I=%i`, async (N, I) => {
    const gu = tf.mul(randn([N, 2 * I], N + I), 3) as tf.Tensor2D;
    const fused = swigluPackedFused(gu),
      stock = swigluPackedStock(gu);
    expect(await checkTensor(fused, stock, `${backend} swigluPacked N=${N} I=${I}`)).toBeLessThanOrEqual(tol);
    tf.dispose([gu, fused, stock]);
  });

  it('leaves no tensors behind', () => {
    const gu = randn([3, 14], 1) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      swigluPackedFused(gu);
    });
    expect(tf.memory().numTensors).toBe(before);
    gu.dispose();
  });

  it.runIf(backend === 'webgpu')('fused: 1 dispatch; the stock composition takes more', () => {
    // past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD, so stock ops stay on the GPU
    const gu = randn([4, 2 * 176], 2) as tf.Tensor2D;
    const counts = { fused: dispatches(() => swigluPackedFused(gu)), stock: dispatches(() => swigluPackedStock(gu)) };
    console.log('packed SwiGLU GPU dispatches', counts);
    expect(counts.fused).toBe(1);
    expect(counts.stock).toBeGreaterThan(1);
    gu.dispose();
  });
});
