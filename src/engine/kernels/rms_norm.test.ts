// RMSNorm with the fused-kernel switch on, against the stock composition: value, dx and dw for a random
// upstream gradient on awkward shapes (< 1e-4 on WebGPU, where the programs run; exactly equal on CPU,
// where the switch must change nothing). Also: no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { rmsNorm } from '../model';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';
import { rmsNormFused, rmsNormStock } from './rms_norm';

const EPS = 1e-5;
const backends = await testBackends();

type Norm = (x: tf.Tensor, w: tf.Tensor, eps: number) => tf.Tensor;

/** [y, dx, dw] of `norm` for upstream gradient dy. */
function valueAndGrads(norm: Norm, x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  return [norm(x, w, EPS), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => norm(a, b, EPS))([x, w], dy)];
}

describe.each(backends)('RMSNorm kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and six stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each([
    { shape: [7, 37] }, // rows and hidden size share no factor with the 64-thread workgroup
    { shape: [2, 3, 37] }, // leading axes are flattened into rows
    { shape: [3, 130] }, // more than two workgroup widths per row, with a remainder
    { shape: [4, 1] },
  ])(`rmsNorm with the switch on = stock ops (value, dx, dw; max error ≤ ${tol}) on $shape`, async ({ shape }) => {
    const C = shape[shape.length - 1];
    const x = randn(shape, 1),
      w = randn([C], 2),
      dy = randn(shape, 3);
    const stock = valueAndGrads(rmsNormStock, x, w, dy);
    switchFusedKernels(true);
    const fused = valueAndGrads(rmsNorm, x, w, dy);
    const names = ['y', 'dx', 'dw'];
    for (let i = 0; i < 3; i++) {
      expect(await checkTensor(fused[i], stock[i], `${backend} [${shape}] ${names[i]}`)).toBeLessThanOrEqual(tol);
    }
    tf.dispose([x, w, dy, ...stock, ...fused]);
  });

  it('leaves no tensors behind: the forward in tf.tidy, and its gradients', () => {
    const x = randn([7, 37], 1),
      w = randn([37], 2),
      dy = randn([7, 37], 3);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      rmsNormFused(x, w, EPS);
    });
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => rmsNormFused(a, b, EPS))([x, w], dy));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, dy]);
  });

  it.runIf(backend === 'webgpu')('fused: forward 1 dispatch, forward + backward 4; the stock ops take more', () => {
    // 40·37 = 1480 elements: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not sent to the CPU
    const x = randn([40, 37], 1),
      w = randn([37], 2),
      dy = randn([40, 37], 3);
    const grads = (norm: Norm) => () => tf.grads((a: tf.Tensor, b: tf.Tensor) => norm(a, b, EPS))([x, w], dy);
    const counts = {
      fusedForward: dispatches(() => rmsNormFused(x, w, EPS)),
      stockForward: dispatches(() => rmsNormStock(x, w, EPS)),
      fusedBoth: dispatches(grads(rmsNormFused)),
      stockBoth: dispatches(grads(rmsNormStock)),
    };
    console.log('RMSNorm GPU dispatches', counts);
    expect(counts.fusedForward).toBe(1);
    expect(counts.fusedBoth).toBe(4);
    expect(counts.stockForward).toBeGreaterThan(1);
    expect(counts.stockBoth).toBeGreaterThan(counts.fusedBoth);
    tf.dispose([x, w, dy]);
  });
});
