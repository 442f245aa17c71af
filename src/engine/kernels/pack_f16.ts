// f32 → half-precision words on the GPU, and back: what folding LoRA adapters into a half-precision base needs
// (lora.ts's mergeAndResetLora: W₁₆ ← round₁₆(W₁₆ + s·B·A)) without reading the weights back to the host.
//   packF16Words     words [N, K/2] from x [N, K]: each value to its nearest half, ties to even — the bits of
//                    f16.ts's f32ToF16Bits, ported to WGSL (WGSL's pack2x16float leaves the rounding to the
//                    device), so the GPU and the host round alike. Past ±65504: ±Infinity; NaN stays NaN.
//   unpackF16Words   x [N, K] from words [N, K/2]: every row gathered (exact: each half is an f32).
// The reference is f16.ts's host code (the test compares bits).
import * as tf from '@tensorflow/tfjs';
import { onWebGPU } from './fused';
import { gatherF16Rows } from './matmul_f16';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';

const PACK = 'RubricPackF16Words';

/** f32ToF16Bits (f16.ts) in WGSL; f32 subnormals round to ±0 either way, so a device that flushes them agrees. */
const F16_BITS = `
  fn f16Bits(v : f32) -> u32 {
    let x = bitcast<u32>(v);
    let sign = (x >> 16u) & 0x8000u;
    let exp = i32((x >> 23u) & 0xffu);
    let mant = x & 0x7fffffu;
    if (exp == 255) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
    let e = exp - 127 + 15;
    if (e >= 31) { return sign | 0x7c00u; }
    if (e <= 0) {
      if (e < -10) { return sign; }
      let m = mant | 0x800000u;
      let shift = u32(14 - e);
      var h = m >> shift;
      let rest = m & ((1u << shift) - 1u);
      let halfway = 1u << (shift - 1u);
      if (rest > halfway || (rest == halfway && (h & 1u) == 1u)) { h = h + 1u; }
      return sign | h;
    }
    var h = (u32(e) << 10u) | (mant >> 13u);
    let rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) == 1u)) { h = h + 1u; } // a carry into the exponent is right
    return sign | h;
  }`;

/** words [N, K/2] from x [N, K]: one workgroup per row. */
registerWebGPUKernel(PACK, (backend, { x }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricPackF16Words',
      subgroups: false, // no reduction
      inputs: ['x'],
      outputShape: [x.shape[0], x.shape[1] / 2],
      helpers: F16_BITS,
      body: `
    let half = cols / 2;
    for (var c = tid; c < half; c = c + ${ROW_THREADS}) {
      let lo = f16Bits(x[base + 2 * c]);
      let hi = f16Bits(x[base + 2 * c + 1]);
      if (live) { result[row * half + c] = bitcast<i32>(lo | (hi << 16u)); }
    }`,
    }),
    [x],
    'int32',
  ),
);

function requireWebGPU(what: string): void {
  if (!onWebGPU()) throw new Error(`${what} runs on WebGPU only (the backend is ${tf.getBackend()})`);
}

/** x [N, K] (K even) as half-precision words [N, K/2], nearest half, ties to even; a new tensor. */
export function packF16Words(x: tf.Tensor2D): tf.Tensor2D {
  requireWebGPU('packF16Words');
  const [N, K] = x.shape;
  if (x.dtype !== 'float32' || K % 2)
    throw new Error(`packF16Words: needs float32 [N, even K], got ${x.dtype} [${N}, ${K}]`);
  return runKernel(PACK, { x }) as tf.Tensor2D;
}

/** The f32 values [N, K] of half-precision words [N, K/2]; a new tensor. */
export function unpackF16Words(words: tf.Tensor2D): tf.Tensor2D {
  requireWebGPU('unpackF16Words');
  if (words.dtype !== 'int32') throw new Error(`unpackF16Words: needs int32 words, got ${words.dtype}`);
  return tf.tidy(() => gatherF16Rows(words, tf.range(0, words.shape[0], 1, 'int32') as tf.Tensor1D));
}
