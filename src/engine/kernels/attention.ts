// Causal/padded attention: y = softmax(q·kᵀ/√D + bias)·v, one output row per query.
// Dimension letters: B batch, H heads, Tq queries, Tk keys (Tq < Tk at decode time, over a cache),
// D head dim (any value, not only powers of two); N = B·H·Tq query rows, K = B·Hkv·Tk key rows.
// Grouped-query heads: k and v may have Hkv = H / groups heads; query head h reads kv head h / groups
// (HF's repeat_kv), inside the programs, so no repeated copy of k and v is made or differentiated.
// Layouts: each of q, k, v is either heads-first [B, H, T, D] or as its projection wrote it [B, T, H·D];
// the programs address rows through per-tensor strides (uniforms), so the head split of v and the head
// merge of y are no transposes: attendFused keeps [B, H, Tq, D] out (the decode step's cache layout),
// attendMergedFused writes y as [B, Tq, H·D], ready for o_proj. Gradients come back in their input's layout.
// bias is additive and broadcastable to [B, H, Tq, Tk] (maskTensors gives [1|B, 1, T, T], the decode step
// [B, 1, 1, Tk]); the programs index it with its own strides, so no [B, H, Tq, Tk] tensor is ever made.
// attendStock is the reference: plain tfjs ops (two matmuls and a softmax), what every backend runs by
// default. attendFused is the same math as WebGPU programs, elsewhere it is attendStock. With s the
// scores, P = softmax(s), m and l the row max and Σ exp(s − m):
//   forward   y [N, D]:     one program, one workgroup per query row: m and l in one pass over the keys
//                           (online, per thread), then P tile by tile into shared memory and P·v.
//   backward  dq [N, D]:    one program per query row: first its row's (m, l, δ = Σ_d dy·y), then
//                           dq_i = Σ_j P_ij (dy_i·v_j − δ_i) k_j / √D. It also writes (m, l, δ) [N, 3] for
//                           the next program (a second output, re-declared read_write as swiglu.ts does).
//                           The forward does not write them: every forward-only call (generation, GRPO's
//                           old/ref scoring) would pay for a tensor only training reads.
//                           m and l stay apart rather than logsumexp: on a fully masked (padding) row
//                           s ≈ −1e9, where m + log l rounds back to m and exp(s − lse) would give 1, not 1/Tk.
//             dk, dv [K, D]: one program per key row, P_ij computed once for both:
//                           dk_j = Σ_i P_ij (dy_i·v_j − δ_i) q_i / √D,  dv_j = Σ_i P_ij dy_i
//                           (dv the second output). Its 7 inputs and output fill WebGPU's default 8
//                           storage buffers per stage.
//           (the sums over i run over the queries of every query head that shares kv head j's head)
//           P is recomputed from q, k, bias and (m, l) inside each program. Two dispatches.
// bias gets no gradient: it is the mask, a constant, so it is captured rather than differentiated.
// Leaves out: vec4 loads, skipping fully masked key tiles, RoPE (rope.ts: the KV cache stores rotated keys).
// Run the tests: npx vitest run src/engine/kernels/attention.test.ts
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../custom_grad';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';
import { useSubgroups } from './subgroups';

/** The stock composition: softmax(q·kᵀ/√D + bias)·v for q [B,H,Tq,D], k,v [B,H,Tk,D] (kv heads already repeated). */
export function attendStock(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const D = q.shape[3]!;
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), bias);
  return tf.matMul(tf.softmax(scores), v);
}

/**
 * Our uniforms: query heads, query heads per kv head, queries and keys per head, 1/√D, and the (b, h, t) strides of q,
 * k, v and y (dy).
 */
const DIMS =
  'heads : i32, groups : i32, tq : i32, tk : i32, scale : f32,' +
  ['q', 'k', 'v', 'y'].map((t) => ` ${t}sB : i32, ${t}sH : i32, ${t}sT : i32,`).join('');

