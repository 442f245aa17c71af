// SwiGLU with the fused-kernel switch on, against the stock composition (gate · σ(gate) · up): value,
// d_gate and d_up for a random upstream gradient on awkward shapes (< 1e-4 on WebGPU, where the
// programs run; exactly equal on CPU, where the switch must change nothing). Also: no leaked tensors,
// and the GPU dispatch counts. The model's block calls the same pair (model.ts).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { fusedKernelsOn, switchFusedKernels } from './fused';
import { swigluFused, swigluStock } from './swiglu';

const backends = await testBackends();

type Glu = (gate: tf.Tensor, up: tf.Tensor) => tf.Tensor;

/** What model.ts's block runs: the fused pair when the switch is on. */
const blockGlu: Glu = (gate, up) => (fusedKernelsOn() ? swigluFused(gate, up) : swigluStock(gate, up));

/** [y, d_gate, d_up] of `glu` for upstream gradient dy. */
function valueAndGrads(glu: Glu, gate: tf.Tensor, up: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  return [glu(gate, up), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => glu(a, b))([gate, up], dy)];
}

describe.each(backends)('SwiGLU kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and three stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each([
    { shape: [3, 7, 37] }, // [B, T, I] with no factor in common with the 64-thread workgroup
    { shape: [5, 1] },
    { shape: [130] }, // two workgroups and a remainder
  ])(
    `silu(gate)·up with the switch on = stock ops (y, d_gate, d_up; max error ≤ ${tol}) on $shape`,
    async ({ shape }) => {
      // gate spread to ±12: σ saturates at both ends, where 1 − σ and exp(−a) are least forgiving
      const gate = tf.mul(randn(shape, 1), 4),
        up = randn(shape, 2),
        dy = randn(shape, 3);
      const stock = valueAndGrads(swigluStock, gate, up, dy);
      switchFusedKernels(true);
      const fused = valueAndGrads(blockGlu, gate, up, dy);
      const names = ['y', 'd_gate', 'd_up'];
      for (let i = 0; i < 3; i++) {
        expect(await checkTensor(fused[i], stock[i], `${backend} [${shape}] ${names[i]}`)).toBeLessThanOrEqual(tol);
      }
      tf.dispose([gate, up, dy, ...stock, ...fused]);
    },
  );

  it('leaves no tensors behind: the forward in tf.tidy, and its gradients', () => {
    const gate = randn([3, 7, 37], 1),
      up = randn([3, 7, 37], 2),
      dy = randn([3, 7, 37], 3);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      swigluFused(gate, up);
    });
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => swigluFused(a, b))([gate, up], dy));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([gate, up, dy]);
  });

  it.runIf(backend === 'webgpu')('fused: forward 1 dispatch, forward + backward 2; the stock ops take more', () => {
    // 4·8·37 = 1184 elements: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not sent to the CPU
    const shape = [4, 8, 37];
    const gate = randn(shape, 1),
      up = randn(shape, 2),
      dy = randn(shape, 3);
    const grads = (glu: Glu) => () => tf.grads((a: tf.Tensor, b: tf.Tensor) => glu(a, b))([gate, up], dy);
    const counts = {
      fusedForward: dispatches(() => swigluFused(gate, up)),
      stockForward: dispatches(() => swigluStock(gate, up)),
      fusedBoth: dispatches(grads(swigluFused)),
      stockBoth: dispatches(grads(swigluStock)),
    };
    console.log('SwiGLU GPU dispatches', counts);
    expect(counts.fusedForward).toBe(1);
    expect(counts.fusedBoth).toBe(2);
    expect(counts.stockForward).toBe(3);
    expect(counts.stockBoth).toBeGreaterThan(counts.fusedBoth);
    tf.dispose([gate, up, dy]);
  });
});
