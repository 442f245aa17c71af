// RoPE with the fused-kernel switch on, against the stock composition (split, neg, concat, muls, add; and
// the head-split transpose for ropeHeads): y and dx for a random upstream gradient, tables from model.ts's
// ropeTables at left-padded positions ([B, 1, T, D]), at shared positions ([1, 1, T, D]) and at one decode
// position per row ([B, 1, 1, D]) (< 1e-4 on WebGPU, where the programs run; exactly equal on CPU, where
// the switch must change nothing); ropeQkFused (q and k in one program, GQA head counts) against
// ropeHeadsStock of each. Also: no leaked tensors, and the GPU dispatch counts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { applyRope, maskTensors } from '../model';
import { ropeRows, ropeTables } from '../rope_tables';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { switchFusedKernels } from './fused';
import { applyRopeFused, applyRopeStock, ropeHeadsFused, ropeHeadsStock, ropeQkFused } from './rope';

const backends = await testBackends();
const nano = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });

/** cos and sin as model.ts builds them for H heads of dim D: [B, 1, T, D] with sequence b > 0 left-padded by b + 1. */
function tables(B: number, H: number, T: number, D: number, shared = false): { cos: tf.Tensor; sin: tf.Tensor } {
  const cfg = { ...nano, hidden_size: H * D, num_attention_heads: H, num_key_value_heads: H };
  return tf.tidy(() => {
    if (shared) return ropeTables(tf.expandDims(maskTensors(undefined, T).positions, 1), cfg); // [1, 1, T, D]
    const mask = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b > 0 && t <= b ? 0 : 1)));
    return ropeTables(tf.expandDims(maskTensors(tf.tensor2d(mask), T).positions, 1), cfg);
  });
}

/** cos and sin of one decode step: position 40 + 3b for row b, [B, 1, 1, D]. */
function decodeTables(B: number, H: number, D: number): { cos: tf.Tensor; sin: tf.Tensor } {
  const cfg = { ...nano, hidden_size: H * D, num_attention_heads: H, num_key_value_heads: H };
  const { cos, sin } = ropeRows(
    Array.from({ length: B }, (_, b) => 40 + 3 * b),
    cfg,
  );
  return { cos: tf.tensor4d(cos, [B, 1, 1, D]), sin: tf.tensor4d(sin, [B, 1, 1, D]) };
}

type Rope = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor) => tf.Tensor;

/** [y, dx] of `rope` for upstream gradient dy (the tables are constants). */
function valueAndGrad(rope: Rope, x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  return [rope(x, cos, sin), tf.grad((a: tf.Tensor) => rope(a, cos, sin))(x, dy)];
}

const CASES = [
  { name: 'left-padded positions', B: 2, H: 3, T: 13, D: 12, make: () => tables(2, 3, 13, 12) },
  { name: 'left-padded positions', B: 3, H: 2, T: 7, D: 16, make: () => tables(3, 2, 7, 16) },
  { name: 'shared positions, tables [1, 1, T, D]', B: 2, H: 3, T: 13, D: 12, make: () => tables(2, 3, 13, 12, true) },
  { name: 'one decode step, tables [B, 1, 1, D]', B: 3, H: 2, T: 1, D: 16, make: () => decodeTables(3, 2, 16) },
];