/** WGSL: row offsets in each tensor's layout, the GQA head maps, and s_ij = q_i·k_j/√D + bias. */
const SCORE = `
  // the kv head (b·Hkv + h/groups) that query head bh (= b·H + h) reads
  fn kvHead(bh : i32) -> i32 {
    return (bh / uniforms.heads) * (uniforms.heads / uniforms.groups) + (bh % uniforms.heads) / uniforms.groups;
  }

  // query head g (0 … groups−1) of kv head bk (= b·Hkv + hk)
  fn queryHead(bk : i32, g : i32) -> i32 {
    let hkv = uniforms.heads / uniforms.groups;
    return (bk / hkv) * uniforms.heads + (bk % hkv) * uniforms.groups + g;
  }

  // where row (head, t) of q, y, k, v starts: query heads bh, kv heads bk
  fn qAt(bh : i32, i : i32) -> i32 {
    return (bh / uniforms.heads) * uniforms.qsB + (bh % uniforms.heads) * uniforms.qsH + i * uniforms.qsT;
  }
  fn yAt(bh : i32, i : i32) -> i32 {
    return (bh / uniforms.heads) * uniforms.ysB + (bh % uniforms.heads) * uniforms.ysH + i * uniforms.ysT;
  }
  fn kAt(bk : i32, j : i32) -> i32 {
    let hkv = uniforms.heads / uniforms.groups;
    return (bk / hkv) * uniforms.ksB + (bk % hkv) * uniforms.ksH + j * uniforms.ksT;
  }
  fn vAt(bk : i32, j : i32) -> i32 {
    let hkv = uniforms.heads / uniforms.groups;
    return (bk / hkv) * uniforms.vsB + (bk % hkv) * uniforms.vsH + j * uniforms.vsT;
  }

  fn biasAt(bh : i32, i : i32, j : i32) -> f32 {
    let b = bh / uniforms.heads;
    let h = bh % uniforms.heads;
    let s = uniforms.biasShape; // a broadcast axis (size 1) is read at 0
    return bias[((select(b, 0, s[0] == 1) * s[1] + select(h, 0, s[1] == 1)) * s[2] + select(i, 0, s[2] == 1)) * s[3]
      + select(j, 0, s[3] == 1)];
  }

  fn score(bh : i32, i : i32, j : i32, cols : i32) -> f32 {
    let qb = qAt(bh, i);
    let kb = kAt(kvHead(bh), j);
    var dot = 0.0;
    for (var d = 0; d < cols; d = d + 1) { dot = dot + q[qb + d] * k[kb + d]; }
    return dot * uniforms.scale + biasAt(bh, i, j);
  }
`;

/** WGSL: (m, l) of query row i: each thread keeps an online max and sum over its keys, then they merge. */
const ROW_MAX_SUM = `
  fn rowMaxSum(bh : i32, i : i32, cols : i32, tid : i32) -> vec2<f32> {
    var m = -3.402823e+38;
    var l = 0.0;
    for (var j = tid; j < uniforms.tk; j = j + ${ROW_THREADS}) {
      let s = score(bh, i, j, cols);
      let mj = max(m, s);
      l = l * exp(m - mj) + exp(s - mj);
      m = mj;
    }
    let rowMax = workgroupMax(m, tid);
    return vec2<f32>(rowMax, workgroupSum(l * exp(m - rowMax), tid));
  }
`;

/** WGSL: dS_ij = P_ij (dy_i·v_j − δ_i), the gradient of the score, for P_ij = p. */
const DSCORE = `
  fn dScore(bh : i32, i : i32, j : i32, cols : i32, p : f32, delta : f32) -> f32 {
    let yb = yAt(bh, i);
    let vb = vAt(kvHead(bh), j);
    var dp = 0.0;
    for (var d = 0; d < cols; d = d + 1) { dp = dp + dy[yb + d] * v[vb + d]; }
    return p * (dp - delta);
  }
`;

/** Output columns each thread owns (column d = tid + a·ROW_THREADS): 1 up to D = 64. */
const colsPerThread = (D: number) => Math.max(1, Math.ceil(D / ROW_THREADS));

/** One weighted sum of rows: acc{k}[a] = Σ_n weight(n) · mat[base(n) + d]. */
interface RowSum {
  weight: string;
  mat: string;
  base: string;
}

