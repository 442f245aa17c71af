// The in-place KV write of one decode step against the stock composition (ropeHeadsStock for q and k,
// splitHeads for v, kv_cache.ts's blend write and slot opening): the rotated q, both caches and the
// attention bias agree (< 1e-4 on WebGPU, where the program runs; exactly on CPU, where it is the stock
// composition), every other slot is bit-identical to before, a cache read back before the write shows the
// write after it (no stale CPU copy), no tensors leak, and it is one GPU dispatch. With Qwen3's q/k norms
// (the stock side: RMSNorm of each head over D) the same holds.
// Shapes: B·(H + 2·Hkv)·D threads not a multiple of the workgroup size; grouped kv heads (2:1, 3:1, 7:1);
// odd slot counts; the real models' head dims 64 and 128 at large theta and late positions.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { createKVCache, type KVCache } from '../kv_cache';
import { NEG_SCORE } from '../model';
import { ropeRows } from '../rope_tables';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { type QkNorm, writeStepKv, writeStepKvStock } from './kv_write';

const backends = await testBackends();

const CASES = [
  { B: 3, H: 2, Hkv: 1, D: 6, Tmax: 7, slot: 4, positions: [5, 17, 40], normed: false },
  { B: 2, H: 3, Hkv: 3, D: 10, Tmax: 9, slot: 8, positions: [0, 200], normed: false },
  { B: 1, H: 4, Hkv: 2, D: 16, Tmax: 5, slot: 0, positions: [3], normed: true },
  { B: 2, H: 6, Hkv: 2, D: 64, Tmax: 5, slot: 3, positions: [7, 3000], normed: false }, // SmolLM2's
  { B: 2, H: 7, Hkv: 1, D: 64, Tmax: 4, slot: 1, positions: [30000, 2], normed: false }, // Qwen2.5's
  { B: 2, H: 2, Hkv: 1, D: 128, Tmax: 3, slot: 2, positions: [40000, 9], normed: true }, // Qwen3's
];

