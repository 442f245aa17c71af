// A LoRA projection y = x·Wᵀ (+ b) + s·(x·Aᵀ)·Bᵀ on a frozen W as one op with its own gradient, taken on the
// fused path (kernels/fused.ts's switch) when the adapters' input is x itself (no dropout): the base output
// rides into the B matmul as its bias, and the backward computes only what the adapters need,
//   dmid = s·dy·B,  dx = dy·W + dmid·A (the add again as a matmul's bias),  dA = dmidᵀ·x,  dB = dyᵀ·(s·x·Aᵀ).
// Per projection 4 programs forward instead of 5 and 6 backward instead of 7 (model.ts's project() composes
// a matmul, the scale, a matmul and an add, and autograd adds the two dx).
// W may be half-precision words [out, in/2] (int32, engine/f16.ts): x·Wᵀ and dy·W then run on
// kernels/matmul_f16_train.ts's programs; everything else stays f32.
import * as tf from '@tensorflow/tfjs';
import { customGrad } from './custom_grad';
import { matMulF16Dx, matMulF16Rows } from './kernels/matmul_f16_train';

/**
 * y [N, out] for x [N, in], W [out, in] frozen (f32, or f16 words [out, in/2]), b [out] frozen or none,
 * A [r, in], B [out, r], scale s.
 */
export function loraLinear2d(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor | undefined,
  A: tf.Tensor2D,
  B: tf.Tensor2D,
  s: number,
): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor2D, a: tf.Tensor2D, bb: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    const half = w.dtype === 'int32';
    const base = half
      ? matMulF16Rows(xi, w, b)
      : b
        ? tf.fused.matMul({ a: xi, b: w, transposeB: true, bias: b })
        : tf.matMul(xi, w, false, true);
    const mid = tf.mul(tf.matMul(xi, a, false, true), s); // s on the rank-r middle, the cheapest
    save([xi, mid, a, bb]);
    return {
      value: tf.fused.matMul({ a: mid, b: bb, transposeB: true, bias: base }) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor2D, [xs, ms, as, bs]: tf.Tensor2D[]) => {
        const dmid = tf.mul(tf.matMul(dy, bs), s);
        const dx = tf.fused.matMul({ a: dmid, b: as, bias: half ? matMulF16Dx(dy, w) : tf.matMul(dy, w) });
        return [dx, tf.matMul(dmid, xs, true, false), tf.matMul(dy, ms, true, false)];
      },
    };
  });
  return f(x, A, B);
}