/** WGSL: the shared-memory tiles of `count` row sums (a weight and a row offset per item). */
const tiles = (count: number) =>
  Array.from(
    { length: count },
    (_, k) => `
  var<workgroup> tileW${k} : array<f32, ${ROW_THREADS}>;
  var<workgroup> tileB${k} : array<i32, ${ROW_THREADS}>;`,
  ).join('');

/**
 * WGSL: the row sums over n < count, for this thread's columns d. Each thread takes one item n of a
 * tile of ROW_THREADS: runs `setup` (WGSL that sees n), then writes each sum's weight and row offset to
 * shared memory; then each column thread sums its columns down the tile.
 */
function tiledSums(count: string, setup: string, sums: RowSum[], perThread: number): string {
  const zero = sums.map((_, k) => `tileW${k}[tid] = 0.0; tileB${k}[tid] = 0;`).join(' ');
  const fill = sums.map((r, k) => `tileW${k}[tid] = ${r.weight}; tileB${k}[tid] = ${r.base};`).join('\n        ');
  const add = sums
    .map((r, k) => `acc${k}[a] = acc${k}[a] + tileW${k}[t] * ${r.mat}[tileB${k}[t] + d];`)
    .join('\n              ');
  return `
    ${sums.map((_, k) => `var acc${k} : array<f32, ${perThread}>;`).join('\n    ')}
    for (var t0 = 0; t0 < ${count}; t0 = t0 + ${ROW_THREADS}) {
      let n = t0 + tid;
      ${zero}
      if (n < ${count}) {
        ${setup}
        ${fill}
      }
      workgroupBarrier();
      let tileLen = min(${ROW_THREADS}, ${count} - t0);
      for (var a = 0; a < ${perThread}; a = a + 1) {
        let d = tid + a * ${ROW_THREADS};
        if (d < cols) {
          for (var t = 0; t < tileLen; t = t + 1) {
              ${add}
          }
        }
      }
      workgroupBarrier(); // the tile is read before the next one overwrites it
    }`;
}

/** WGSL: writes acc{k} · factor into the row of `out` starting at `at`. */
const writeRow = (out: string, at: string, k: number, factor: string, perThread: number) => `
    if (live) {
      let at${k} = ${at};
      for (var a = 0; a < ${perThread}; a = a + 1) {
        let d = tid + a * ${ROW_THREADS};
        if (d < cols) { ${out}[at${k} + d] = acc${k}[a] * ${factor}; }
      }
    }`;

const FORWARD = 'RubricAttention',
  DQ = 'RubricAttentionDq',
  DKV = 'RubricAttentionDkv';

type Info = tf.TensorInfo;

/** Where each tensor's rows sit: (b, h, t) strides of a [B, Hx, T, D] or [B, T, Hx·D] tensor. */
function strides(t: Info, D: number): number[] {
  if (t.shape.length === 4) {
    const [, Hx, T] = t.shape;
    return [Hx * T * D, T * D, D];
  }
  const [, T, HD] = t.shape;
  return [T * HD, D, HD];
}

/**
 * One program over query rows (q first) or key rows (k first), q, k, v, y, dy and the outputs read as
 * 2-D [rows, D] views, one workgroup per row of the first; the output is shaped like the first. Dims from attrs;
 * `subgroups`: the row reductions' path (subgroups.ts).
 */
