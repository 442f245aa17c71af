// Generation with the KV cache: per-step logits equal a full forward pass, seeded sampling repeats,
// temperature 0 and top-k 1 are greedy, <eos> stops each sequence, one readback per chunk, no leaks; with
// the fused switch on (decode.ts's fused step and the one-program sampler on WebGPU) the greedy tokens
// and log-probs are the stock path's.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from './config';
import { decodeStep } from './decode';
import { createKVCache } from './kv_cache';
import { distinctRows, generate, leftPad, prefill } from './generate';
import { installCounters } from './instrument';
import { switchFusedKernels } from './kernels/fused';
import { forward, initParams, type ModelParams } from './model';
import { testBackends, switchTestBackend } from './test_backends';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const PROMPTS = [
  [1, 5, 9, 4],
  [1, 7],
  [1, 3, 3, 8, 10, 6],
];
const backends = await testBackends();

/** Logits of the last position of one unpadded sequence, by a full forward pass. */
async function fullLastLogits(p: ModelParams, seq: number[]): Promise<Float32Array> {
  const logits = forward(p, cfg, tf.tensor2d([seq], undefined, 'int32'));
  const last = tf.slice(logits, [0, seq.length - 1, 0], [1, 1, -1]);
  const d = (await last.data()) as Float32Array;
  tf.dispose([logits, last]);
  return d;
}
const argmax = (xs: Float32Array) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

