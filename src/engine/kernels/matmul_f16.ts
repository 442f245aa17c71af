// Frozen weights in half precision on the GPU: a projection's W [N, K] (Hugging Face's [out, in]) stored as
// int32 words of two halves, [N, K/2] (engine/f16.ts packs them), read by WebGPU programs that unpack with
// WGSL's unpack2x16float and accumulate in f32. Half the bytes of f32 weights, and decode reads every weight
// once per token, so its time is bound by these bytes.
//   matMulF16      y [M, N] = x [M, K] · Wᵀ (+ b): written for decode's shape, M ≤ 8 rows. A thread per output
//                  column n and block of 8 rows reads row n of W, 4 words a step, so one program serves any M
//                  (a prefill's M rows), but reads W ⌈M/8⌉ times where a tiled matmul would read it about once.
//   gatherF16Rows  out [T, C] = table[ids] for a packed embedding [V, C/2] (an id outside [0, V) gives 0s).
// Forward only: these weights are frozen (gradients to x are for a later change; training keeps f32).
// The reference is x · dequantized(W)ᵀ in f32 (the test's float64 product, and the self-check's stock ops).
import * as tf from '@tensorflow/tfjs';
import { f32ToF16Bits, packF16 } from '../f16';
import { onWebGPU } from './fused';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';

/** Rows one program multiplies: its partial sums live in registers. */
export const F16_MATMUL_ROWS = 8;

const MATMUL = 'RubricMatMulF16',
  GATHER = 'RubricGatherF16Rows';

/** y [M, N] from w [N, K/2] (packed) and x [M, K], b [N] optional: a thread per output column n and block of
 * F16_MATMUL_ROWS rows (the dispatch's y) reads row n of W (contiguous words, 4 per step), keeping its rows' sums;
 * no barriers. A workgroup per column
 * with a shared-memory sum read W coalesced but ran 10× slower than this on SwiftShader, and as slow as the
 * f32 matmul would be the goal; a real GPU may prefer subgroup sums (to measure: npm run bench -- --f16-matmul). */
class MatMulF16Program implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];

  constructor(
    N: number,
    M: number,
    private readonly bias: boolean,
  ) {
    this.outputShape = [M * N];
    this.variableNames = bias ? ['w', 'x', 'b'] : ['w', 'x'];
    this.shaderKey = bias ? 'rubricMatMulF16Bias' : 'rubricMatMulF16';
    // under 65,535 × 64 columns (every vocabulary here) and 65,535 × 8 rows
    this.dispatch = [Math.ceil(N / ROW_THREADS), Math.ceil(M / F16_MATMUL_ROWS), 1];
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    let N = uniforms.wShape[0];
    let K2 = uniforms.wShape[1];
    let K = uniforms.xShape[1];
    // the index runs over the dispatch's columns (whole workgroups), then its row blocks
    let NX = (N + ${ROW_THREADS - 1}) / ${ROW_THREADS} * ${ROW_THREADS};
    let col = index % NX;
    let r0 = index / NX * ${F16_MATMUL_ROWS};
    let M = min(uniforms.xShape[0] - r0, ${F16_MATMUL_ROWS});
    if (col >= N) { return; }
    let base = col * K2;
    var acc : array<f32, ${F16_MATMUL_ROWS}>;
    for (var c = 0; c < K2; c = c + 4) {
      let n = min(4, K2 - c);
      let h0 = unpack2x16float(bitcast<u32>(w[base + c]));
      let h1 = select(vec2<f32>(0.0), unpack2x16float(bitcast<u32>(w[base + min(c + 1, K2 - 1)])), n > 1);
      let h2 = select(vec2<f32>(0.0), unpack2x16float(bitcast<u32>(w[base + min(c + 2, K2 - 1)])), n > 2);
      let h3 = select(vec2<f32>(0.0), unpack2x16float(bitcast<u32>(w[base + min(c + 3, K2 - 1)])), n > 3);
      for (var m = 0; m < M; m = m + 1) {
        let xi = (r0 + m) * K + 2 * c;
        var s = h0.x * x[xi] + h0.y * x[xi + 1];
        if (n > 1) { s = s + h1.x * x[xi + 2] + h1.y * x[xi + 3]; }
        if (n > 2) { s = s + h2.x * x[xi + 4] + h2.y * x[xi + 5]; }
        if (n > 3) { s = s + h3.x * x[xi + 6] + h3.y * x[xi + 7]; }
        acc[m] = acc[m] + s;
      }
    }
    for (var m = 0; m < M; m = m + 1) { result[(r0 + m) * N + col] = acc[m]${this.bias ? ' + b[col]' : ''}; }
  }`;
  }
}

registerWebGPUKernel(MATMUL, (backend, { w, x, b }) =>
  backend.runWebGPUProgram(new MatMulF16Program(w.shape[0], x.shape[0], Boolean(b)), b ? [w, x, b] : [w, x], 'float32'),
);

/** out [T, C] from table [V, C/2] (packed), ids [T, 1]: one workgroup per id. */
registerWebGPUKernel(GATHER, (backend, { ids, table }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricGatherF16Rows',
      subgroups: false, // no reduction
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

/** y [M, N] = x [M, K] · Wᵀ (+ b), W as half-precision words [N, K/2]; any M, one program. */
export function matMulF16(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  requireWebGPU('matMulF16');
  const [M, K] = x.shape;
  if (w.dtype !== 'int32' || w.shape[1] * 2 !== K)
    throw new Error(`matMulF16: x [${M}, ${K}] needs packed words [N, ${K / 2}] (int32), got ${w.dtype} [${w.shape}]`);
  // the program writes M × N, row-major, as one flat output
  return tf.tidy(() => tf.reshape(runKernel(MATMUL, b ? { w, x, b } : { w, x }), [M, w.shape[0]]) as tf.Tensor2D);
}

/** Rows `ids` [T] of a packed [V, C/2] table, as f32 [T, C]. */
export function gatherF16Rows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  requireWebGPU('gatherF16Rows');
  // ids as a column [T, 1]: the program's rows are its first input's rows
  return tf.tidy(() => runKernel(GATHER, { ids: tf.reshape(ids, [-1, 1]), table }) as tf.Tensor2D);
}
