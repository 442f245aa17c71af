// Causal/padded attention: y = softmax(q·kᵀ/√D + bias)·v, one output row per query.
// Dimension letters: B batch, H heads, Tq queries, Tk keys (Tq < Tk at decode time, over a cache),
// D head dim (any value, not only powers of two); N = B·H·Tq query rows, K = B·Hkv·Tk key rows.
// Grouped-query heads: k and v may have Hkv = H / groups heads; query head h reads kv head h / groups
// (HF's repeat_kv), inside the programs, so no repeated copy of k and v is made or differentiated.
// bias is additive and broadcastable to [B, H, Tq, Tk] (maskTensors gives [1|B, 1, T, T], the decode step
// [B, 1, 1, Tk]); the programs index it with its own strides, so no [B, H, Tq, Tk] tensor is ever made.
// attendStock is the reference: plain tfjs ops (two matmuls and a softmax), what every backend runs by
// default. attendFused is the same math as WebGPU programs, elsewhere it is attendStock. With s the
// scores, P = softmax(s), m and l the row max and Σ exp(s − m):
//   forward   y [N, D]:     one program, one workgroup per query row: m and l in one pass over the keys
//                           (online, per thread), then P tile by tile into shared memory and P·v.
//   backward  stats [N, 3]: one program per query row: (m, l, δ = Σ_d dy·y). The forward does not
//                           write them (a program has one output): a second forward program would cost
//                           every forward-only call (generation, GRPO's old/ref scoring) a dispatch for a
//                           tensor only training reads, and the training total is the same either way.
//                           m and l stay apart rather than logsumexp: on a fully masked (padding) row
//                           s ≈ −1e9, where m + log l rounds back to m and exp(s − lse) would give 1, not 1/Tk.
//             dq [N, D]:   one program per query row, dq_i = Σ_j P_ij (dy_i·v_j − δ_i) k_j / √D.
//             dk [K, D]:   one program per key row,   dk_j = Σ_i P_ij (dy_i·v_j − δ_i) q_i / √D.
//             dv [K, D]:   one program per key row,   dv_j = Σ_i P_ij dy_i.
//           (the sums over i run over the queries of every query head that shares kv head j's head)
//           P is recomputed from q, k, bias and stats inside each program. Four dispatches: dk and dv as
//           one [2, K, D] program would need two slices to split, five in all.
// bias gets no gradient: it is the mask, a constant, so it is captured rather than differentiated.
// Leaves out: vec4 loads, skipping fully masked key tiles.
// Run the tests: npx vitest run src/engine/kernels/attention.test.ts
import * as tf from '@tensorflow/tfjs';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';

/** The stock composition: softmax(q·kᵀ/√D + bias)·v for q [B,H,Tq,D], k,v [B,H,Tk,D] (kv heads already repeated). */
export function attendStock(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const D = q.shape[3]!;
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), bias);
  return tf.matMul(tf.softmax(scores), v);
}

/** Our uniforms: query heads, query heads per kv head, queries and keys per head, and 1/√D. */
const DIMS = 'heads : i32, groups : i32, tq : i32, tk : i32, scale : f32,';

