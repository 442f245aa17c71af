// Rotary position embeddings, Hugging Face rotate-half: y = x·cos + rotate_half(x)·sin over the head dim,
// rotate_half(x) = concat(−x₂, x₁) with x₁, x₂ the two halves. With h = D/2 and d < h:
//   y[d]     = x[d]·cos[d]         − x[d + h]·sin[d]
//   y[d + h] = x[d + h]·cos[d + h] + x[d]·sin[d + h]
// The backward is the transposed rotation (the tables are constants): with g the upstream gradient,
//   dx = g·cos + rotate_half_transposed(g·sin),  rotate_half_transposed(u) = concat(u₂, −u₁), i.e.
//   dx[d] = g[d]·cos[d] + g[d + h]·sin[d + h],   dx[d + h] = g[d + h]·cos[d + h] − g[d]·sin[d].
// Dimension letters: B batch, H heads, T time, D head dim (even). Tables are [B|1, H|1, T|1, D] (ropeTables
// gives [B|1, 1, T, D]), read with their own strides: no broadcast copy is made.
// applyRopeStock and ropeHeadsStock are the reference: the stock ops model.ts has always used (split,
// neg, concat, two muls and an add; ropeHeads also the head-split reshape + transpose). Fused, as WebGPU
// programs, and elsewhere the stock ops:
//   applyRopeFused  x [B, H, T, D] → y [B, H, T, D]:    forward 1 program, backward 1.
//   ropeHeadsFused  x [B, T, H·D]  → y [B, H, T, D]:    the head split fused in: the projection output
//                   goes straight to rotated heads (forward 1 program, a thread per output element reading
//                   x in its [B, T, H, D] order), and the backward writes dx back in that order (1 program),
//                   so no transpose is dispatched either way. model.ts's q and k take this one.
//   ropeQkFused     q [B, T, H·D], k [B, T, Hkv·D] → [B, H, T, D], [B, Hkv, T, D]: ropeHeads of both in
//                   one program each way (k the second output, re-declared read_write as swiglu.ts does),
//                   for the model's training path, where q and k both come from the block's input. Two
//                   outputs need a registered kernel and gradient (tf.customGrad gives one output).
// All are one shader with the x-side layout baked in (bhtd or bthd); the output side is always
// [B, H, T, D] forward and x's layout backward. No gradient for the tables: they come from positions.
// Leaves out: repeating KV heads (GQA) inside the program (the KV cache stores unrepeated keys), the v
// head split (attention.ts reads v as projected), rope scaling, vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/rope.test.ts
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../custom_grad';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, runKernel } from './webgpu_program';

/** rotate_half(x) = concat(−x₂, x₁) over the last axis. */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1];
  const [x1, x2] = tf.split(x, [D / 2, D / 2], -1);
  return tf.concat([tf.neg(x2), x1], -1);
}

/** The stock composition: x·cos + rotate_half(x)·sin for x [B, H, T, D], tables broadcastable to it. */
export function applyRopeStock(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(x, cos), tf.mul(rotateHalf(x), sin));
}

/** [B, T, H·D] → [B, H, T, D]: a free reshape, then a transpose (one copy program on WebGPU). */
export function splitHeads(x: tf.Tensor, H: number, D: number): tf.Tensor {
  const [B, T] = x.shape;
  return tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3]);
}

/** The stock composition for projection outputs: rotated heads [B, H, T, D] from x [B, T, H·D]. */
export function ropeHeadsStock(x: tf.Tensor, H: number, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return applyRopeStock(splitHeads(x, H, x.shape[2]! / H), cos, sin);
}

/** Which order the x side (x forward, dx backward) is stored in; the other side is always [B, H, T, D]. */
type Layout = 'bhtd' | 'bthd';

/** WGSL: flat index of (b, h, t, d) in each layout for nh heads, and of the tables (a broadcast axis is read at 0). */
const INDEX = `
  fn bhtd(b : i32, h : i32, t : i32, d : i32, nh : i32) -> i32 {
    return ((b * nh + h) * uniforms.seq + t) * uniforms.dim + d;
  }
  fn bthd(b : i32, h : i32, t : i32, d : i32, nh : i32) -> i32 {
    return ((b * uniforms.seq + t) * nh + h) * uniforms.dim + d;
  }
  fn tableAt(b : i32, h : i32, t : i32, d : i32) -> i32 {
    let s = uniforms.cosShape;
    return ((select(b, 0, s[0] == 1) * s[1] + select(h, 0, s[1] == 1)) * s[2] + select(t, 0, s[2] == 1)) * s[3] + d;
  }
`;