describe.each(backends)('generation on %s', (backend) => {
  let params: ModelParams;
  beforeAll(async () => {
    await switchTestBackend(backend);
    params = initParams({ ...cfg, initializer_range: 0.5 }, 11); // large init: peaked, seed-sensitive distributions
  });
  afterEach(() => switchFusedKernels(false));

  it(
    'KV-cache decode logits equal a full forward at every step (max abs err < 1e-4), while sequences stop at ' +
      'different lengths',
    async () => {
      // forced continuations; row 1 stops after 2 tokens and row 0 after 4 (then fed <pad>, as generate does)
      const forced = [
        [12, 13, 14, 2, 0, 0],
        [20, 2, 0, 0, 0, 0],
        [30, 31, 32, 33, 34, 35],
      ];
      const stopsAfter = [4, 2, 6];
      const { ids, mask, lengths } = leftPad(PROMPTS, 0);
      const B = 3,
        P = ids[0].length,
        steps = 6;
      const cache = createKVCache(cfg, B, P + steps);
      let logits = prefill(
        params,
        cfg,
        cache,
        tf.tensor2d(ids, undefined, 'int32'),
        tf.tensor2d(mask, undefined, 'int32'),
      );
      let maxErr = 0,
        compared = 0;
      for (let i = 0; i <= steps; i++) {
        const got = await logits.data();
        for (let b = 0; b < B; b++) {
          if (i > stopsAfter[b]) continue; // this row has stopped: its logits are not used
          const ref = await fullLastLogits(params, [...PROMPTS[b], ...forced[b].slice(0, i)]);
          for (let v = 0; v < cfg.vocab_size; v++)
            maxErr = Math.max(maxErr, Math.abs(got[b * cfg.vocab_size + v] - ref[v]));
          compared++;
        }
        if (i === steps) break;
        const tok = tf.tensor1d(
          forced.map((f) => f[i]),
          'int32',
        );
        const next = decodeStep(
          params,
          cfg,
          cache,
          tok,
          lengths.map((n) => n + i),
          P + i,
        );
        tf.dispose([tok, logits]);
        logits = next;
      }
      logits.dispose();
      cache.dispose();
      expect(compared).toBe(5 + 3 + 7);
      expect(maxErr).toBeLessThan(1e-4);
    },
  );

  it('temperature 0 is greedy: each token is the argmax of a full forward; top-k 1 gives the same', async () => {
    const o = { maxNewTokens: 5, seed: 1, eosIds: [], padId: 0 };
    const greedy = await generate(params, cfg, PROMPTS, { ...o, temperature: 0 });
    for (let b = 0; b < PROMPTS.length; b++) {
      for (let i = 0; i < 5; i++) {
        const ref = await fullLastLogits(params, [...PROMPTS[b], ...greedy.tokens[b].slice(0, i)]);
        expect(greedy.tokens[b][i]).toBe(argmax(ref));
      }
    }
    const topk1 = await generate(params, cfg, PROMPTS, { ...o, temperature: 1.3, topK: 1, seed: 99 });
    expect(topk1.tokens).toEqual(greedy.tokens);
  });

  it('seeded sampling repeats exactly; another seed differs', async () => {
    const o = { maxNewTokens: 8, temperature: 1, topP: 0.95, eosIds: [], padId: 0 };
    const a = await generate(params, cfg, PROMPTS, { ...o, seed: 5 });
    const b = await generate(params, cfg, PROMPTS, { ...o, seed: 5 });
    const c = await generate(params, cfg, PROMPTS, { ...o, seed: 6 });
    expect(b.tokens).toEqual(a.tokens);
    expect(b.logProbs).toEqual(a.logProbs);
    expect(c.tokens).not.toEqual(a.tokens);
    for (const row of a.logProbs) for (const lp of row) expect(lp).toBeLessThanOrEqual(0);
  });

  it('each row stops at its own <eos> (kept), others run to the cap; a readback per 4 tokens; no leaks', async () => {
    const o = { maxNewTokens: 10, temperature: 0, seed: 1, padId: 0, readEvery: 4 };
    const free = await generate(params, cfg, PROMPTS, { ...o, eosIds: [] });
    expect(free.stopReasons).toEqual(['length', 'length', 'length']);
    const eos = free.tokens[0][2]; // a token row 0 emits at step 3
    const before = tf.memory().numTensors;
    const counters = installCounters();
    counters.reset();
    const streamed: number[][] = PROMPTS.map(() => []);
    const r = await generate(params, cfg, PROMPTS, {
      ...o,
      eosIds: [eos],
      onTokens: (t) => t.forEach((x, b) => streamed[b].push(...x)),
    });
    const readbacks = counters.counts.readbacks;
    counters.uninstall();
    expect(tf.memory().numTensors).toBe(before);
    expect(readbacks).toBeLessThanOrEqual(Math.ceil(10 / 4));
    expect(r.tokens).toEqual(streamed);
    for (let b = 0; b < PROMPTS.length; b++) {
      const at = free.tokens[b].indexOf(eos);
      if (at >= 0) {
        expect(r.stopReasons[b]).toBe('eos');
        expect(r.tokens[b]).toEqual(free.tokens[b].slice(0, at + 1));
      } else {
        expect(r.stopReasons[b]).toBe('length');
        expect(r.tokens[b]).toEqual(free.tokens[b]);
      }
    }
    expect(r.stopReasons[0]).toBe('eos');
  });

  it('stops at the first readback where every sequence is done (1 readback, not ceil(40/4) = 10)', async () => {
    // a zero head makes every logit 0, so greedy picks id 0 everywhere: id 0 as <eos> ends all rows at step 1
    const flat = initParams(cfg, 3);
    flat['lm_head.weight'].assign(tf.zerosLike(flat['lm_head.weight']));
    const counters = installCounters();
    counters.reset();
    const r = await generate(flat, cfg, PROMPTS, {
      maxNewTokens: 40,
      temperature: 0,
      seed: 1,
      eosIds: [0],
      padId: 3,
      readEvery: 4,
    });
    const { readbacks, kernels } = counters.counts;
    counters.uninstall();
    expect(r.tokens).toEqual([[0], [0], [0]]);
    expect(r.stopReasons).toEqual(['eos', 'eos', 'eos']);
    expect(readbacks).toBe(1);
    expect(kernels).toBeGreaterThan(0); // the counters were live
    tf.dispose(Object.values(flat));
  });

  it(
    'fused switch on: the stock greedy tokens and log-probs (< 1e-4); ≤ 1 readback per 16 tokens; tensor count ' +
      'flat across calls',
    async () => {
      const o = { maxNewTokens: 20, temperature: 0, seed: 1, eosIds: [], padId: 0 };
      const stock = await generate(params, cfg, PROMPTS, o);
      switchFusedKernels(true);
      await generate(params, cfg, PROMPTS, o); // warm-up: first uses create the GPU pool
      const before = tf.memory().numTensors;
      const counters = installCounters();
      counters.reset();
      const fused = await generate(params, cfg, PROMPTS, o);
      const { readbacks } = counters.counts;
      counters.uninstall();
      await generate(params, cfg, PROMPTS, { ...o, temperature: 0.9, topK: 7, topP: 0.9, eosIds: [2] });
      expect(tf.memory().numTensors).toBe(before);
      expect(readbacks).toBeLessThanOrEqual(Math.ceil(20 / 16));
      expect(fused.tokens).toEqual(stock.tokens);
      fused.logProbs.forEach((row, b) =>
        row.forEach((lp, i) => expect(Math.abs(lp - stock.logProbs[b][i])).toBeLessThan(1e-4)),
      );
    },
  );

  it(
    "identical prompts are prefilled once: the cache and logits equal a prefill of every row, the prefill's " +
      'peak bytes those of the distinct rows',
    async () => {
      // GRPO's batch: G = 3 judgements of each of two prompts
      const rows = [PROMPTS[0], PROMPTS[0], PROMPTS[0], PROMPTS[2], PROMPTS[2], PROMPTS[2]];
      const { ids, mask } = leftPad(rows, 0);
      const { first, of } = distinctRows(ids);
      expect(of).toEqual([0, 0, 0, 1, 1, 1]);
      expect(first).toEqual([0, 3]);
      const B = rows.length,
        P = ids[0].length;
      const run = async (shared: boolean) => {
        const cache = createKVCache(cfg, B, P + 2);
        const [x, m] = shared ? [first.map((i) => ids[i]), first.map((i) => mask[i])] : [ids, mask];
        const idsT = tf.tensor2d(x, undefined, 'int32'),
          maskT = tf.tensor2d(m, undefined, 'int32');
        let logits: tf.Tensor | null = null;
        const profile = await tf.profile(() => {
          logits = prefill(params, cfg, cache, idsT, maskT, shared ? of : undefined);
          return logits;
        });
        const read = async (t: tf.Tensor) => Array.from(await t.data());
        const out = {
          peak: profile.peakBytes - profile.newBytes,
          logits: await read(logits as unknown as tf.Tensor),
          k: await Promise.all(cache.k.map(read)),
          v: await Promise.all(cache.v.map(read)),
          bias: await read(cache.bias),
        };
        tf.dispose([logits as unknown as tf.Tensor, idsT, maskT]);
        cache.dispose();
        return out;
      };
      const every = await run(false);
      const once = await run(true);
      expect(once.logits.length).toBe(B * cfg.vocab_size);
      const maxDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
      expect(maxDiff(once.logits, every.logits)).toBeLessThan(1e-5);
      for (let l = 0; l < cfg.num_hidden_layers; l++) {
        expect(maxDiff(once.k[l], every.k[l])).toBeLessThan(1e-5);
        expect(maxDiff(once.v[l], every.v[l])).toBeLessThan(1e-5);
      }
      expect(once.bias).toEqual(every.bias);
      // the intermediates of 2 rows, not 6 (the copies into the cache are the same either way)
      expect(once.peak).toBeLessThan(0.6 * every.peak);
    },
  );

  it('refuses a prompt that leaves no room in the context, naming it', async () => {
    const long = new Array(cfg.max_position_embeddings).fill(5);
    await expect(
      generate(params, cfg, [[1, 2], long], { maxNewTokens: 4, temperature: 0, seed: 1, eosIds: [2], padId: 0 }),
    ).rejects.toThrow(new RegExp(`prompt 1 has ${cfg.max_position_embeddings} tokens`));
  });
});