function attentionProgram(
  subgroups: boolean,
  name: string,
  inputs: Record<string, Info>,
  attrs: tf.NamedAttrMap,
  helpers: string,
  body: (perThread: number) => string,
) {
  const {
    heads,
    groups,
    tq,
    tk,
    dim: D,
  } = attrs as { heads: number; groups: number; tq: number; tk: number; dim: number };
  const perThread = colsPerThread(D);
  const order = Object.keys(inputs);
  const rowView = (x: Info): Info => ({
    dataId: x.dataId,
    shape: [tf.util.sizeFromShape(x.shape) / D, D],
    dtype: x.dtype,
  });
  const outputShape = rowView(inputs[order[0]]).shape;
  const program = new RowProgram({
    name: `${name}_${perThread}`,
    subgroups,
    inputs: order,
    outputShape,
    uniforms: DIMS,
    helpers,
    body: body(perThread),
  });
  const layouts = attrs as { qShape: number[]; kShape: number[]; vShape: number[]; yShape: number[] };
  const i32 = (x: number) => ({ type: 'int32', data: [x] });
  const uniforms = [
    i32(heads),
    i32(groups),
    i32(tq),
    i32(tk),
    { type: 'float32', data: [1 / Math.sqrt(D)] },
    ...[layouts.qShape, layouts.kShape, layouts.vShape, layouts.yShape].flatMap((shape) =>
      strides({ shape } as Info, D).map(i32),
    ),
  ];
  // q, k, v, y, dy and the outputs are [rows, D] to the program; bias and stats keep their shapes
  const ordered = order.map((n) => (n === 'bias' || n === 'stats' ? inputs[n] : rowView(inputs[n])));
  return { program, inputs: ordered, uniforms };
}

/** Query-row programs see bh and i; key-row programs see the kv head bk, j, and the query count of its group. */
const QUERY_ROW = 'let bh = row / uniforms.tq; let i = row % uniforms.tq;';
const KEY_ROW = 'let bk = row / uniforms.tk; let j = row % uniforms.tk; let nq = uniforms.groups * uniforms.tq;';

/** y (in attrs.yShape's layout) from q, k, v (their layouts), bias [4-D, broadcastable]. */
registerWebGPUKernel(FORWARD, (backend, { q, k, v, bias }, attrs) => {
  const { program, inputs, uniforms } = attentionProgram(
    useSubgroups(backend),
    'rubricAttention',
    { q, k, v, bias },
    attrs,
    SCORE + ROW_MAX_SUM + tiles(1),
    (pt) => `
    ${QUERY_ROW}
    let ms = rowMaxSum(bh, i, cols, tid);
    ${tiledSums(
      'uniforms.tk',
      '',
      [{ weight: 'exp(score(bh, i, n, cols) - ms.x) / ms.y', mat: 'v', base: 'vAt(kvHead(bh), n)' }],
      pt,
    )}
    ${writeRow('result', 'yAt(bh, i)', 0, '1.0', pt)}`,
  );
  const out = backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
  return { ...out, shape: attrs.yShape as number[] };
});

/** [dq, stats [N, 3] = (m, l, δ)] from q, k, v, bias, y, dy; dq in q's layout. */
registerWebGPUKernel(DQ, (backend, { q, k, v, bias, y, dy }, attrs) => {
  // every row is written
  const stats = backend.makeTensorInfo([tf.util.sizeFromShape(q.shape) / (attrs.dim as number), 3], 'float32');
  const { program, inputs, uniforms } = attentionProgram(
    useSubgroups(backend),
    'rubricAttentionDq',
    { q, k, v, bias, y, dy, stats },
    attrs,
    SCORE +
      ROW_MAX_SUM +
      DSCORE +
      tiles(1) +
      `
    @group(0) @binding(7) var<storage, read_write> statsOut : array<f32>;`,
    (pt) => `
    ${QUERY_ROW}
    let ms = rowMaxSum(bh, i, cols, tid);
    let yb = yAt(bh, i);
    var dot = 0.0;
    for (var d = tid; d < cols; d = d + ${ROW_THREADS}) { dot = dot + dy[yb + d] * y[yb + d]; }
    let delta = workgroupSum(dot, tid);
    if (live && tid == 0) { statsOut[row * 3] = ms.x; statsOut[row * 3 + 1] = ms.y; statsOut[row * 3 + 2] = delta; }
    ${tiledSums(
      'uniforms.tk',
      '',
      [
        {
          weight: 'dScore(bh, i, n, cols, exp(score(bh, i, n, cols) - ms.x) / ms.y, delta)',
          mat: 'k',
          base: 'kAt(kvHead(bh), n)',
        },
      ],
      pt,
    )}
    ${writeRow('result', 'qAt(bh, i)', 0, 'uniforms.scale', pt)}`,
  );
  const dq = backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
  return [{ ...dq, shape: q.shape }, stats]; // a two-output kernel, as TopK is
});

