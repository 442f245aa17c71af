// Batched generation with the KV cache: left-padded prefill (HF positions), then one decode step per
// token for the whole batch. Sampling runs on the device; token ids and log-probs are read back in one
// readback per `readEvery` tokens. Finished sequences keep their slot but are masked (next tokens forced
// to <pad>), never re-run. Each sequence stops at <eos> (kept) or at the length cap.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config';
import { createKVCache, markSlotValid, writePrefix, writePrefixMask, writeSlot, type KVCache } from './kv_cache';
import { block, embed, head, layerKv, maskTensors, NEG_SCORE, ropeTables, type ModelParams } from './model';
import { sampleTokens, stepSeed } from './sampling';

export interface GenerateOptions {
  maxNewTokens: number;
  temperature: number; // 0 = greedy
  topK?: number;
  topP?: number;
  seed: number;
  eosId: number; // −1: never stop early (benchmarks)
  padId: number;
  readEvery?: number; // tokens per readback (default 16)
  onTokens?: (newTokens: number[][]) => void | Promise<void>; // streamed per readback, per sequence; awaited
}

export type StopReason = 'eos' | 'length';

export interface GenerateResult {
  tokens: number[][]; // generated ids per sequence, <eos> included when it stopped there
  logProbs: number[][]; // log p of each generated token at the sampling temperature (full distribution)
  stopReasons: StopReason[];
}

/** Left-pads prompts to one length; returns ids, the attention mask and each prompt's real length. */
export function leftPad(prompts: number[][], padId: number): { ids: number[][]; mask: number[][]; lengths: number[] } {
  const P = Math.max(...prompts.map((p) => p.length));
  return {
    ids: prompts.map((p) => [...new Array(P - p.length).fill(padId), ...p]),
    mask: prompts.map((p) => [...new Array(P - p.length).fill(0), ...new Array(p.length).fill(1)]),
    lengths: prompts.map((p) => p.length),
  };
}

/** Runs the padded prompts [B, P] through the model, filling the cache; returns last-position logits [B, V]. */
export function prefill(p: ModelParams, cfg: LlamaConfig, cache: KVCache, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, P] = ids.shape;
    const { positions, bias } = maskTensors(mask, B, P);
    const { cos, sin } = ropeTables(tf.expandDims(positions, 1), cfg);
    let x = embed(p['model.embed_tokens.weight'] as tf.Tensor2D, ids);
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      x = block(p, cfg, l, x, cos, sin, bias, (h) => {
        const kv = layerKv(p, cfg, l, h, cos, sin);
        writePrefix(cache, l, kv.k, kv.v);
        return kv;
      });
    }
    writePrefixMask(cache, mask);
    const last = tf.slice(x, [0, P - 1, 0], [B, 1, -1]);
    return tf.reshape(head(p, cfg, last), [B, -1]) as tf.Tensor2D;
  });
}

/** Feeds one token per sequence (ids [B] at positions [B]) into cache `slot`; returns next-token logits [B, V]. */
export function decodeStep(p: ModelParams, cfg: LlamaConfig, cache: KVCache, ids: tf.Tensor1D, positions: number[], slot: number): tf.Tensor2D {
  return tf.tidy(() => {
    const B = ids.shape[0];
    const { cos, sin } = ropeTables(tf.tensor(positions, [B, 1, 1], 'int32'), cfg); // [B, 1, 1, D]
    markSlotValid(cache, slot);
    const bias = tf.reshape(tf.mul(tf.sub(1, cache.valid), NEG_SCORE), [B, 1, 1, cache.maxLen]); // attend to every valid slot
    let x = embed(p['model.embed_tokens.weight'] as tf.Tensor2D, tf.reshape(ids, [B, 1]));
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      x = block(p, cfg, l, x, cos, sin, bias, (h) => {
        const kv = layerKv(p, cfg, l, h, cos, sin);
        writeSlot(cache, l, slot, kv.k, kv.v);
        return { k: cache.k[l], v: cache.v[l] };
      });
    }
    return tf.reshape(head(p, cfg, x), [B, -1]) as tf.Tensor2D;
  });
}