/** A config with these heads (one kv-write layer is enough: layer 1 of 2), theta 1e6 as Qwen's. */
const configFor = (H: number, Hkv: number, D: number) =>
  presetConfig(
    'nano',
    { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
    { hidden_size: H * D, num_attention_heads: H, num_key_value_heads: Hkv, rope_theta: 1e6 },
  );

/** Each row's cos and sin [B, D] at its position. */
function rows(cfg: ReturnType<typeof configFor>, positions: number[]): [tf.Tensor2D, tf.Tensor2D] {
  const { cos, sin } = ropeRows(positions, cfg);
  const D = cos.length / positions.length;
  return [tf.tensor2d(cos, [positions.length, D]), tf.tensor2d(sin, [positions.length, D])];
}

/** q_norm and k_norm weights near 1, [2·D]. */
const qkNorm = (D: number): QkNorm => ({
  weights: tf.tidy(() => tf.add(1, tf.mul(0.2, randn([2 * D], 5)))) as tf.Tensor1D,
  eps: 1e-6,
});

/** A cache with random keys/values and some slots open, the same for the same seed. */
function filledCache(cfg: ReturnType<typeof configFor>, B: number, Tmax: number, seed: number): KVCache {
  const cache = createKVCache(cfg, B, Tmax);
  tf.tidy(() => {
    cache.k[1].assign(randn(cache.k[1].shape, seed));
    cache.v[1].assign(randn(cache.v[1].shape, seed + 1));
    cache.bias.assign(
      tf.tensor2d(
        Array.from({ length: B }, (_, b) => Array.from({ length: Tmax }, (_, t) => (t < b + 1 ? NEG_SCORE : 0))),
        [B, Tmax],
      ),
    );
  });
  return cache;
}

describe.each(backends)('KV write kernel on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it.each(CASES)(
    `q, k, v and bias = the stock composition (max error ≤ ${tol}); other slots untouched: B=$B H=$H Hkv=$Hkv ` +
      `D=$D Tmax=$Tmax slot=$slot q/k norms $normed`,
    async ({ B, H, Hkv, D, Tmax, slot, positions, normed }) => {
      const cfg = configFor(H, Hkv, D);
      const qkv = randn([B, (H + 2 * Hkv) * D], 7) as tf.Tensor2D;
      const [cos, sin] = rows(cfg, positions);
      const norm = normed ? qkNorm(D) : undefined;
      const stockCache = filledCache(cfg, B, Tmax, 3),
        fusedCache = filledCache(cfg, B, Tmax, 3);
      // also leaves a CPU copy the write must invalidate
      const before = (await fusedCache.k[1].array()) as number[][][][];
      const beforeV = (await fusedCache.v[1].array()) as number[][][][];
      const qStock = writeStepKvStock(stockCache, 1, slot, qkv, cos, sin, H, norm);
      const qFused = writeStepKv(fusedCache, 1, slot, qkv, cos, sin, H, norm);
      const label = `${backend} kvWrite B=${B} H=${H} Hkv=${Hkv} D=${D}`;
      expect(await checkTensor(qFused, qStock, `${label} q`)).toBeLessThanOrEqual(tol);
      expect(await checkTensor(fusedCache.k[1], stockCache.k[1], `${label} k cache`)).toBeLessThanOrEqual(tol);
      expect(await checkTensor(fusedCache.v[1], stockCache.v[1], `${label} v cache`)).toBeLessThanOrEqual(tol);
      expect(await checkTensor(fusedCache.bias, stockCache.bias, `${label} bias`)).toBe(0);
      const after = (await fusedCache.k[1].array()) as number[][][][],
        afterV = (await fusedCache.v[1].array()) as number[][][][];
      let changed = 0;
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < Hkv; h++) {
          for (let t = 0; t < Tmax; t++) {
            if (t !== slot) {
              expect(after[b][h][t]).toEqual(before[b][h][t]);
              expect(afterV[b][h][t]).toEqual(beforeV[b][h][t]);
            } else if (after[b][h][t].some((x, d) => x !== before[b][h][t][d])) changed++;
          }
        }
      }
      expect(changed).toBe(B * Hkv); // the write was seen after a readback
      expect(((await fusedCache.bias.array()) as number[][]).every((r) => r[slot] === 0)).toBe(true); // ±0: open
      tf.dispose([qkv, cos, sin, qStock, qFused, ...(norm ? [norm.weights] : [])]);
      stockCache.dispose();
      fusedCache.dispose();
    },
  );

  it('leaves no tensors behind but the rotated q', () => {
    const cfg = configFor(2, 1, 6);
    const cache = filledCache(cfg, 3, 7, 1);
    const qkv = randn([3, 24], 2) as tf.Tensor2D;
    const [cos, sin] = rows(cfg, [1, 2, 3]);
    const norm = qkNorm(6);
    const before = tf.memory().numTensors;
    const q = writeStepKv(cache, 1, 2, qkv, cos, sin, 2);
    const qn = writeStepKv(cache, 1, 3, qkv, cos, sin, 2, norm);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([q, qn, qkv, cos, sin, norm.weights]);
    cache.dispose();
  });

  it.runIf(backend === 'webgpu')('fused: 1 dispatch; the stock composition takes many', () => {
    const cfg = configFor(4, 2, 16);
    const cache = filledCache(cfg, 4, 64, 1);
    const qkv = randn([4, 128], 2) as tf.Tensor2D;
    const [cos, sin] = rows(cfg, [1, 2, 3, 4]);
    const norm = qkNorm(16);
    const counts = {
      fused: dispatches(() => writeStepKv(cache, 1, 5, qkv, cos, sin, 4)),
      fusedNormed: dispatches(() => writeStepKv(cache, 1, 7, qkv, cos, sin, 4, norm)),
      stock: dispatches(() => writeStepKvStock(cache, 1, 6, qkv, cos, sin, 4)),
    };
    console.log('KV write GPU dispatches', counts);
    expect([counts.fused, counts.fusedNormed]).toEqual([1, 1]);
    expect(counts.stock).toBeGreaterThan(5);
    tf.dispose([qkv, cos, sin, norm.weights]);
    cache.dispose();
  });
});