/** WGSL: (b, h, t, d) of flat index i (of a tensor with nh heads), in that tensor's layout. */
const decode = (layout: Layout, i = 'i', nh = 'uniforms.heads') =>
  layout === 'bhtd'
    ? `
    let d = ${i} % uniforms.dim;
    let t = (${i} / uniforms.dim) % uniforms.seq;
    let h = (${i} / (uniforms.dim * uniforms.seq)) % ${nh};
    let b = ${i} / (uniforms.dim * uniforms.seq * ${nh});`
    : `
    let d = ${i} % uniforms.dim;
    let h = (${i} / uniforms.dim) % ${nh};
    let t = (${i} / (uniforms.dim * ${nh})) % uniforms.seq;
    let b = ${i} / (uniforms.dim * ${nh} * uniforms.seq);`;

/**
 * WGSL: `out` at `at` = the forward (x in `layout`) or backward (dy, bhtd) rotation of element (b, h, t, d) of input
 * `x` with nh heads.
 */
const rotate = (backward: boolean, layout: Layout, x: string, out: string, at: string, nh: string) => `
    let half = uniforms.dim / 2;
    let lo = d < half;
    let p = select(d - half, d + half, lo);
    ${
      backward
        ? `
    let u = ${x}[bhtd(b, h, t, p, ${nh})] * sin[tableAt(b, h, t, p)];
    ${out}[${at}] = ${x}[bhtd(b, h, t, d, ${nh})] * cos[tableAt(b, h, t, d)] + select(-u, u, lo);`
        : `
    let xp = ${x}[${layout}(b, h, t, p, ${nh})];
    let ti = tableAt(b, h, t, d);
    ${out}[${at}] = ${x}[${layout}(b, h, t, d, ${nh})] * cos[ti] + select(xp, -xp, lo) * sin[ti];`
    }`;

/**
 * A thread per output element. Forward: y (bhtd) from x (in `layout`); backward: dx (in `layout`) from
 * dy (bhtd). `p` is d's partner in the other half; `lo` says d is in the first half.
 */
class RopeProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  uniforms = 'heads : i32, seq : i32, dim : i32,';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  size = true;
  private readonly source: string;

  constructor(outputShape: number[], layout: Layout, backward: boolean) {
    this.outputShape = outputShape;
    this.shaderKey = `rubricRope_${layout}_${backward ? 'grad' : 'fwd'}`;
    this.variableNames = [backward ? 'dy' : 'x', 'cos', 'sin'];
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    // tfjs folds more than 65535 workgroups into 2-D; getGlobalIndex() then counts across both axes
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / ROW_THREADS), 1, 1];
    this.source = `
      ${INDEX}
      fn main(i : i32) {
        if (i < uniforms.size) {
          ${decode(backward ? layout : 'bhtd')}
          ${rotate(backward, layout, backward ? 'dy' : 'x', 'result', 'i', 'uniforms.heads')}
        }
      }`;
  }

  getUserCode(): string {
    return this.source;
  }
}

/**
 * q and k in one program: a thread per element of q, then of k. Forward: heads [B, H, T, D] (result) and
 * [B, Hkv, T, D] (kOut) from projections [B, T, H·D], [B, T, Hkv·D]; backward: the projections' gradients
 * (result, kOut) from the heads' gradients.
 */
class QkRopeProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  uniforms = 'heads : i32, kvHeads : i32, seq : i32, dim : i32, nq : i32,';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  size = true;
  private readonly source: string;

  constructor(nq: number, nk: number, backward: boolean) {
    this.outputShape = [nq + nk]; // the threads; the output buffer is q's side
    this.shaderKey = `rubricRopeQk_${backward ? 'grad' : 'fwd'}`;
    const [q, k] = backward ? ['dq', 'dk'] : ['q', 'k'];
    this.variableNames = [q, k, 'cos', 'sin', 'kOut'];
    this.dispatch = [Math.ceil((nq + nk) / ROW_THREADS), 1, 1];
    const [inside, outside]: Layout[] = backward ? ['bhtd', 'bthd'] : ['bthd', 'bhtd']; // input, output layouts
    this.source = `
      @group(0) @binding(5) var<storage, read_write> kOutW : array<f32>;
      ${INDEX}
      fn rotateQ(i : i32) {${decode(outside, 'i', 'uniforms.heads')}
        ${rotate(backward, inside, q, 'result', 'i', 'uniforms.heads')}
      }
      fn rotateK(j : i32) {${decode(outside, 'j', 'uniforms.kvHeads')}
        ${rotate(backward, inside, k, 'kOutW', 'j', 'uniforms.kvHeads')}
      }
      fn main(i : i32) {
        if (i < uniforms.nq) { rotateQ(i); } else if (i < uniforms.size) { rotateK(i - uniforms.nq); }
      }`;
  }

  getUserCode(): string {
    return this.source;
  }
}

