// One decode step's attention inputs from the packed q|k|v projection, as ONE WebGPU program: RoPE of q and
// k at each row's position (after Qwen3's per-head q/k RMSNorm when given), k and v written into slot
// `slot` of the layer's cache in place, and the slot opened in the cache's attention bias. Returns the
// rotated queries, ready for attention.
// Dimension letters: B batch, H query heads, Hkv kv heads, D head dim (even), Tmax cache slots;
// W = (H + 2·Hkv)·D, the packed projection's width ([Wq | Wk | Wv] stacked on the output axis).
//   q [B, H, 1, D] = rope(qkv[:, 0 : H·D])            the program's output (`result`)
//   k[l][b, :, slot, :] = rope(qkv[:, H·D : (H+Hkv)·D])  in place
//   v[l][b, :, slot, :] = qkv[:, (H+Hkv)·D : W]          in place
//   bias[b, slot] = 0                                    in place (every layer writes it: idempotent, and
//                                                        layer 0's attention already sees it)
// RoPE is model.ts's (HF rotate-half) with each row's cos and sin [B, D] (model.ts's ropeRows: computed on
// the host in float64 and uploaded, as WGSL's own cos and sin are too coarse). A thread per element of qkv.
// With q/k norms
// (qkNorm [2·D]: q_norm's weight, then k_norm's), each thread of a q or k head first takes its head's
// 1/√(mean(x²) + ε) over D itself (D reads; heads are short), so the norm costs no dispatch.
// writeStepKvStock is the reference (ropeHeadsStock, splitHeads, kv_cache.ts's writeSlot and markSlotValid)
// and the fallback off WebGPU.
// Leaves out: the prefill (many slots: kv_cache.ts's writePrefix), vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/kv_write.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { markSlotValid, writeSlot, type KVCache } from '../kv_cache';
import { onWebGPU } from './fused';
import { markWritten } from './in_place';
import { rmsNormStock } from './rms_norm';
import { ropeHeadsStock, splitHeads } from './rope';
import { registerWebGPUKernel, ROW_THREADS, runKernel } from './webgpu_program';

/** Qwen3's q_norm and k_norm weights of a layer, [2·D], for writeStepKv (with the norms' ε). */
export interface QkNorm {
  weights: tf.Tensor1D;
  eps: number;
}

/** RMSNorm of each D-wide head of x [B, 1, Hx·D] with weight w [D]. */
function normHeads(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const D = w.shape[0];
  return tf.reshape(rmsNormStock(tf.reshape(x, [x.shape[0], 1, -1, D]), w, eps), x.shape);
}

/** The stock composition: rotated q [B, H, 1, D] from qkv [B, W]; k and v written into `slot`, the slot opened. */
export function writeStepKvStock(
  cache: KVCache,
  l: number,
  slot: number,
  qkv: tf.Tensor2D,
  cosRows: tf.Tensor2D,
  sinRows: tf.Tensor2D,
  H: number,
  qkNorm?: QkNorm,
): tf.Tensor {
  return tf.tidy(() => {
    const [B, W] = qkv.shape,
      D = cosRows.shape[1],
      Hkv = (W / D - H) / 2;
    const cos = tf.reshape(cosRows, [B, 1, 1, D]),
      sin = tf.reshape(sinRows, [B, 1, 1, D]);
    let [q, k, v] = tf.split(tf.reshape(qkv, [B, 1, W]), [H * D, Hkv * D, Hkv * D], 2);
    if (qkNorm) {
      const [wq, wk] = tf.split(qkNorm.weights, 2);
      [q, k] = [normHeads(q, wq, qkNorm.eps), normHeads(k, wk, qkNorm.eps)];
    }
    writeSlot(cache, l, slot, ropeHeadsStock(k, Hkv, cos, sin), splitHeads(v, Hkv, D));
    markSlotValid(cache, slot);
    return ropeHeadsStock(q, H, cos, sin);
  });
}

/**
 * A thread per element of qkv [B, W]; q is `result`, k, v and bias are written through bindings 4, 5, 6;
 * with norms, qkNorm [2·D] is binding 7.
 */
class KvWriteProgram implements WebGPUProgram {
  variableNames = ['qkv', 'cos', 'sin', 'k', 'v', 'bias'];
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  uniforms = 'heads : i32, kvHeads : i32, dim : i32, slot : i32, maxLen : i32, eps : f32,';
  private readonly normed: boolean;

  constructor(B: number, H: number, D: number, threads: number, normed: boolean) {
    this.outputShape = [B, H, 1, D];
    this.dispatchLayout = { x: [0, 1, 2, 3] };
    // tfjs folds > 65535 workgroups into 2-D; getGlobalIndex() follows
    this.dispatch = [Math.ceil(threads / ROW_THREADS), 1, 1];
    this.normed = normed;
    this.shaderKey = normed ? 'rubricKvWriteNormed' : 'rubricKvWrite';
    if (normed) this.variableNames = [...this.variableNames, 'qkNorm'];
  }