/** [dk, dv] from k, q, v, bias, dy, stats [N, 3]; dk in k's layout, dv in v's. */
registerWebGPUKernel(DKV, (backend, { k, q, v, bias, dy, stats }, attrs) => {
  const dv = backend.makeTensorInfo(v.shape, 'float32'); // every row is written
  const { program, inputs, uniforms } = attentionProgram(
    false, // no row reduction: sums down tiles only
    'rubricAttentionDkv',
    { k, q, v, bias, dy, stats, dv },
    attrs,
    SCORE +
      DSCORE +
      tiles(2) +
      `
    @group(0) @binding(7) var<storage, read_write> dvOut : array<f32>;`,
    (pt) => `
    ${KEY_ROW}
    ${tiledSums(
      'nq',
      `
        let qh = queryHead(bk, n / uniforms.tq);
        let qi = n % uniforms.tq;
        let st = (qh * uniforms.tq + qi) * 3;
        let p = exp(score(qh, qi, j, cols) - stats[st]) / stats[st + 1];`,
      [
        { weight: 'dScore(qh, qi, j, cols, p, stats[st + 2])', mat: 'q', base: 'qAt(qh, qi)' },
        { weight: 'p', mat: 'dy', base: 'yAt(qh, qi)' },
      ],
      pt,
    )}
    ${writeRow('result', 'kAt(bk, j)', 0, 'uniforms.scale', pt)}
    ${writeRow('dvOut', 'vAt(bk, j)', 1, '1.0', pt)}`,
  );
  const dk = backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
  return [{ ...dk, shape: k.shape }, dv];
});

/** bias as rank 4, checked to broadcast to [B, H, Tq, Tk]. */
function bias4d(bias: tf.Tensor, full: number[]): tf.Tensor {
  tf.util.assert(
    bias.dtype === 'float32' && bias.rank <= 4,
    () => `bias must be float32 of rank ≤ 4, got ${bias.dtype} [${bias.shape}]`,
  );
  const shape = [...new Array(4 - bias.rank).fill(1), ...bias.shape];
  tf.util.assert(
    shape.every((n, a) => n === 1 || n === full[a]),
    () => `bias [${bias.shape}] does not broadcast to [${full}]`,
  );
  return tf.reshape(bias, shape);
}

/** Repeats each KV head H/Hkv times: [B, Hkv, T, D] → [B, H, T, D] (HF's repeat_kv), for the stock path. */
export function repeatKv(x: tf.Tensor, groups: number): tf.Tensor {
  if (groups === 1) return x;
  const [B, Hkv, T, D] = x.shape;
  // rank 4, not 5: tfjs has no rank-5 tile gradient
  return tf.reshape(tf.tile(tf.reshape(x, [B, Hkv, 1, T * D]), [1, 1, groups, 1]), [B, Hkv * groups, T, D]);
}

/** Heads first: [B, T, Hx·D] → [B, Hx, T, D] (a reshape and a transpose); a 4-D tensor already is. */
function headsFirst(x: tf.Tensor, Hx: number): tf.Tensor {
  if (x.rank === 4) return x;
  const [B, T, HD] = x.shape;
  return tf.transpose(tf.reshape(x, [B, T, Hx, HD / Hx]), [0, 2, 1, 3]);
}

/**
 * The stock composition for any layouts: q [B, H, Tq, D] or [B, Tq, H·D], k, v [B, Hkv, Tk, D] or
 * [B, Tk, Hkv·D]; y [B, Tq, H·D] (heads merged, o_proj's input).
 */
export function attendMergedStock(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor,
  H: number,
  Hkv: number,
): tf.Tensor {
  const y = attendStock(
    headsFirst(q, H),
    repeatKv(headsFirst(k, Hkv), H / Hkv),
    repeatKv(headsFirst(v, Hkv), H / Hkv),
    bias,
  ); // [B, H, Tq, D]
  const [B, , Tq, D] = y.shape;
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, Tq, H * D]);
}