const FORWARD = 'RubricRope',
  BACKWARD = 'RubricRopeGrad';

/** The uniforms of both directions: heads, time, head dim. */
const dims = (a: tf.NamedAttrMap) => [a.heads, a.seq, a.dim].map((n) => ({ type: 'int32', data: [n as number] }));

/** y [B, H, T, D] from x (in attrs.layout), cos, sin [4-D, broadcastable]. */
registerWebGPUKernel(FORWARD, (backend, { x, cos, sin }, a) =>
  backend.runWebGPUProgram(
    new RopeProgram([a.batch, a.heads, a.seq, a.dim] as number[], a.layout as Layout, false),
    [x, cos, sin],
    'float32',
    dims(a),
  ),
);

/** dx (shaped and ordered like x, attrs.xShape) from dy [B, H, T, D], cos, sin. */
registerWebGPUKernel(BACKWARD, (backend, { dy, cos, sin }, a) =>
  backend.runWebGPUProgram(
    new RopeProgram(a.xShape as number[], a.layout as Layout, true),
    [dy, cos, sin],
    'float32',
    dims(a),
  ),
);

const QK = 'RubricRopeQk',
  QK_GRAD = 'RubricRopeQkGrad';

/**
 * Both sides of one q|k program: q's output (the program's result) and k's (a fresh tensor written through binding 5).
 */
function runQk(
  backend: WebGPUBackend,
  q: tf.TensorInfo,
  k: tf.TensorInfo,
  cos: tf.TensorInfo,
  sin: tf.TensorInfo,
  a: tf.NamedAttrMap,
  backward: boolean,
): tf.TensorInfo[] {
  const [qShape, kShape] = (backward ? [a.qShape, a.kShape] : [a.qHeads, a.kHeads]) as number[][];
  const out = backend.makeTensorInfo(qShape, 'float32'),
    kOut = backend.makeTensorInfo(kShape, 'float32'); // every element is written
  const nq = tf.util.sizeFromShape(qShape),
    nk = tf.util.sizeFromShape(kShape);
  const uniforms = [a.heads, a.kvHeads, a.seq, a.dim, nq].map((n) => ({ type: 'int32', data: [n as number] }));
  const flat = (x: tf.TensorInfo): tf.TensorInfo => ({
    dataId: x.dataId,
    shape: [tf.util.sizeFromShape(x.shape)],
    dtype: x.dtype,
  });
  backend.runWebGPUProgram(
    new QkRopeProgram(nq, nk, backward),
    [flat(q), flat(k), cos, sin, flat(kOut)],
    'float32',
    uniforms,
    flat(out),
  ); // the tables keep their 4-D shapes: tableAt reads them
  return [out, kOut]; // a two-output kernel, as TopK is
}

/** [q heads, k heads] from q [B, T, H·D], k [B, T, Hkv·D], cos, sin [B|1, 1, T, D]. */
registerWebGPUKernel(QK, (backend, { q, k, cos, sin }, a) => runQk(backend, q, k, cos, sin, a, false), {
  inputsToSave: ['cos', 'sin'],
  gradFunc: (dys, [cos, sin], attrs) => {
    const [dq, dk] = dys as tf.Tensor[];
    // both at once, out here: each closure runs in its own tidy, which would free the other's half
    const [gq, gk] = tf.engine().runKernel(QK_GRAD, { dq, dk, cos, sin }, attrs) as tf.Tensor[];
    return {
      q: () => gq,
      k: () => gk,
      // the tables come from positions, never from parameters; zeros if a caller asks anyway
      cos: () => tf.zerosLike(cos),
      sin: () => tf.zerosLike(sin),
    };
  },
});

/** [dq, dk] (the projections' layouts) from the heads' gradients. */
registerWebGPUKernel(QK_GRAD, (backend, { dq, dk, cos, sin }, a) => runQk(backend, dq, dk, cos, sin, a, true));

