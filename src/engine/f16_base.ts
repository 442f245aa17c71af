// A LoRA model's frozen matrices in half precision on the GPU: every frozen [out, in] weight (projections,
// the embedding and an untied LM head, and their vocabulary row parts) is replaced by int32 words of two
// halves [out, in/2] (engine/f16.ts's layout), half the bytes. model.ts reads such a weight with
// kernels/matmul_f16_train.ts (x·Wᵀ forward, dy·W backward: no gradient to W) and gatherF16Rows (the
// embedding); norms, biases, adapters, optimizer state and activations stay f32. Nearest half, ties to
// even; values past f16's range (±65504) would become ±Infinity, so such a model is refused with its count.
// A real model's base is loaded so directly (hf/weights.ts, weights 'f16': never an f32 copy on the GPU); a new
// model's matrices are halved where they are made (halveOnDevice); folding adapters in re-rounds the base
// (lora.ts's mergeAndResetLora), and a checkpoint holds the f32 values the words hold (vocab_rows.ts).
import * as tf from '@tensorflow/tfjs';
import { f16RangeReport } from './f16';
import { onWebGPU } from './kernels/fused';
import { packF16Words } from './kernels/pack_f16';
import { isLoraName } from './lora';

/** The frozen weights base weights in half precision would replace: rank 2, not adapters, not trained. */
export function halvableWeights(params: Record<string, tf.Variable>): string[] {
  return Object.entries(params)
    .filter(([n, v]) => v.rank === 2 && !v.trainable && !isLoraName(n) && v.dtype === 'float32')
    .map(([n]) => n);
}

/** Replaces params[name], an f32 matrix, by its half-precision words rounded on the GPU, frozen. */
function halve(params: Record<string, tf.Variable>, name: string): void {
  const v = params[name];
  params[name] = tf.tidy(() => tf.variable(packF16Words(v as tf.Variable<tf.Rank.R2>), false));
  v.dispose();
}

/**
 * Replaces (in place) every frozen matrix of `params` by its half-precision words, disposing the f32 copy, after
 * reading each back to check f16's range; returns the bytes freed. WebGPU only: the f16 kernels are WebGPU
 * programs.
 */
export async function halveFrozenWeights(params: Record<string, tf.Variable>): Promise<number> {
  if (!onWebGPU()) throw new Error(`frozen weights in f16 need WebGPU (the backend is ${tf.getBackend()})`);
  let freed = 0;
  for (const name of halvableWeights(params)) {
    const [N, K] = params[name].shape;
    if (K % 2) throw new Error(`${name}: f16 weights need an even inner size, got [${N}, ${K}]`);
    const range = f16RangeReport((await params[name].data()) as Float32Array);
    if (range.overflow)
      throw new Error(`${name}: ${range.overflow} values past f16's range (largest |w| ${range.maxAbs}); keep f32`);
    halve(params, name);
    freed += N * K * 2;
  }
  return freed;
}

/**
 * Replaces (in place) every f32 matrix of a new model's `params` by its half-precision words (no readback: a new
 * model's values are far inside f16's range), frozen. WebGPU only.
 */
export function halveOnDevice(params: Record<string, tf.Variable>): void {
  for (const [name, v] of Object.entries(params))
    if (v.rank === 2 && v.dtype === 'float32' && !isLoraName(name)) halve(params, name);
}
