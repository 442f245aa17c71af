// Frozen weights in half precision on the GPU: a projection's W [N, K] (Hugging Face's [out, in]) stored as
// int32 words of two halves, [N, K/2] (engine/f16.ts packs them), read by WebGPU programs that unpack with
// WGSL's unpack2x16float and accumulate in f32. Half the bytes of f32 weights, and decode reads every weight
// once per token, so its time is bound by these bytes.
//   matMulF16      y [M, N] = x [M, K] · Wᵀ (+ b): decode's shape, M ≤ 8 rows per program (more rows run as
//                  several programs). One workgroup per output column n: its 64 threads stride over row n of
//                  W (contiguous words), each keeps M partial sums, then M workgroup sums.
//   gatherF16Rows  out [T, C] = table[ids] for a packed embedding [V, C/2] (an id outside [0, V) gives 0s).
// Forward only: these weights are frozen (gradients to x are for a later change; training keeps f32).
// The reference is x · dequantized(W)ᵀ in f32 (the test's float64 product, and the self-check's stock ops).
import * as tf from '@tensorflow/tfjs';
import { f32ToF16Bits, packF16 } from '../f16';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';

/** Rows one program multiplies: its partial sums live in registers. */
export const F16_MATMUL_ROWS = 8;

const MATMUL = 'RubricMatMulF16',
  GATHER = 'RubricGatherF16Rows';

const matmulBody = (bias: boolean) => `
    let M = uniforms.xShape[0];
    let K = uniforms.xShape[1];
    let N = rows;
    var acc : array<f32, ${F16_MATMUL_ROWS}>;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
      let wv = unpack2x16float(bitcast<u32>(w[base + c]));
      for (var m = 0; m < M; m = m + 1) {
        let xi = m * K + 2 * c;
        acc[m] = acc[m] + wv.x * x[xi] + wv.y * x[xi + 1];
      }
    }
    for (var m = 0; m < M; m = m + 1) {
      let s = workgroupSum(acc[m], tid);
      if (live && tid == 0) { result[m * N + row] = s${bias ? ' + b[row]' : ''}; }
    }`;

/** y [M, N] from w [N, K/2] (packed), x [M, K] (M ≤ F16_MATMUL_ROWS), b [N] optional. */
registerWebGPUKernel(MATMUL, (backend, { w, x, b }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: b ? 'rubricMatMulF16Bias' : 'rubricMatMulF16',
      inputs: b ? ['w', 'x', 'b'] : ['w', 'x'],
      outputShape: [w.shape[0], x.shape[0]], // rows of the dispatch: one per output column
      body: matmulBody(Boolean(b)),
    }),
    b ? [w, x, b] : [w, x],
    'float32',
  ),
);

/** out [T, C] from table [V, C/2] (packed), ids [T, 1]: one workgroup per id. */
registerWebGPUKernel(GATHER, (backend, { ids, table }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricGatherF16Rows',
      inputs: ['ids', 'table'],
      outputShape: [ids.shape[0], table.shape[1] * 2],
      body: `
    let V = uniforms.tableShape[0];
    let half = uniforms.tableShape[1];
    let id = ids[row];
    let hit = id >= 0 && id < V;
    for (var c = tid; c < half; c = c + ${ROW_THREADS}) {
      let v = select(vec2<f32>(0.0), unpack2x16float(bitcast<u32>(table[clamp(id, 0, V - 1) * half + c])), hit);
      if (live) {
        result[row * half * 2 + 2 * c] = v.x;
        result[row * half * 2 + 2 * c + 1] = v.y;
      }
    }`,
    }),
    [ids, table],
    'float32',
  ),
);

/** A [N, K] f32 matrix (K even) as half-precision words [N, K/2], nearest half, ties to even. */
export async function packF16Weight(w: tf.Tensor2D): Promise<tf.Tensor2D> {
  const [N, K] = w.shape;
  if (K % 2) throw new Error(`an f16 weight needs an even inner size, got [${N}, ${K}]`);
  const v = await w.data();
  const halves = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) halves[i] = f32ToF16Bits(v[i]);
  return tf.tensor2d(packF16(halves), [N, K / 2], 'int32');
}

function requireWebGPU(what: string): void {
  if (!onWebGPU()) throw new Error(`${what} runs on WebGPU only (the backend is ${tf.getBackend()})`);
}

/** y [M, N] = x [M, K] · Wᵀ (+ b), W as half-precision words [N, K/2]; any M, in programs of 8 rows. */
export function matMulF16(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  requireWebGPU('matMulF16');
  const [M, K] = x.shape;
  if (w.dtype !== 'int32' || w.shape[1] * 2 !== K)
    throw new Error(`matMulF16: x [${M}, ${K}] needs packed words [N, ${K / 2}] (int32), got ${w.dtype} [${w.shape}]`);
  // the program's output is declared [N, rows] (a workgroup per column) but written rows × N, row-major
  const run = (rows: tf.Tensor2D) =>
    tf.reshape(runKernel(MATMUL, b ? { w, x: rows, b } : { w, x: rows }), [rows.shape[0], w.shape[0]]);
  return tf.tidy(() => {
    if (M <= F16_MATMUL_ROWS) return run(x) as tf.Tensor2D;
    const parts: tf.Tensor[] = [];
    for (let r = 0; r < M; r += F16_MATMUL_ROWS)
      parts.push(run(tf.slice(x, [r, 0], [Math.min(F16_MATMUL_ROWS, M - r), K])));
    return tf.concat(parts, 0) as tf.Tensor2D;
  });
}

/** Rows `ids` [T] of a packed [V, C/2] table, as f32 [T, C]. */
export function gatherF16Rows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  requireWebGPU('gatherF16Rows');
  // ids as a column [T, 1]: the program's rows are its first input's rows
  return tf.tidy(() => runKernel(GATHER, { ids: tf.reshape(ids, [-1, 1]), table }) as tf.Tensor2D);
}