export async function generate(p: ModelParams, cfg: LlamaConfig, prompts: number[][], o: GenerateOptions): Promise<GenerateResult> {
  const ctx = cfg.max_position_embeddings;
  prompts.forEach((pr, i) => {
    if (pr.length === 0) throw new Error(`generate: prompt ${i} is empty (start it with <bos>)`);
    if (pr.length >= ctx) throw new Error(`generate: prompt ${i} has ${pr.length} tokens; the context is ${ctx}, leaving no room to generate`);
  });
  const B = prompts.length;
  const padded = leftPad(prompts, o.padId);
  const P = padded.ids[0].length;
  const steps = Math.min(o.maxNewTokens, ctx - P);
  const readEvery = Math.max(1, o.readEvery ?? 16);
  const cache = createKVCache(cfg, B, P + steps);
  const out: GenerateResult = { tokens: prompts.map(() => []), logProbs: prompts.map(() => []), stopReasons: prompts.map(() => 'length') };
  const finished = new Array<boolean>(B).fill(false);

  let logits = tf.tidy(() => prefill(p, cfg, cache, tf.tensor2d(padded.ids, [B, P], 'int32'), tf.tensor2d(padded.mask, [B, P], 'int32')));
  let done = tf.zeros([B], 'bool');
  let chunk: tf.Tensor[] = [];
  let ids: tf.Tensor1D | null = null; // this step's tokens, fed to the next decode step
  try {
    for (let i = 0; i < steps; i++) {
      const sampled = tf.tidy(() => {
        const s = sampleTokens(logits, { temperature: o.temperature, topK: o.topK, topP: o.topP, seed: stepSeed(o.seed, i) });
        const ids = tf.where(done, tf.fill([B], o.padId, 'int32'), s.ids) as tf.Tensor1D;
        return { ids, lp: tf.where(done, tf.zerosLike(s.logProbs), s.logProbs), nextDone: tf.logicalOr(done, tf.equal(ids, o.eosId)) };
      });
      ids = sampled.ids;
      const { lp, nextDone } = sampled;
      chunk.push(tf.tidy(() => tf.stack([tf.cast(sampled.ids, 'float32'), lp])));
      lp.dispose();
      done.dispose();
      done = nextDone;
      const last = i === steps - 1;
      if ((i + 1) % readEvery === 0 || last) {
        const allDone = await readChunk(chunk, out, finished, o);
        chunk = [];
        if (allDone || last) break;
      }
      const next = decodeStep(p, cfg, cache, ids, padded.lengths.map((n) => n + i), P + i);
      ids.dispose();
      ids = null;
      logits.dispose();
      logits = next;
    }
  } finally {
    tf.dispose([logits, done, ...chunk, ...(ids ? [ids] : [])]);
    cache.dispose();
  }
  return out;
}

/** One readback for a chunk of steps ([2, B] each: ids as floats, log-probs); appends until each <eos>. */
async function readChunk(chunk: tf.Tensor[], out: GenerateResult, finished: boolean[], o: GenerateOptions): Promise<boolean> {
  const stacked = tf.stack(chunk); // [k, 2, B]
  const data = await stacked.data(); // the chunk's one readback
  tf.dispose([stacked, ...chunk]);
  const B = finished.length, k = chunk.length;
  const fresh: number[][] = out.tokens.map(() => []);
  for (let s = 0; s < k; s++) {
    for (let b = 0; b < B; b++) {
      if (finished[b]) continue;
      const id = data[s * 2 * B + b], lp = data[s * 2 * B + B + b];
      out.tokens[b].push(id);
      out.logProbs[b].push(lp);
      fresh[b].push(id);
      if (id === o.eosId) { finished[b] = true; out.stopReasons[b] = 'eos'; }
    }
  }
  await o.onTokens?.(fresh);
  return finished.every(Boolean);
}