/** WGSL: s_ij = q_i·k_j/√D + bias for head bh (= b·H + h), query i, key j; q, k flat [rows, D]. */
const SCORE = `
  var<workgroup> tile : array<f32, ${ROW_THREADS}>;

  // the kv head (b·Hkv + h/groups) that query head bh (= b·H + h) reads
  fn kvHead(bh : i32) -> i32 {
    return (bh / uniforms.heads) * (uniforms.heads / uniforms.groups) + (bh % uniforms.heads) / uniforms.groups;
  }

  // query head g (0 … groups−1) of kv head bk (= b·Hkv + hk)
  fn queryHead(bk : i32, g : i32) -> i32 {
    let hkv = uniforms.heads / uniforms.groups;
    return (bk / hkv) * uniforms.heads + (bk % hkv) * uniforms.groups + g;
  }

  fn biasAt(bh : i32, i : i32, j : i32) -> f32 {
    let b = bh / uniforms.heads;
    let h = bh % uniforms.heads;
    let s = uniforms.biasShape; // a broadcast axis (size 1) is read at 0
    return bias[((select(b, 0, s[0] == 1) * s[1] + select(h, 0, s[1] == 1)) * s[2] + select(i, 0, s[2] == 1)) * s[3]
      + select(j, 0, s[3] == 1)];
  }

  fn score(bh : i32, i : i32, j : i32, cols : i32) -> f32 {
    let qb = (bh * uniforms.tq + i) * cols;
    let kb = (kvHead(bh) * uniforms.tk + j) * cols;
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

/** WGSL: P_ij from the saved row stats [N, 3] = (m, l, δ). */
const PROB = `
  fn prob(bh : i32, i : i32, j : i32, cols : i32) -> f32 {
    let qi = (bh * uniforms.tq + i) * 3;
    return exp(score(bh, i, j, cols) - stats[qi]) / stats[qi + 1];
  }
`;

/** WGSL: dS_ij = P_ij (dy_i·v_j − δ_i), the gradient of the score. */
const DSCORE = `
  fn dScore(bh : i32, i : i32, j : i32, cols : i32) -> f32 {
    let qi = bh * uniforms.tq + i;
    let yb = qi * cols;
    let vb = (kvHead(bh) * uniforms.tk + j) * cols;
    var dp = 0.0;
    for (var d = 0; d < cols; d = d + 1) { dp = dp + dy[yb + d] * v[vb + d]; }
    return prob(bh, i, j, cols) * (dp - stats[qi * 3 + 2]);
  }
