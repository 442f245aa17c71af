// One decode step's attention inputs from the packed q|k|v projection, as ONE WebGPU program: RoPE of q and
// k at each row's position, k and v written into slot `slot` of the layer's cache in place, and the slot
// opened in the cache's attention bias. Returns the rotated queries, ready for attention.
// Dimension letters: B batch, H query heads, Hkv kv heads, D head dim (even), Tmax cache slots;
// W = (H + 2·Hkv)·D, the packed projection's width ([Wq | Wk | Wv] stacked on the output axis).
//   q [B, H, 1, D] = rope(qkv[:, 0 : H·D])            the program's output (`result`)
//   k[l][b, :, slot, :] = rope(qkv[:, H·D : (H+Hkv)·D])  in place
//   v[l][b, :, slot, :] = qkv[:, (H+Hkv)·D : W]          in place
//   bias[b, slot] = 0                                    in place (every layer writes it: idempotent, and
//                                                        layer 0's attention already sees it)
// RoPE is model.ts's (HF rotate-half): angle = position · invFreq[d], invFreq = [f, f] with
// f_i = theta^(−2i/D) computed in f64 and rounded to f32 as ropeTables does; cos and sin are taken in the
// program, so no per-step tables are dispatched. A thread per element of qkv.
// writeStepKvStock is the reference (ropeHeadsStock, splitHeads, kv_cache.ts's writeSlot and markSlotValid)
// and the fallback off WebGPU.
// Leaves out: the prefill (many slots: kv_cache.ts's writePrefix), vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/kv_write.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { headDim, type LlamaConfig } from '../config';
import { markSlotValid, writeSlot, type KVCache } from '../kv_cache';
import { onWebGPU } from './fused';
import { markWritten } from './in_place';
import { ropeHeadsStock, splitHeads } from './rope';
import { registerWebGPUKernel, ROW_THREADS, runKernel } from './webgpu_program';

/** [f, f], f_i = theta^(−2i/D): the per-dimension rotation speed, as model.ts's ropeTables builds it. */
export function ropeInvFreq(cfg: LlamaConfig): tf.Tensor1D {
  const D = headDim(cfg);
  const f = Array.from({ length: D / 2 }, (_, i) => 1 / cfg.rope_theta ** ((2 * i) / D));
  return tf.tensor1d([...f, ...f]);
}

/** The stock composition: rotated q [B, H, 1, D] from qkv [B, W]; k and v written into `slot`, the slot opened. */
export function writeStepKvStock(
  cache: KVCache,
  l: number,
  slot: number,
  qkv: tf.Tensor2D,
  positions: tf.Tensor1D,
  invFreq: tf.Tensor1D,
  H: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [B, W] = qkv.shape,
      D = invFreq.shape[0],
      Hkv = (W / D - H) / 2;
    const angle = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [B, 1, 1, 1]), invFreq); // [B, 1, 1, D]
    const cos = tf.cos(angle),
      sin = tf.sin(angle);
    const [q, k, v] = tf.split(tf.reshape(qkv, [B, 1, W]), [H * D, Hkv * D, Hkv * D], 2);
    writeSlot(cache, l, slot, ropeHeadsStock(k, Hkv, cos, sin), splitHeads(v, Hkv, D));
    markSlotValid(cache, slot);
    return ropeHeadsStock(q, H, cos, sin);
  });
}

/** A thread per element of qkv [B, W]; q is `result`, k, v and bias are written through bindings 4, 5, 6. */
class KvWriteProgram implements WebGPUProgram {
  variableNames = ['qkv', 'positions', 'invFreq', 'k', 'v', 'bias'];
  outputShape: number[];
  shaderKey = 'rubricKvWrite';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  uniforms = 'heads : i32, kvHeads : i32, dim : i32, slot : i32, maxLen : i32,';

  constructor(B: number, H: number, D: number, threads: number) {
    this.outputShape = [B, H, 1, D];
    this.dispatchLayout = { x: [0, 1, 2, 3] };
    // tfjs folds > 65535 workgroups into 2-D; getGlobalIndex() follows
    this.dispatch = [Math.ceil(threads / ROW_THREADS), 1, 1];
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
        let x = qkv[i];
        if (head >= uniforms.heads + uniforms.kvHeads) {
          let hk = head - uniforms.heads - uniforms.kvHeads;
          vOut[((b * uniforms.kvHeads + hk) * uniforms.maxLen + uniforms.slot) * D + d] = x;
          return;
        }
        let half = D / 2;
        let lo = d < half;
        let xp = qkv[i - d + select(d - half, d + half, lo)];
        let angle = f32(positions[b]) * invFreq[d];
        let y = x * cos(angle) + select(xp, -xp, lo) * sin(angle);
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
 * q [B, H, 1, D] from qkv [B, W], positions [B], invFreq [D]; writes k, v [B, Hkv, Tmax, D] and bias [B, Tmax] in
 * place.
 */
registerWebGPUKernel(WRITE, (backend, { qkv, positions, invFreq, k, v, bias }, a) => {
  const [B, W] = qkv.shape,
    D = invFreq.shape[0],
    H = a.heads as number;
  const dims = [H, (W / D - H) / 2, D, a.slot as number, k.shape[2]];
  const q = backend.runWebGPUProgram(
    new KvWriteProgram(B, H, D, B * W),
    [qkv, positions, invFreq, k, v, bias],
    'float32',
    dims.map((n) => ({ type: 'int32', data: [n] })),
  );
  markWritten(backend, [k, v, bias]);
  return q;
});

/**
 * Rotated q [B, H, 1, D] for this step; k and v of layer l written into `slot` and the slot opened, in
 * place: one WebGPU program on the webgpu backend, writeStepKvStock elsewhere. qkv [B, (H + 2·Hkv)·D] is the
 * packed projection, positions [B] int32 each row's position.
 */
export function writeStepKv(
  cache: KVCache,
  l: number,
  slot: number,
  qkv: tf.Tensor2D,
  positions: tf.Tensor1D,
  invFreq: tf.Tensor1D,
  H: number,
): tf.Tensor {
  if (!onWebGPU()) return writeStepKvStock(cache, l, slot, qkv, positions, invFreq, H);
  // the program reads i32
  tf.util.assert(positions.dtype === 'int32', () => `positions must be int32, got ${positions.dtype}`);
  tf.util.assert(slot >= 0 && slot < cache.maxLen, () => `slot ${slot} is outside the cache's ${cache.maxLen} slots`);
  return runKernel(
    WRITE,
    { qkv, positions, invFreq, k: cache.k[l], v: cache.v[l], bias: cache.bias },
    { heads: H, slot },
  );
}