describe.each(backends)('RoPE kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and the stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each(CASES)(
    `applyRope with the switch on = stock ops (y, dx; max error ≤ ${tol}): $name, B=$B H=$H T=$T D=$D`,
    async ({ B, H, T, D, make }) => {
      const x = randn([B, H, T, D], 1),
        dy = randn([B, H, T, D], 2);
      const { cos, sin } = make();
      const stock = valueAndGrad(applyRopeStock, x, cos, sin, dy);
      switchFusedKernels(true);
      const fused = valueAndGrad(applyRope, x, cos, sin, dy);
      for (const [i, name] of ['y', 'dx'].entries()) {
        expect(
          await checkTensor(fused[i], stock[i], `${backend} applyRope B=${B} H=${H} T=${T} D=${D} ${name}`),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([x, dy, cos, sin, ...stock, ...fused]);
    },
  );

  it.each(CASES)(
    `ropeHeads (head split fused in) = reshape, transpose, stock RoPE (y, dx [B, T, H·D]; max error ≤ ${tol}): ` +
      `$name, B=$B H=$H T=$T D=$D`,
    async ({ B, H, T, D, make }) => {
      const x = randn([B, T, H * D], 3),
        dy = randn([B, H, T, D], 4);
      const { cos, sin } = make();
      const stock = valueAndGrad((a, c, s) => ropeHeadsStock(a, H, c, s), x, cos, sin, dy);
      const fused = valueAndGrad((a, c, s) => ropeHeadsFused(a, H, c, s), x, cos, sin, dy);
      for (const [i, name] of ['y', 'dx'].entries()) {
        expect(
          await checkTensor(fused[i], stock[i], `${backend} ropeHeads B=${B} H=${H} T=${T} D=${D} ${name}`),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([x, dy, cos, sin, ...stock, ...fused]);
    },
  );

  it.each([
    { name: 'left-padded positions, 3 query heads per kv head', B: 2, H: 3, Hkv: 1, T: 13, D: 12, shared: false },
    { name: 'shared positions, tables [1, 1, T, D], 2 per kv head', B: 2, H: 4, Hkv: 2, T: 7, D: 16, shared: true },
  ])(
    `ropeQkFused = ropeHeadsStock of q and of k (heads, dq, dk; max error ≤ ${tol}): $name, B=$B H=$H Hkv=$Hkv ` +
      `T=$T D=$D`,
    async ({ B, H, Hkv, T, D, shared }) => {
      const q = randn([B, T, H * D], 5),
        k = randn([B, T, Hkv * D], 6),
        dq = randn([B, H, T, D], 7),
        dk = randn([B, Hkv, T, D], 8);
      const { cos, sin } = tables(B, H, T, D, shared);
      const run = (rope: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor[]) => {
        const loss = (a: tf.Tensor, b: tf.Tensor) => {
          const [qh, kh] = rope(a, b);
          return tf.add(tf.sum(tf.mul(qh, dq)), tf.sum(tf.mul(kh, dk))) as tf.Scalar;
        };
        return [...rope(q, k), ...tf.grads(loss)([q, k])];
      };
      const stock = run((a, b) => [ropeHeadsStock(a, H, cos, sin), ropeHeadsStock(b, Hkv, cos, sin)]);
      const fused = run((a, b) => ropeQkFused(a, b, H, Hkv, cos, sin));
      for (const [i, name] of ['q heads', 'k heads', 'dq', 'dk'].entries()) {
        expect(
          await checkTensor(fused[i], stock[i], `${backend} ropeQk B=${B} H=${H} Hkv=${Hkv} T=${T} D=${D} ${name}`),
        ).toBeLessThanOrEqual(tol);
      }
      tf.dispose([q, k, dq, dk, cos, sin, ...stock, ...fused]);
    },
  );

  it('leaves no tensors behind: the forwards in tf.tidy, and their gradients', () => {
    const x = randn([2, 3, 13, 12], 1),
      xh = randn([2, 13, 36], 2),
      dy = randn([2, 3, 13, 12], 3);
    const { cos, sin } = tables(2, 3, 13, 12);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      applyRopeFused(x, cos, sin);
      ropeHeadsFused(xh, 3, cos, sin);
    });
    tf.dispose(tf.grad((a: tf.Tensor) => applyRopeFused(a, cos, sin))(x, dy));
    tf.dispose(tf.grad((a: tf.Tensor) => ropeHeadsFused(a, 3, cos, sin))(xh, dy));
    tf.tidy(() => {
      ropeQkFused(xh, xh, 3, 3, cos, sin);
    });
    tf.dispose(tf.grad((a: tf.Tensor) => ropeQkFused(a, xh, 3, 3, cos, sin)[0])(xh, dy));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, xh, dy, cos, sin]);
  });

  it.runIf(backend === 'webgpu')(
    'fused: forward 1 dispatch, forward + backward 2 (with or without the head split, q and k together); the ' +
      'stock ops take more',
    () => {
      // 2·4·16·16 = 2048 elements: past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so small stock ops are not sent to
      // the CPU
      const [B, H, T, D] = [2, 4, 16, 16];
      const x = randn([B, H, T, D], 1),
        xh = randn([B, T, H * D], 2),
        dy = randn([B, H, T, D], 3),
        xk = randn([B, T, 2 * D], 4);
      const { cos, sin } = tables(B, H, T, D);
      const both = (rope: (a: tf.Tensor) => tf.Tensor, at: tf.Tensor) => () => tf.grad(rope)(at, dy);
      const counts = {
        fusedForward: dispatches(() => applyRopeFused(x, cos, sin)),
        stockForward: dispatches(() => applyRopeStock(x, cos, sin)),
        fusedBoth: dispatches(both((a) => applyRopeFused(a, cos, sin), x)),
        stockBoth: dispatches(both((a) => applyRopeStock(a, cos, sin), x)),
        headsFusedForward: dispatches(() => ropeHeadsFused(xh, H, cos, sin)),
        headsStockForward: dispatches(() => ropeHeadsStock(xh, H, cos, sin)),
        headsFusedBoth: dispatches(both((a) => ropeHeadsFused(a, H, cos, sin), xh)),
        headsStockBoth: dispatches(both((a) => ropeHeadsStock(a, H, cos, sin), xh)),
        // k's upstream gradient arrives as zeros: an upload, not a dispatch
        qkFusedForward: dispatches(() => ropeQkFused(xh, xk, H, 2, cos, sin)),
        qkFusedBoth: dispatches(both((a) => ropeQkFused(a, xk, H, 2, cos, sin)[0], xh)),
      };
      console.log('RoPE GPU dispatches', counts);
      expect(counts.fusedForward).toBe(1);
      expect(counts.fusedBoth).toBe(2);
      expect(counts.headsFusedForward).toBe(1);
      expect(counts.headsFusedBoth).toBe(2);
      expect(counts.qkFusedForward).toBe(1);
      expect(counts.qkFusedBoth).toBe(2);
      expect(counts.stockForward).toBeGreaterThan(counts.fusedForward);
      expect(counts.stockBoth).toBeGreaterThan(counts.fusedBoth);
      expect(counts.headsStockBoth).toBeGreaterThan(counts.headsFusedBoth);
      tf.dispose([x, xh, xk, dy, cos, sin]);
    },
  );
});