`;

/** Output columns each thread owns (column d = tid + a·ROW_THREADS): 1 up to D = 64. */
const colsPerThread = (D: number) => Math.max(1, Math.ceil(D / ROW_THREADS));

/**
 * WGSL: acc[a] = Σ_n w(n) · mat[n, d] over n < count, for this thread's columns d. The weights of
 * ROW_THREADS items at a time go to shared memory, one thread each, then each column thread sums its
 * column down the tile. `weight` sees n; `matRow` is the flat row of mat for item n.
 */
function tiledSum(count: string, weight: string, mat: string, matRow: string, perThread: number): string {
  return `
    var acc : array<f32, ${perThread}>;
    for (var t0 = 0; t0 < ${count}; t0 = t0 + ${ROW_THREADS}) {
      let n = t0 + tid;
      var w = 0.0;
      if (n < ${count}) { w = ${weight}; }
      tile[tid] = w;
      workgroupBarrier();
      let tileLen = min(${ROW_THREADS}, ${count} - t0);
      for (var a = 0; a < ${perThread}; a = a + 1) {
        let d = tid + a * ${ROW_THREADS};
        if (d < cols) {
          for (var t = 0; t < tileLen; t = t + 1) {
            let n = t0 + t;
            acc[a] = acc[a] + tile[t] * ${mat}[(${matRow}) * cols + d];
          }
        }
      }
      workgroupBarrier(); // the tile is read before the next one overwrites it
    }`;
}

/** WGSL: writes acc · factor into this row of the output. */
const writeRow = (factor: string, perThread: number) => `
    if (live) {
      for (var a = 0; a < ${perThread}; a = a + 1) {
        let d = tid + a * ${ROW_THREADS};
        if (d < cols) { result[base + d] = acc[a] * ${factor}; }
      }
    }`;

const FORWARD = 'RubricAttention', STATS = 'RubricAttentionStats', DQ = 'RubricAttentionDq', DK = 'RubricAttentionDk', DV = 'RubricAttentionDv';

type Info = tf.TensorInfo;

/** One program over query rows (q first, [N, D]) or key rows (k first, [K, D]); dims from attrs. */
function attentionProgram(name: string, inputs: Record<string, Info>, attrs: tf.NamedAttrMap, outputShape: number[], helpers: string, body: (perThread: number) => string) {
  const D = inputs.q.shape[1], perThread = colsPerThread(D);
  const order = Object.keys(inputs);
  const program = new RowProgram({ name: `${name}_${perThread}`, inputs: order, outputShape, uniforms: DIMS, helpers, body: body(perThread) });
  const { heads, groups, tq, tk } = attrs as { heads: number; groups: number; tq: number; tk: number };
  const uniforms = [
    { type: 'int32', data: [heads] }, { type: 'int32', data: [groups] }, { type: 'int32', data: [tq] }, { type: 'int32', data: [tk] },
    { type: 'float32', data: [1 / Math.sqrt(D)] },
  ];
  return { program, inputs: order.map((n) => inputs[n]), uniforms };
}

/** Runs attentionProgram on the backend: one dispatch. */
function register(kernel: string, build: (inputs: Record<string, Info>, attrs: tf.NamedAttrMap) => ReturnType<typeof attentionProgram>): void {
  registerWebGPUKernel(kernel, (backend, inputs, attrs) => {
    const { program, inputs: ordered, uniforms } = build(inputs, attrs);
    return backend.runWebGPUProgram(program, ordered, 'float32', uniforms);
  });
}

/** Query-row programs see bh and i; key-row programs see the kv head bk, j, and the query count of its group. */
const QUERY_ROW = 'let bh = row / uniforms.tq; let i = row % uniforms.tq;';
const KEY_ROW = 'let bk = row / uniforms.tk; let j = row % uniforms.tk; let nq = uniforms.groups * uniforms.tq;';
/** Query n (0 … groups·Tq − 1) of kv head bk: its query head, and its row. */
const QH = 'queryHead(bk, n / uniforms.tq)';
const QROW = `${QH} * uniforms.tq + n % uniforms.tq`;

/** y [N, D] from q [N, D], k, v [K, D], bias [4-D, broadcastable]. */
register(FORWARD, ({ q, k, v, bias }, attrs) => attentionProgram('rubricAttention', { q, k, v, bias }, attrs, q.shape, SCORE + ROW_MAX_SUM, (pt) => `
    ${QUERY_ROW}
    let ms = rowMaxSum(bh, i, cols, tid);
    ${tiledSum('uniforms.tk', 'exp(score(bh, i, n, cols) - ms.x) / ms.y', 'v', 'kvHead(bh) * uniforms.tk + n', pt)}
    ${writeRow('1.0', pt)}`));

/** stats [N, 3] = (m, l, δ) from q [N, D], k [K, D], bias, y, dy [N, D]. */
register(STATS, ({ q, k, bias, y, dy }, attrs) => attentionProgram('rubricAttentionStats', { q, k, bias, y, dy }, attrs, [q.shape[0], 3], SCORE + ROW_MAX_SUM, () => `
    ${QUERY_ROW}
    let ms = rowMaxSum(bh, i, cols, tid);
    var dot = 0.0;
    for (var d = tid; d < cols; d = d + ${ROW_THREADS}) { dot = dot + dy[base + d] * y[base + d]; }
    let delta = workgroupSum(dot, tid);
    if (live && tid == 0) { result[row * 3] = ms.x; result[row * 3 + 1] = ms.y; result[row * 3 + 2] = delta; }`));

/** dq [N, D] from q [N, D], k, v [K, D], bias, dy [N, D], stats [N, 3]. */
register(DQ, ({ q, k, v, bias, dy, stats }, attrs) => attentionProgram('rubricAttentionDq', { q, k, v, bias, dy, stats }, attrs, q.shape, SCORE + PROB + DSCORE, (pt) => `
    ${QUERY_ROW}
    ${tiledSum('uniforms.tk', 'dScore(bh, i, n, cols)', 'k', 'kvHead(bh) * uniforms.tk + n', pt)}
    ${writeRow('uniforms.scale', pt)}`));

/** dk [K, D] from k [K, D], q [N, D], v [K, D], bias, dy [N, D], stats [N, 3]. */
register(DK, ({ k, q, v, bias, dy, stats }, attrs) => attentionProgram('rubricAttentionDk', { k, q, v, bias, dy, stats }, attrs, k.shape, SCORE + PROB + DSCORE, (pt) => `
    ${KEY_ROW}
    ${tiledSum('nq', `dScore(${QH}, n % uniforms.tq, j, cols)`, 'q', QROW, pt)}
    ${writeRow('uniforms.scale', pt)}`));

/** dv [K, D] from k [K, D], q [N, D], bias, dy [N, D], stats [N, 3]. */
register(DV, ({ k, q, bias, dy, stats }, attrs) => attentionProgram('rubricAttentionDv', { k, q, bias, dy, stats }, attrs, k.shape, SCORE + PROB, (pt) => `
    ${KEY_ROW}
    ${tiledSum('nq', `prob(${QH}, n % uniforms.tq, j, cols)`, 'dy', QROW, pt)}
    ${writeRow('1.0', pt)}`));

/** bias as rank 4, checked to broadcast to [B, H, Tq, Tk]. */
function bias4d(bias: tf.Tensor, full: number[]): tf.Tensor {
  tf.util.assert(bias.dtype === 'float32' && bias.rank <= 4, () => `bias must be float32 of rank ≤ 4, got ${bias.dtype} [${bias.shape}]`);
  const shape = [...new Array(4 - bias.rank).fill(1), ...bias.shape];
  tf.util.assert(shape.every((n, a) => n === 1 || n === full[a]), () => `bias [${bias.shape}] does not broadcast to [${full}]`);
  return tf.reshape(bias, shape);
}

/** Repeats each KV head H/Hkv times: [B, Hkv, T, D] → [B, H, T, D] (HF's repeat_kv), for the stock path. */
export function repeatKv(x: tf.Tensor, groups: number): tf.Tensor {
  if (groups === 1) return x;
  const [B, Hkv, T, D] = x.shape;
  // rank 4, not 5: tfjs has no rank-5 tile gradient
  return tf.reshape(tf.tile(tf.reshape(x, [B, Hkv, 1, T * D]), [1, 1, groups, 1]), [B, Hkv * groups, T, D]);
}

/**
 * softmax(q·kᵀ/√D + bias)·v for q [B,H,Tq,D], k,v [B,Hkv,Tk,D] with H a multiple of Hkv: one WebGPU
 * program forward and four backward on the webgpu backend (no gradient for bias); elsewhere attendStock
 * on repeated kv heads.
 */
export function attendFused(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const [B, H, Tq, D] = q.shape, Hkv = k.shape[1]!, Tk = k.shape[2]!;
  tf.util.assert(H % Hkv === 0, () => `${H} query heads do not share ${Hkv} kv heads evenly`);
  if (!onWebGPU()) return attendStock(q, repeatKv(k, H / Hkv), repeatKv(v, H / Hkv), bias);
  const b4 = bias4d(bias, [B, H, Tq, Tk]);
  const attrs = { heads: H, groups: H / Hkv, tq: Tq, tk: Tk };
  const attend2d = tf.customGrad(((q2: tf.Tensor2D, k2: tf.Tensor2D, v2: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const y = runKernel(FORWARD, { q: q2, k: k2, v: v2, bias: b4 }, attrs);
    save([q2, k2, v2, b4, y]); // reshapes made in the forward pass: only saved tensors outlive it
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, [qs, ks, vs, bs, ys]: tf.Tensor[]) => {
        const stats = runKernel(STATS, { q: qs, k: ks, bias: bs, y: ys, dy }, attrs);
        return [
          runKernel(DQ, { q: qs, k: ks, v: vs, bias: bs, dy, stats }, attrs),
          runKernel(DK, { k: ks, q: qs, v: vs, bias: bs, dy, stats }, attrs),
          runKernel(DV, { k: ks, q: qs, bias: bs, dy, stats }, attrs),
        ];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const flat = (t: tf.Tensor) => tf.reshape(t, [-1, D]);
  return tf.reshape(attend2d(flat(q), flat(k), flat(v)), q.shape);
}
