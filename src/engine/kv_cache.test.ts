// The KV cache: a slot write changes that slot only (bit-exact elsewhere), the attention bias opens the
// prompt's real tokens and each decoded slot (and nothing else), and decoding keeps every shape, the tensor count, the
// bytes in use and (on WebGPU) the allocated buffer pool flat from step to step.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { headDim, presetConfig } from './config';
import { decodeStep } from './decode';
import { leftPad, prefill } from './generate';
import { createKVCache, markSlotValid, writePrefix, writePrefixMask, writeSlot } from './kv_cache';
import { initParams, NEG_SCORE } from './model';
import { testBackends, switchTestBackend } from './test_backends';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const backends = await testBackends();

/** [B, Hkv, Tmax, D] as nested arrays, to compare slots. */
const slots = async (t: tf.Tensor) => (await t.array()) as number[][][][];

describe.each(backends)('KV cache on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  it('writes the prompt into the first slots and one step into exactly its slot (others bit-identical)', async () => {
    const B = 2,
      Hkv = cfg.num_key_value_heads,
      D = headDim(cfg),
      Tmax = 6,
      P = 3;
    const cache = createKVCache(cfg, B, Tmax);
    const k = tf.randomNormal([B, Hkv, P, D], 0, 1, 'float32', 1),
      v = tf.randomNormal([B, Hkv, P, D], 0, 1, 'float32', 2);
    writePrefix(cache, 1, k, v);
    const before = await slots(cache.k[1]);
    const kp = await slots(k);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < Tmax; t++) expect(before[b][0][t]).toEqual(t < P ? kp[b][0][t] : new Array(D).fill(0));
    }
    expect(await slots(cache.v[1])).toEqual(await slots(tf.concat([v, tf.zeros([B, Hkv, Tmax - P, D])], 2)));
    expect(await cache.k[0].data()).toEqual(new Float32Array(B * Hkv * Tmax * D)); // other layers untouched

    const k1 = tf.randomNormal([B, Hkv, 1, D], 0, 1, 'float32', 3),
      v1 = tf.randomNormal([B, Hkv, 1, D], 0, 1, 'float32', 4);
    writeSlot(cache, 1, 4, k1, v1);
    const after = await slots(cache.k[1]),
      k1s = await slots(k1);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < Tmax; t++) expect(after[b][0][t]).toEqual(t === 4 ? k1s[b][0][0] : before[b][0][t]);
    }
    expect((await slots(cache.v[1]))[1][0][4]).toEqual((await slots(v1))[1][0][0]);
    tf.dispose([k, v, k1, v1]);
    cache.dispose();
  });

  it(
    "opens the prompt's real tokens to attention (bias 0, " +
      'NEG_SCORE elsewhere), then each decoded slot for every row',
    async () => {
      const cache = createKVCache(cfg, 2, 5);
      const open = async () =>
        ((await cache.bias.array()) as number[][]).map((r) => r.map((x) => (x === 0 ? 1 : x === NEG_SCORE ? 0 : x)));
      expect(await open()).toEqual([
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
      ]);
      writePrefixMask(
        cache,
        tf.tensor2d(
          [
            [0, 1, 1],
            [1, 1, 1],
          ],
          undefined,
          'int32',
        ),
      );
      expect(await open()).toEqual([
        [0, 1, 1, 0, 0],
        [1, 1, 1, 0, 0],
      ]);
      markSlotValid(cache, 3);
      expect(await open()).toEqual([
        [0, 1, 1, 1, 0],
        [1, 1, 1, 1, 0],
      ]);
      cache.dispose();
    },
  );

  it('keeps shapes, tensor count and bytes flat across decode steps, and dispose() frees everything', async () => {
    const before = tf.memory().numTensors;
    const params = initParams(cfg, 5);
    const withParams = tf.memory().numTensors;
    const prompts = [
      [1, 4, 6],
      [1, 9],
    ];
    const { ids, mask, lengths } = leftPad(prompts, 0);
    const B = 2,
      P = ids[0].length,
      steps = 6;
    const cache = createKVCache(cfg, B, P + steps);
    const idsT = tf.tensor2d(ids, undefined, 'int32'),
      maskT = tf.tensor2d(mask, undefined, 'int32');
    let logits = prefill(params, cfg, cache, idsT, maskT);
    tf.dispose([idsT, maskT]);
    const seen: { tensors: number; bytes: number; pool?: number }[] = [];
    for (let i = 0; i < steps; i++) {
      const tok = tf.argMax(logits, -1) as tf.Tensor1D; // int32
      const next = decodeStep(
        params,
        cfg,
        cache,
        tok,
        lengths.map((n) => n + i),
        P + i,
      );
      await next.data(); // let the GPU finish so released buffers return to the pool
      tf.dispose([tok, logits]);
      logits = next;
      const m = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
      seen.push({ tensors: m.numTensors, bytes: m.numBytes, pool: m.numBytesAllocatedInGPU });
      for (const t of [...cache.k, ...cache.v])
        expect(t.shape).toEqual([B, cfg.num_key_value_heads, P + steps, headDim(cfg)]);
    }
    // step 0 may still grow the pool (first use of decode-sized buffers); from step 1 on it must not
    for (const s of seen.slice(1)) expect(s).toEqual(seen[1]);
    expect(seen[0].tensors).toBe(seen[1].tensors);
    logits.dispose();
    cache.dispose();
    expect(tf.memory().numTensors).toBe(withParams);
    tf.dispose(Object.values(params));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses more slots than the context', () => {
    expect(() => createKVCache(cfg, 1, cfg.max_position_embeddings + 1)).toThrow(
      new RegExp(`exceeds the context of ${cfg.max_position_embeddings}`),
    );
  });
});