/** The fused programs for q, k, v in either layout, y in `yShape`'s (see the file header). */
function attendLaidOut(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor,
  H: number,
  Hkv: number,
  yShape: number[],
): tf.Tensor {
  const B = q.shape[0],
    Tq = q.shape[q.rank === 4 ? 2 : 1]!,
    Tk = k.shape[k.rank === 4 ? 2 : 1]!;
  const D = q.rank === 4 ? q.shape[3]! : q.shape[2]! / H;
  tf.util.assert(H % Hkv === 0, () => `${H} query heads do not share ${Hkv} kv heads evenly`);
  tf.util.assert(
    [q, k, v].every((t) => t.dtype === 'float32' && (t.rank === 3 || t.rank === 4)),
    () => 'attention: q, k, v must be float32 of rank 3 or 4',
  );
  tf.util.assert(
    tf.util.arraysEqual(headShape(k, Hkv), [B, Hkv, Tk, D]) && tf.util.arraysEqual(headShape(v, Hkv), [B, Hkv, Tk, D]),
    () => `attention: k [${k.shape}] and v [${v.shape}] do not match q [${q.shape}] with ${Hkv} kv heads`,
  );
  const b4 = bias4d(bias, [B, H, Tq, Tk]);
  const attrs = {
    heads: H,
    groups: H / Hkv,
    tq: Tq,
    tk: Tk,
    dim: D,
    qShape: q.shape,
    kShape: k.shape,
    vShape: v.shape,
    yShape,
  };
  const attend3 = customGrad((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = runKernel(FORWARD, { q: qi, k: ki, v: vi, bias: b4 }, attrs);
    save([qi, ki, vi, b4, y]); // b4 is a reshape made in the forward pass: only saved tensors outlive it
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [qs, ks, vs, bs, ys]: tf.Tensor[]) => {
        const [dq, stats] = tf
          .engine()
          .runKernel(DQ, { q: qs, k: ks, v: vs, bias: bs, y: ys, dy }, attrs) as tf.Tensor[];
        const [dk, dv] = tf.engine().runKernel(DKV, { k: ks, q: qs, v: vs, bias: bs, dy, stats }, attrs) as tf.Tensor[];
        stats.dispose();
        return [dq, dk, dv];
      },
    };
  });
  return attend3(q, k, v);
}

/** [B, Hx, T, D] of a tensor in either layout. */
function headShape(t: tf.Tensor, Hx: number): number[] {
  return t.rank === 4 ? t.shape : [t.shape[0], Hx, t.shape[1]!, t.shape[2]! / Hx];
}

/**
 * softmax(q·kᵀ/√D + bias)·v for q [B,H,Tq,D], k,v [B,Hkv,Tk,D] with H a multiple of Hkv, y [B,H,Tq,D]:
 * one WebGPU program forward and two backward on the webgpu backend (no gradient for bias); elsewhere
 * attendStock on repeated kv heads.
 */
export function attendFused(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const H = q.shape[1]!,
    Hkv = k.shape[1]!;
  if (!onWebGPU()) return attendStock(q, repeatKv(k, H / Hkv), repeatKv(v, H / Hkv), bias);
  return attendLaidOut(q, k, v, bias, H, Hkv, q.shape);
}

/**
 * Attention with the head split and merge inside: q [B, H, Tq, D] or [B, Tq, H·D], k, v [B, Hkv, Tk, D]
 * or [B, Tk, Hkv·D] (either, each), y [B, Tq, H·D]. One WebGPU program forward, two backward, no
 * transpose, on the webgpu backend; attendMergedStock elsewhere.
 */
export function attendMergedFused(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias: tf.Tensor,
  H: number,
  Hkv: number,
): tf.Tensor {
  if (!onWebGPU()) return attendMergedStock(q, k, v, bias, H, Hkv);
  const [B, , Tq, D] = headShape(q, H);
  return attendLaidOut(q, k, v, bias, H, Hkv, [B, Tq, H * D]);
}