/** A table as rank 4, checked to broadcast to [B, H, T, D]. */
function table4d(t: tf.Tensor, full: number[]): tf.Tensor {
  tf.util.assert(
    t.dtype === 'float32' && t.rank <= 4,
    () => `rope table must be float32 of rank ≤ 4, got ${t.dtype} [${t.shape}]`,
  );
  const shape = [...new Array(4 - t.rank).fill(1), ...t.shape];
  tf.util.assert(
    shape[3] === full[3] && shape.every((n, a) => n === 1 || n === full[a]),
    () => `rope table [${t.shape}] does not broadcast to [${full}]`,
  );
  return tf.reshape(t, shape);
}

/** One program each way; x is [B, H, T, D] (bhtd) or [B, T, H·D] (bthd). */
function ropeFused(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor, layout: Layout, H: number): tf.Tensor {
  tf.util.assert(
    x.dtype === 'float32' && x.rank === (layout === 'bhtd' ? 4 : 3),
    () => `rope: x must be float32 [${layout === 'bhtd' ? 'B, H, T, D' : 'B, T, H·D'}], got ${x.dtype} [${x.shape}]`,
  );
  const [B, T] = layout === 'bhtd' ? [x.shape[0], x.shape[2]!] : [x.shape[0], x.shape[1]!];
  const D = layout === 'bhtd' ? x.shape[3]! : x.shape[2]! / H;
  tf.util.assert(D % 2 === 0 && Number.isInteger(D), () => `rope: head dim ${D} must be an even integer`);
  const full = [B, H, T, D];
  tf.util.assertShapesMatch(cos.shape, sin.shape, 'rope: cos and sin');
  const c4 = table4d(cos, full),
    s4 = table4d(sin, full);
  const attrs = { batch: B, heads: H, seq: T, dim: D, layout, xShape: x.shape };
  const f = customGrad((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([c4, s4]); // reshapes made in the forward pass: only saved tensors outlive it
    return {
      value: runKernel(FORWARD, { x: xi, cos: c4, sin: s4 }, attrs),
      gradFunc: (dy: tf.Tensor, [cs, ss]: tf.Tensor[]) => runKernel(BACKWARD, { dy, cos: cs, sin: ss }, attrs),
    };
  });
  return f(x);
}

/**
 * x·cos + rotate_half(x)·sin for x [B, H, T, D]: one WebGPU program forward, one backward; applyRopeStock elsewhere.
 */
export function applyRopeFused(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  if (!onWebGPU()) return applyRopeStock(x, cos, sin);
  return ropeFused(x, cos, sin, 'bhtd', x.shape[1]!);
}

/**
 * Rotated heads [B, H, T, D] from a projection output x [B, T, H·D]: one program each way; ropeHeadsStock elsewhere.
 */
export function ropeHeadsFused(x: tf.Tensor, H: number, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  if (!onWebGPU()) return ropeHeadsStock(x, H, cos, sin);
  return ropeFused(x, cos, sin, 'bthd', H);
}

/**
 * ropeHeads of q [B, T, H·D] and k [B, T, Hkv·D] with shared tables [B|1, 1, T, D] → [q heads, k heads]:
 * one WebGPU program each way on the webgpu backend; ropeHeadsStock of each elsewhere.
 */
export function ropeQkFused(
  q: tf.Tensor,
  k: tf.Tensor,
  H: number,
  Hkv: number,
  cos: tf.Tensor,
  sin: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  if (!onWebGPU()) return [ropeHeadsStock(q, H, cos, sin), ropeHeadsStock(k, Hkv, cos, sin)];
  tf.util.assert(
    [q, k].every((x) => x.dtype === 'float32' && x.rank === 3),
    () => `rope: q, k must be float32 [B, T, H·D], got [${q.shape}], [${k.shape}]`,
  );
  const [B, T] = q.shape,
    D = q.shape[2]! / H;
  tf.util.assert(
    D % 2 === 0 && Number.isInteger(D) && k.shape[2] === Hkv * D && k.shape[0] === B && k.shape[1] === T,
    () => `rope: q [${q.shape}] with ${H} heads and k [${k.shape}] with ${Hkv} heads do not share an even head dim`,
  );
  tf.util.assertShapesMatch(cos.shape, sin.shape, 'rope: cos and sin');
  const c4 = table4d(cos, [B, 1, T, D]),
    s4 = table4d(sin, [B, 1, T, D]); // shared by both head counts: no head axis
  const attrs = {
    heads: H,
    kvHeads: Hkv,
    seq: T,
    dim: D,
    qShape: q.shape,
    kShape: k.shape,
    qHeads: [B, H, T, D],
    kHeads: [B, Hkv, T, D],
  };
  return tf.engine().runKernel(QK, { q, k, cos: c4, sin: s4 }, attrs) as [tf.Tensor, tf.Tensor];
}
