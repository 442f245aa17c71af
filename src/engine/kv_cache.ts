// A KV cache preallocated per layer at a fixed shape [B, Hkv, Tmax, D], plus which slots hold real keys.
// Stock tfjs tensors are immutable, so a new slot is written by a fixed-shape blend
// (cache·(1−onehot) + kv·onehot): shapes never change across steps, so the GPU buffer pool stays flat.
// A true in-place write (a custom WebGPU program writing one slot) is planned with the fused kernels.
import * as tf from '@tensorflow/tfjs';
import { headDim, type LlamaConfig } from './config';

export interface KVCache {
  readonly batch: number; // B
  readonly maxLen: number; // Tmax
  readonly k: tf.Variable[]; // per layer [B, Hkv, Tmax, D], rotated keys
  readonly v: tf.Variable[]; // per layer [B, Hkv, Tmax, D]
  readonly valid: tf.Variable; // [B, Tmax], 1 where a slot holds a real (non-padding) key
  dispose(): void;
}

export function createKVCache(cfg: LlamaConfig, batch: number, maxLen: number): KVCache {
  if (maxLen > cfg.max_position_embeddings) throw new Error(`KV cache of ${maxLen} slots exceeds the context of ${cfg.max_position_embeddings}`);
  const shape = [batch, cfg.num_key_value_heads, maxLen, headDim(cfg)];
  // tidy frees the initial zeros; the variables themselves are not tracked by tidy
  const zeros = (s: number[]) => tf.tidy(() => tf.variable(tf.zeros(s), false));
  const k = Array.from({ length: cfg.num_hidden_layers }, () => zeros(shape));
  const v = Array.from({ length: cfg.num_hidden_layers }, () => zeros(shape));
  const valid = zeros([batch, maxLen]);
  return { batch, maxLen, k, v, valid, dispose: () => tf.dispose([...k, ...v, valid]) };
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

/** Marks the prompt's real positions (attention mask [B, P]) as valid; the rest of the slots empty. */
export function writePrefixMask(cache: KVCache, mask: tf.Tensor2D): void {
  tf.tidy(() => {
    const P = mask.shape[1];
    const m = tf.cast(mask, 'float32');
    cache.valid.assign(P === cache.maxLen ? m : tf.concat([m, tf.zeros([cache.batch, cache.maxLen - P])], 1));
  });
}

/** One-hot over slots, shaped to broadcast against [B, Hkv, Tmax, D]. */
const slotHot = (slot: number, T: number) => tf.reshape(tf.oneHot(tf.tensor1d([slot], 'int32'), T), [1, 1, T, 1]);

/** Marks `slot` as holding a real key for every sequence (before the step's attention reads it). */
export function markSlotValid(cache: KVCache, slot: number): void {
  tf.tidy(() => cache.valid.assign(tf.maximum(cache.valid, tf.reshape(slotHot(slot, cache.maxLen), [1, cache.maxLen]))));
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
