// On-device sampling for a batch of logit rows: temperature, top-k, top-p (nucleus) and a seeded
// Gumbel-max draw; temperature 0 is argmax. Returns ids and their log-probs under the temperature-scaled
// FULL distribution, logSoftmax(logits / τ) before any top-k/top-p truncation — the quantity GRPO's
// ratio and KL use (as in TRL). No readback here. Stock tfjs ops by default and on CPU/WASM; one WebGPU
// program (kernels/sample.ts, its own counter-based RNG) when the fused switch is on and the backend is WebGPU.
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsOn, onWebGPU } from './kernels/fused';
import { pickTargets } from './kernels/log_probs';
import { createSamplerState, sampleIntoFused } from './kernels/sample';

export interface SampleOptions {
  temperature: number; // τ; ≤ 1e-6 means greedy
  topK?: number; // keep the k most likely tokens (0 or undefined: all)
  topP?: number; // keep the smallest set with cumulative probability ≥ p (1 or undefined: all)
  seed: number; // per-call seed: the caller derives it from (run seed, step) for reproducibility
}

export const GREEDY_BELOW = 1e-6;

/** logits [B, V] → { ids int32 [B], logProbs float32 [B] }. */
export function sampleTokens(logits: tf.Tensor2D, o: SampleOptions): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  return fusedKernelsOn() && onWebGPU() ? sampleTokensFused(logits, o) : sampleTokensStock(logits, o);
}

/** The fused program on a fresh state (no row finished), plus a slice for the log-probs it records. */
function sampleTokensFused(logits: tf.Tensor2D, o: SampleOptions): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  const B = logits.shape[0];
  const state = createSamplerState(B, 1);
  try {
    return tf.tidy(() => ({
      ids: sampleIntoFused(logits, state, 0, { ...o, padId: 0, greedy: o.temperature <= GREEDY_BELOW }),
      logProbs: tf.reshape(tf.slice(state.record, [0, 1, 0], [1, 1, B]), [B]) as tf.Tensor1D,
    }));
  } finally {
    state.dispose();
  }
}

/** The stock composition: temperature, top-k and top-p by sorting, tfjs's seeded uniform noise. */
export function sampleTokensStock(logits: tf.Tensor2D, o: SampleOptions): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  return tf.tidy(() => {
    const [B, V] = logits.shape;
    const greedy = o.temperature <= GREEDY_BELOW;
    const scaled = greedy ? logits : tf.div(logits, o.temperature);
    const logp = tf.logSoftmax(scaled);
    let ids: tf.Tensor1D;
    if (greedy) {
      ids = tf.argMax(logits, -1);
    } else {
      let filtered: tf.Tensor = scaled;
      if (o.topK && o.topK > 0 && o.topK < V) {
        const kth = tf.slice(tf.topk(scaled, o.topK).values, [0, o.topK - 1], [B, 1]);
        filtered = tf.where(tf.less(filtered, kth), tf.fill([B, V], -Infinity), filtered);
      }
      if (o.topP !== undefined && o.topP < 1) {
        const sorted = tf.topk(filtered, V).values; // descending
        const probs = tf.softmax(sorted);
        // keep token i when the mass strictly before it is < p (the first token always stays)
        const before = tf.sub(tf.cumsum(probs, 1), probs);
        const keep = tf.less(before, o.topP);
        const cutoff = tf.min(tf.where(keep, sorted, tf.fill([B, V], Infinity)), 1, true);
        filtered = tf.where(tf.less(filtered, cutoff), tf.fill([B, V], -Infinity), filtered);
      }
      const u = tf.randomUniform([B, V], 1e-7, 1 - 1e-7, 'float32', o.seed);
      const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
      ids = tf.argMax(tf.add(filtered, gumbel), -1);
    }
    const idsInt = tf.cast(ids, 'int32') as tf.Tensor1D;
    return { ids: idsInt, logProbs: pickTargets(logp, idsInt) as tf.Tensor1D };
  });
}

/** A per-step seed from the run seed and the step (stable, well mixed, 31-bit). */
export function stepSeed(seed: number, step: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) & 0x7fffffff;
}
