// Frozen weights in half precision on the GPU, for a model loaded to infer only on WebGPU: every matrix
// (2-D tensor: the embedding, the q|k|v and gate|up packs, o_proj, down_proj, the LM head, tied or not) is
// uploaded as int32 words of two halves [N, K/2] (f16.ts), never as f32, and read by kernels/matmul_f16.ts
// (model.ts's linear and embedding dispatch on the int32 dtype). Norm weights and biases (1-D) stay f32.
// Source dtypes: F16 goes as it is (exact); BF16 converts exactly while |w| ≤ 65504 (f16 has 3 more mantissa
// bits; only values under 2^-14 lose bits, under 2^-24 flush to zero); F32 rounds to the nearest half. A
// matrix with a value past f16's range (f16RangeReport: a bf16 or f32 weight ≥ 65520 would become ±Inf), or
// an odd inner size (words hold pairs), refuses f16 for the whole model: the loader says why and loads f32.
import type * as tf from '@tensorflow/tfjs';
import { f16RangeReport, toF16Bits, unpackF16 } from './f16';

/** How a model's frozen matrices are held on the GPU when it is loaded to infer only. */
export type WeightPrecision = 'f16' | 'f32';
export const WEIGHT_PRECISIONS: readonly WeightPrecision[] = ['f16', 'f32'];

/** Whether a loaded tensor of this shape is held in half precision (matrices; norms and biases stay f32). */
export const halvedOnLoad = (shape: number[]): boolean => shape.length === 2;

/** Raised while loading when a matrix cannot be held in f16; the loader then loads the model in f32. */
export class F16Refused extends Error {}

/** Why tensor `name` [N, K] cannot be held in f16, or null when it can. */
export function f16Problem(name: string, shape: number[], data: Float32Array): string | null {
  if (shape[1] % 2) return `tensor "${name}" [${shape}] has an odd inner size (half-precision words hold pairs)`;
  const r = f16RangeReport(data);
  if (r.overflow)
    return (
      `tensor "${name}" holds ${r.overflow} value${r.overflow === 1 ? '' : 's'} past half precision's range ` +
      `(|w| up to ${r.maxAbs}, f16 ends at 65504)`
    );
  return null;
}

/** A matrix [N, K] (K even) as half-precision words [N, K/2] (nearest half, ties to even), no second copy. */
export function f16Words(data: Float32Array): Int32Array {
  const halves = toF16Bits(data);
  if (halves.length % 2) throw new Error(`packing f16 needs an even count of values, got ${halves.length}`);
  return new Int32Array(halves.buffer, 0, halves.length / 2);
}

/** The shape of the values a tensor holds: half-precision words [N, K/2] hold [N, K]. */
export const valueShape = (t: tf.Tensor): number[] =>
  t.dtype === 'int32' && t.rank === 2 ? [t.shape[0], (t.shape[1] as number) * 2] : [...t.shape];

/** A tensor's values read back as a new f32 array (half-precision words as the values they hold: exact). */
export async function f32Values(t: tf.Tensor): Promise<Float32Array> {
  if (t.dtype === 'int32' && t.rank === 2) return unpackF16(await t.data<'int32'>());
  if (t.dtype !== 'float32') throw new Error(`expected float32 values or half-precision words, got ${t.dtype}`);
  return new Float32Array(await t.data<'float32'>()); // a copy: on the CPU backend data() is the tensor's storage
}

/** Whether a model's params hold half-precision matrices. */
export const hasF16Weights = (p: Record<string, tf.Tensor>): boolean =>
  Object.values(p).some((t) => t.dtype === 'int32');
