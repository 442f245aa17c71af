// Training's matmul on a frozen half-precision weight: W [N, K] held as int32 words of two halves [N, K/2]
// (engine/f16.ts packs them), x [M, K] with M = B·T rows, accumulation in f32.
//   forward   y [M, N] = x · Wᵀ (+ b)
//   backward  dx [M, K] = dy · W   (W frozen: no gradient to it, nor to b)
// Both are tiled: a 16×16 workgroup computes a tile of the output, stepping over the shared dimension with a
// tile of each operand in workgroup memory, the weight's words unpacked there once (WGSL unpack2x16float, no
// shader-f16 needed). kernels/matmul_f16.ts's matMulF16 is decode's (M ≤ 8 rows, a thread per column); this
// one is for M in the hundreds or thousands, where reusing each loaded weight tile across 16 rows pays.
// The reference is x · dequant(W)ᵀ and dy · dequant(W) in float64 (matmul_f16_train.test.ts).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { customGrad } from '../custom_grad';
import { onWebGPU } from './fused';
import { F16_MATMUL_ROWS, matMulF16 } from './matmul_f16';
import { registerWebGPUKernel, runKernel } from './webgpu_program';

/** The side of a workgroup's thread tile; a forward tile is TILE rows × TILE columns of y. */
export const F16_TRAIN_TILE = 16;

const T = F16_TRAIN_TILE;
const FORWARD = 'RubricMatMulF16Train',
  BACKWARD = 'RubricMatMulF16TrainDx';

/**
 * y [M, N] from x [M, K], w [N, K/2] (b [N]): thread (tx, ty) owns y[m0 + ty, n0 + tx]; each step of 2·T
 * columns of K loads x's [T, 2T] tile (a half-pair per thread) and W's [T, T] words (one per thread).
 */
class ForwardProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  workgroupSize: [number, number, number] = [T, T, 1];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];

  constructor(
    M: number,
    N: number,
    private readonly bias: boolean,
  ) {
    this.outputShape = [M, N];
    this.variableNames = bias ? ['x', 'w', 'b'] : ['x', 'w'];
    this.shaderKey = bias ? 'rubricMatMulF16TrainBias' : 'rubricMatMulF16Train';
    this.dispatch = [Math.ceil(N / T), Math.ceil(M / T), 1];
  }

  getUserCode(): string {
    return `
  var<workgroup> xs : array<array<vec2<f32>, ${T}>, ${T}>;
  var<workgroup> ws : array<array<vec2<f32>, ${T}>, ${T}>;

  fn main() {
    let M = uniforms.xShape[0];
    let K = uniforms.xShape[1];
    let N = uniforms.wShape[0];
    let K2 = uniforms.wShape[1];
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let m = i32(workgroupId.y) * ${T} + ty;
    let n = i32(workgroupId.x) * ${T} + tx;
    let wRow = i32(workgroupId.x) * ${T} + ty; // the W row this thread loads
    var acc = 0.0;
    for (var c0 = 0; c0 < K2; c0 = c0 + ${T}) {
      let c = c0 + tx; // the word (a pair of K columns) this thread loads
      var xv = vec2<f32>(0.0);
      if (m < M && c < K2) { xv = vec2<f32>(x[m * K + 2 * c], x[m * K + 2 * c + 1]); }
      xs[ty][tx] = xv;
      var wv = vec2<f32>(0.0);
      if (wRow < N && c < K2) { wv = unpack2x16float(bitcast<u32>(w[wRow * K2 + c])); }
      ws[ty][tx] = wv;
      workgroupBarrier();
      for (var j = 0; j < ${T}; j = j + 1) { acc = acc + dot(xs[ty][j], ws[tx][j]); }
      workgroupBarrier();
    }
    if (m < M && n < N) { result[m * N + n] = acc${this.bias ? ' + b[n]' : ''}; }
  }`;
  }
}

/**
 * dx [M, K] from dy [M, N], w [N, K/2]: thread (tx, ty) owns the pair dx[m0 + ty, 2(c0 + tx) + {0, 1}];
 * each step of T rows of W loads dy's [T, T] tile and W's [T, T] words, one of each per thread.
 */
class BackwardProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey = 'rubricMatMulF16TrainDx';
  variableNames = ['dy', 'w'];
  workgroupSize: [number, number, number] = [T, T, 1];
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];

  constructor(M: number, K: number) {
    this.outputShape = [M, K];
    this.dispatch = [Math.ceil(K / 2 / T), Math.ceil(M / T), 1];
  }

  getUserCode(): string {
    return `
  var<workgroup> ds : array<array<f32, ${T}>, ${T}>;
  var<workgroup> ws : array<array<vec2<f32>, ${T}>, ${T}>;

  fn main() {
    let M = uniforms.dyShape[0];
    let N = uniforms.dyShape[1];
    let K2 = uniforms.wShape[1];
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let m = i32(workgroupId.y) * ${T} + ty;
    let c = i32(workgroupId.x) * ${T} + tx;
    var acc = vec2<f32>(0.0);
    for (var n0 = 0; n0 < N; n0 = n0 + ${T}) {
      var d = 0.0;
      if (m < M && n0 + tx < N) { d = dy[m * N + n0 + tx]; }
      ds[ty][tx] = d;
      var wv = vec2<f32>(0.0);
      if (n0 + ty < N && c < K2) { wv = unpack2x16float(bitcast<u32>(w[(n0 + ty) * K2 + c])); }
      ws[ty][tx] = wv;
      workgroupBarrier();
      for (var j = 0; j < ${T}; j = j + 1) { acc = acc + ds[ty][j] * ws[j][tx]; }
      workgroupBarrier();
    }
    if (m < M && c < K2) {
      result[m * 2 * K2 + 2 * c] = acc.x;
      result[m * 2 * K2 + 2 * c + 1] = acc.y;
    }
  }`;
  }
}

registerWebGPUKernel(FORWARD, (backend, { x, w, b }) =>
  backend.runWebGPUProgram(new ForwardProgram(x.shape[0], w.shape[0], Boolean(b)), b ? [x, w, b] : [x, w], 'float32'),
);

registerWebGPUKernel(BACKWARD, (backend, { dy, w }) =>
  backend.runWebGPUProgram(new BackwardProgram(dy.shape[0], w.shape[1] * 2), [dy, w], 'float32'),
);

function check(what: string, rows: tf.Tensor2D, w: tf.Tensor2D, inner: number): void {
  if (!onWebGPU()) throw new Error(`${what} runs on WebGPU only (the backend is ${tf.getBackend()})`);
  if (w.dtype !== 'int32' || w.shape[1] * 2 !== inner)
    throw new Error(
      `${what}: [${rows.shape}] needs packed half-precision words [.., ${inner / 2}] (int32), ` +
        `got ${w.dtype} [${w.shape}]`,
    );
}

/** y [M, N] = x [M, K] · Wᵀ (+ b) for W as half-precision words [N, K/2]; no gradient (see matMulF16Train). */
export function matMulF16Rows(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor2D {
  check('matMulF16Rows', x, w, x.shape[1]);
  return runKernel(FORWARD, b ? { x, w, b } : { x, w }) as tf.Tensor2D;
}

/** dx [M, K] = dy [M, N] · W for W as half-precision words [N, K/2]. */
export function matMulF16Dx(dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (dy.shape[1] !== w.shape[0]) throw new Error(`matMulF16Dx: dy [${dy.shape}] against W words [${w.shape}]`);
  check('matMulF16Dx', dy, w, w.shape[1] * 2);
  return runKernel(BACKWARD, { dy, w }) as tf.Tensor2D;
}

/** y = x · Wᵀ (+ b) on a frozen half-precision W [N, K/2] (b frozen), with dx = dy · W as its gradient. A decode
 * step's few rows (≤ F16_MATMUL_ROWS) go to decode's kernel, which reads each weight row once per 8 rows; more
 * rows (prefill, training) to the tiles, which read each weight tile once per 16 rows. */
export function matMulF16Train(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor2D) => ({
    value: xi.shape[0] <= F16_MATMUL_ROWS ? matMulF16(xi, w, b as tf.Tensor1D | undefined) : matMulF16Rows(xi, w, b),
    gradFunc: (dy: tf.Tensor2D) => matMulF16Dx(dy, w),
  }));
  return f(x);
}