  /** WGSL: x and its rotation partner xp, scaled by the head's RMSNorm when the layer has q/k norms. */
  private normedPair(): string {
    if (!this.normed) return 'let x = qkv[i];\n        let xp = qkv[i - d + p];';
    return `
        var ss = 0.0;
        for (var e = 0; e < D; e = e + 1) { let u = qkv[i - d + e]; ss = ss + u * u; }
        let r = inverseSqrt(ss / f32(D) + uniforms.eps);
        let wAt = select(D, 0, head < uniforms.heads); // q_norm's weight, then k_norm's
        let x = qkv[i] * r * qkNorm[wAt + d];
        let xp = qkv[i - d + p] * r * qkNorm[wAt + p];`;
  }

  getUserCode(): string {
    return `
      @group(0) @binding(4) var<storage, read_write> kOut : array<f32>;
      @group(0) @binding(5) var<storage, read_write> vOut : array<f32>;
      @group(0) @binding(6) var<storage, read_write> biasOut : array<f32>;
      fn main(i : i32) {
        let D = uniforms.dim;
        let W = (uniforms.heads + 2 * uniforms.kvHeads) * D;
        let B = uniforms.qkvShape[0];
        if (i >= B * W) { return; }
        let b = i / W;
        let c = i % W;
        let head = c / D;
        let d = c % D;
        if (head >= uniforms.heads + uniforms.kvHeads) {
          let hk = head - uniforms.heads - uniforms.kvHeads;
          vOut[((b * uniforms.kvHeads + hk) * uniforms.maxLen + uniforms.slot) * D + d] = qkv[i];
          return;
        }
        let half = D / 2;
        let lo = d < half;
        let p = select(d - half, d + half, lo);
        ${this.normedPair()}
        let y = x * cos[b * D + d] + select(xp, -xp, lo) * sin[b * D + d];
        if (head < uniforms.heads) {
          result[(b * uniforms.heads + head) * D + d] = y;
        } else {
          let hk = head - uniforms.heads;
          kOut[((b * uniforms.kvHeads + hk) * uniforms.maxLen + uniforms.slot) * D + d] = y;
        }
        if (c == 0) { biasOut[b * uniforms.maxLen + uniforms.slot] = 0.0; }
      }`;
  }
}

const WRITE = 'RubricKvWrite';

/**
 * q [B, H, 1, D] from qkv [B, W], cos and sin [B, D]; writes k, v [B, Hkv, Tmax, D] and bias [B, Tmax] in place.
 */
registerWebGPUKernel(WRITE, (backend, { qkv, cos, sin, k, v, bias, qkNorm }, a) => {
  const [B, W] = qkv.shape,
    D = cos.shape[1],
    H = a.heads as number;
  const dims = [H, (W / D - H) / 2, D, a.slot as number, k.shape[2]];
  const q = backend.runWebGPUProgram(
    new KvWriteProgram(B, H, D, B * W, qkNorm !== undefined),
    [qkv, cos, sin, k, v, bias, ...(qkNorm ? [qkNorm] : [])],
    'float32',
    [...dims.map((n) => ({ type: 'int32', data: [n] })), { type: 'float32', data: [a.eps as number] }],
  );
  markWritten(backend, [k, v, bias]);
  return q;
});

/**
 * Rotated q [B, H, 1, D] for this step; k and v of layer l written into `slot` and the slot opened, in
 * place: one WebGPU program on the webgpu backend, writeStepKvStock elsewhere. qkv [B, (H + 2·Hkv)·D] is the
 * packed projection (biases added), cos and sin [B, D] each row's RoPE at its position (model.ts's ropeRows);
 * qkNorm for Qwen3's q/k norms.
 */
export function writeStepKv(
  cache: KVCache,
  l: number,
  slot: number,
  qkv: tf.Tensor2D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  H: number,
  qkNorm?: QkNorm,
): tf.Tensor {
  if (!onWebGPU()) return writeStepKvStock(cache, l, slot, qkv, cos, sin, H, qkNorm);
  tf.util.assert(slot >= 0 && slot < cache.maxLen, () => `slot ${slot} is outside the cache's ${cache.maxLen} slots`);
  tf.util.assert(
    cos.shape[0] === qkv.shape[0] && tf.util.arraysEqual(cos.shape, sin.shape),
    () => `cos [${cos.shape}] and sin [${sin.shape}] must be [B, D] for qkv [${qkv.shape}]`,
  );
  const inputs = { qkv, cos, sin, k: cache.k[l], v: cache.v[l], bias: cache.bias };
  return runKernel(WRITE, qkNorm ? { ...inputs, qkNorm: qkNorm.weights } : inputs, {
    heads: H,
    slot,
    eps: qkNorm?.eps ?? 0,
  });
}
