// Target log-probs with the fused-kernel switch on, against the stock composition (logSoftmax of
// logits/τ, then a one-hot product): value and d logits for a random upstream gradient, on awkward
// shapes and at τ = 0.7 and 1 (< 1e-4 on WebGPU, where the programs run; exactly equal on CPU, where
// the switch must change nothing). Also: no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { targetLogProbs } from '../model';
import { createRng } from '../rng';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';
import { gatherLogProbsFused, gatherLogProbsStock } from './log_probs';

const backends = await testBackends();

type Gather = (logits: tf.Tensor, targets: tf.Tensor, temperature: number) => tf.Tensor;

/** Seeded int32 targets in [0, V), with `outside` overwriting the first entries (out-of-range ids). */
function randomTargets(shape: number[], V: number, seed: number, outside: number[] = []): tf.Tensor {
  const rng = createRng(seed);
  const ids = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(V));
  outside.forEach((id, i) => {
    ids[i] = id;
  });
  return tf.tensor(ids, shape, 'int32');
}

/** [logp, dlogits] of `gather` for upstream gradient dy. */
function valueAndGrad(
  gather: Gather,
  logits: tf.Tensor,
  targets: tf.Tensor,
  temperature: number,
  dy: tf.Tensor,
): tf.Tensor[] {
  return [gather(logits, targets, temperature), tf.grad((z: tf.Tensor) => gather(z, targets, temperature))(logits, dy)];
}

describe.each(backends)('target log-prob kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and the stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each([
    { shape: [7, 121], temperature: 0.7 }, // rows and vocab share no factor with the 64-thread workgroup
    { shape: [7, 121], temperature: 1 },
    { shape: [2, 3, 121], temperature: 0.7 }, // [B, T, V], flattened into rows
    { shape: [3, 5], temperature: 1 }, // fewer columns than threads
    { shape: [2, 300], temperature: 1.3 }, // several workgroup widths per row
  ])(
    `targetLogProbs with the switch on = stock ops (logp, dlogits; max error ≤ ${tol}) on $shape at τ = $temperature`,
    async ({ shape, temperature }) => {
      const V = shape[shape.length - 1],
        lead = shape.slice(0, -1);
      // -1 and V are out of range: the stock one-hot product gives 0 and a zero gradient
      const logits = randn(shape, 1),
        targets = randomTargets(lead, V, 2, [-1, V]),
        dy = randn(lead, 3);
      const stock = valueAndGrad(gatherLogProbsStock, logits, targets, temperature, dy);
      switchFusedKernels(true);
      const fused = valueAndGrad(targetLogProbs, logits, targets, temperature, dy);
      const names = ['logp', 'dlogits'];
      for (let i = 0; i < 2; i++) {
        expect(
          await checkTensor(fused[i], stock[i], `${backend} [${shape}] τ=${temperature} ${names[i]}`),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([logits, targets, dy, ...stock, ...fused]);
    },
  );

  it('leaves no tensors behind: the forward in tf.tidy, and its gradient', () => {
    const logits = randn([7, 121], 1),
      targets = randomTargets([7], 121, 2),
      dy = randn([7], 3);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      gatherLogProbsFused(logits, targets, 0.7);
    });
    tf.dispose(tf.grad((z: tf.Tensor) => gatherLogProbsFused(z, targets, 0.7))(logits, dy));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, targets, dy]);
  });

  it.runIf(backend === 'webgpu')('fused: forward 1 dispatch, forward + backward 2; the stock ops take more', () => {
    // 16·121 = 1936 logits: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not sent to the CPU
    const logits = randn([16, 121], 1),
      targets = randomTargets([16], 121, 2),
      dy = randn([16], 3);
    const grad = (gather: Gather) => () => tf.grad((z: tf.Tensor) => gather(z, targets, 0.7))(logits, dy);
    const counts = {
      fusedForward: dispatches(() => gatherLogProbsFused(logits, targets, 0.7)),
      stockForward: dispatches(() => gatherLogProbsStock(logits, targets, 0.7)),
      fusedBoth: dispatches(grad(gatherLogProbsFused)),
      stockBoth: dispatches(grad(gatherLogProbsStock)),
    };
    console.log('target log-prob GPU dispatches', counts);
    expect(counts.fusedForward).toBe(1);
    expect(counts.fusedBoth).toBe(2);
    expect(counts.stockForward).toBeGreaterThan(1);
    expect(counts.stockBoth).toBeGreaterThan(counts.fusedBoth);
    tf.dispose([logits, targets, dy]);
  });
});
