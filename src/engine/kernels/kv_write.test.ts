// The in-place KV write of one decode step against the stock composition (ropeHeadsStock for q and k,
// splitHeads for v, kv_cache.ts's blend write and slot opening): the rotated q, both caches and the
// attention bias agree (< 1e-4 on WebGPU, where the program runs; exactly on CPU, where it is the stock
// composition), every other slot is bit-identical to before, a cache read back before the write shows the
// write after it (no stale CPU copy), no tensors leak, and it is one GPU dispatch.
// Shapes: B·(H + 2·Hkv)·D threads not a multiple of the workgroup size; grouped kv heads; odd slot counts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { createKVCache, type KVCache } from '../kv_cache';
import { NEG_SCORE } from '../model';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { ropeInvFreq, writeStepKv, writeStepKvStock } from './kv_write';

const backends = await testBackends();

const CASES = [
  { B: 3, H: 2, Hkv: 1, D: 6, Tmax: 7, slot: 4, positions: [5, 17, 40] },
  { B: 2, H: 3, Hkv: 3, D: 10, Tmax: 9, slot: 8, positions: [0, 200] },
  { B: 1, H: 4, Hkv: 2, D: 16, Tmax: 5, slot: 0, positions: [3] },
];

/** A config with these heads (one kv-write layer is enough: layer 1 of 2). */
const configFor = (H: number, Hkv: number, D: number) =>
  presetConfig(
    'nano',
    { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
    { hidden_size: H * D, num_attention_heads: H, num_key_value_heads: Hkv },
  );

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
      `D=$D Tmax=$Tmax slot=$slot`,
    async ({ B, H, Hkv, D, Tmax, slot, positions }) => {
      const cfg = configFor(H, Hkv, D);
      const qkv = randn([B, (H + 2 * Hkv) * D], 7) as tf.Tensor2D;
      const pos = tf.tensor1d(positions, 'int32'),
        invFreq = ropeInvFreq(cfg);
      const stockCache = filledCache(cfg, B, Tmax, 3),
        fusedCache = filledCache(cfg, B, Tmax, 3);
      // also leaves a CPU copy the write must invalidate
      const before = (await fusedCache.k[1].array()) as number[][][][];
      const beforeV = (await fusedCache.v[1].array()) as number[][][][];
      const qStock = writeStepKvStock(stockCache, 1, slot, qkv, pos, invFreq, H);
      const qFused = writeStepKv(fusedCache, 1, slot, qkv, pos, invFreq, H);
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
      tf.dispose([qkv, pos, invFreq, qStock, qFused]);
      stockCache.dispose();
      fusedCache.dispose();
    },
  );

  it('leaves no tensors behind but the rotated q', () => {
    const cfg = configFor(2, 1, 6);
    const cache = filledCache(cfg, 3, 7, 1);
    const qkv = randn([3, 24], 2) as tf.Tensor2D,
      pos = tf.tensor1d([1, 2, 3], 'int32'),
      invFreq = ropeInvFreq(cfg);
    const before = tf.memory().numTensors;
    const q = writeStepKv(cache, 1, 2, qkv, pos, invFreq, 2);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([q, qkv, pos, invFreq]);
    cache.dispose();
  });

  it.runIf(backend === 'webgpu')('fused: 1 dispatch; the stock composition takes many', () => {
    const cfg = configFor(4, 2, 16);
    const cache = filledCache(cfg, 4, 64, 1);
    const qkv = randn([4, 128], 2) as tf.Tensor2D,
      pos = tf.tensor1d([1, 2, 3, 4], 'int32'),
      invFreq = ropeInvFreq(cfg);
    const counts = {
      fused: dispatches(() => writeStepKv(cache, 1, 5, qkv, pos, invFreq, 4)),
      stock: dispatches(() => writeStepKvStock(cache, 1, 6, qkv, pos, invFreq, 4)),
    };
    console.log('KV write GPU dispatches', counts);
    expect(counts.fused).toBe(1);
    expect(counts.stock).toBeGreaterThan(5);
    tf.dispose([qkv, pos, invFreq]);
    cache.dispose();
  });
});
