// A KV cache preallocated per layer at a fixed shape [B, Hkv, Tmax, D], plus the additive attention bias
// over its slots (0 where a slot holds a real key, NEG_SCORE elsewhere), so a decode step attends over the
// cache with no mask arithmetic. Shapes never change across steps, so the GPU buffer pool stays flat and a
// step costs the same early and late.
// Two ways to write a step: the stock one here, a fixed-shape blend (cache·(1−onehot) + kv·onehot, several
// dispatches, tfjs tensors being immutable), and kernels/kv_write.ts, one WebGPU program writing the slot
// in place (with the RoPE of that step's q and k), which the fused decode path takes.
import * as tf from '@tensorflow/tfjs';
import { headDim, type LlamaConfig } from './config';
import { NEG_SCORE } from './model';

export interface KVCache {
  readonly batch: number; // B
  readonly maxLen: number; // Tmax
  readonly k: tf.Variable[]; // per layer [B, Hkv, Tmax, D], rotated keys
  readonly v: tf.Variable[]; // per layer [B, Hkv, Tmax, D]
  readonly bias: tf.Variable; // [B, Tmax], 0 where a slot holds a real (non-padding) key, NEG_SCORE elsewhere
  dispose(): void;
}

export function createKVCache(cfg: LlamaConfig, batch: number, maxLen: number): KVCache {
  if (maxLen > cfg.max_position_embeddings)
    throw new Error(`KV cache of ${maxLen} slots exceeds the context of ${cfg.max_position_embeddings}`);
  const shape = [batch, cfg.num_key_value_heads, maxLen, headDim(cfg)];
  // tidy frees the initial values; the variables themselves are not tracked by tidy
  const filled = (s: number[], x: number) => tf.tidy(() => tf.variable(tf.fill(s, x), false));
  const k = Array.from({ length: cfg.num_hidden_layers }, () => filled(shape, 0));
  const v = Array.from({ length: cfg.num_hidden_layers }, () => filled(shape, 0));
  const bias = filled([batch, maxLen], NEG_SCORE);
  return { batch, maxLen, k, v, bias, dispose: () => tf.dispose([...k, ...v, bias]) };
}

/** Writes the prompt's keys/values [B, Hkv, P, D] into slots 0..P−1 of layer l. */
export function writePrefix(cache: KVCache, l: number, k: tf.Tensor, v: tf.Tensor): void {
  tf.tidy(() => {
    const pad = (x: tf.Tensor) => {
      const [B, H, P, D] = x.shape;
      return P === cache.maxLen ? x : tf.concat([x, tf.zeros([B, H, cache.maxLen - P, D])], 2);
    };
    cache.k[l].assign(pad(k));
    cache.v[l].assign(pad(v));
  });
}

/** Opens the prompt's real positions (attention mask [B, P]) to attention; every later slot stays closed. */
export function writePrefixMask(cache: KVCache, mask: tf.Tensor2D): void {
  tf.tidy(() => {
    const P = mask.shape[1];
    const closed = tf.mul(tf.sub(1, tf.cast(mask, 'float32')), NEG_SCORE);
    cache.bias.assign(
      P === cache.maxLen ? closed : tf.concat([closed, tf.fill([cache.batch, cache.maxLen - P], NEG_SCORE)], 1),
    );
  });
}

/** One-hot over slots, shaped to broadcast against [B, Hkv, Tmax, D]. */
const slotHot = (slot: number, T: number) => tf.reshape(tf.oneHot(tf.tensor1d([slot], 'int32'), T), [1, 1, T, 1]);

/** Opens `slot` to attention for every sequence (before the step's attention reads it). */
export function markSlotValid(cache: KVCache, slot: number): void {
  tf.tidy(() =>
    cache.bias.assign(tf.mul(cache.bias, tf.sub(1, tf.reshape(slotHot(slot, cache.maxLen), [1, cache.maxLen])))),
  );
}

/** Writes one step's keys/values [B, Hkv, 1, D] into `slot` of layer l. */
export function writeSlot(cache: KVCache, l: number, slot: number, k: tf.Tensor, v: tf.Tensor): void {
  tf.tidy(() => {
    const hot = slotHot(slot, cache.maxLen);
    const keep = tf.sub(1, hot);
    cache.k[l].assign(tf.add(tf.mul(cache.k[l], keep), tf.mul(k, hot)));
    cache.v[l].assign(tf.add(tf.mul(cache.v[l], keep), tf.mul(v, hot)));
  });
}
