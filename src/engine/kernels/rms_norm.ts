// RMSNorm over the last axis, Hugging Face Llama semantics: y = x · r · w with r = 1/√(mean(x²) + ε).
// Dimension letters: N rows (every leading axis flattened), C hidden size (any value, not only multiples
// of the workgroup size).
// rmsNormStock is the reference: plain tfjs ops, what every backend runs by default. rmsNormFused is the
// same math as WebGPU programs, elsewhere it is rmsNormStock:
//   forward   y  [N, C]: one program, one workgroup per row (shared-memory sum of x²).
//   backward  r  [N]:    one program per row. dx and dw both need r, and the forward cannot hand it
//                        over (a program has one output), so it is recomputed once here.
//             dx [N, C]: one program per row, dx = w·g·r − x·r³·mean(x·w·g).
//             dw [C]:    one program, a thread per column summing g·x·r down the rows. A program rather
//                        than stock ops (x·r, ·g, sum: three dispatches and an [N, C] temporary), and a
//                        plain loop rather than a split reduction with float atomics: deterministic, and
//                        N (B·T) rows of a tiny model are a short loop (its f32 rounding grows with N).
// Leaves out: fusing the residual add before it (add_rms_norm.ts), vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/rms_norm.test.ts
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../custom_grad';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';
import { useSubgroups } from './subgroups';

/** The stock composition: x · rsqrt(mean(x²) + ε) · w. */
export function rmsNormStock(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
}

/** WGSL: r of this row, 1/√(mean(x²) + ε), summed by all threads of the workgroup. */
const ROW_RSTD = `
  fn rowRstd(base : i32, cols : i32, tid : i32) -> f32 {
    var ss = 0.0;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { let v = x[base + c]; ss = ss + v * v; }
    return inverseSqrt(workgroupSum(ss, tid) / f32(cols) + uniforms.eps);
  }
`;

const FORWARD = 'RubricRmsNorm',
  RSTD = 'RubricRmsNormRstd',
  DX = 'RubricRmsNormDx',
  DW = 'RubricRmsNormDw';

/** y [N, C] from x [N, C], w [C]. */
registerWebGPUKernel(FORWARD, (backend, { x, w }, { eps }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricRmsNorm',
      subgroups: useSubgroups(backend),
      inputs: ['x', 'w'],
      outputShape: x.shape,
      uniforms: 'eps : f32,',
      helpers: ROW_RSTD,
      body: `
    let r = rowRstd(base, cols, tid);
    if (live) { for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { result[base + c] = x[base + c] * r * w[c]; } }`,
    }),
    [x, w],
    'float32',
    [{ type: 'float32', data: [eps as number] }],
  ),
);

/** r [N] from x [N, C]. */
registerWebGPUKernel(RSTD, (backend, { x }, { eps }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricRmsNormRstd',
      subgroups: useSubgroups(backend),
      inputs: ['x'],
      outputShape: [x.shape[0]],
      uniforms: 'eps : f32,',
      helpers: ROW_RSTD,
      body: `
    let r = rowRstd(base, cols, tid);
    if (live && tid == 0) { result[row] = r; }`,
    }),
    [x],
    'float32',
    [{ type: 'float32', data: [eps as number] }],
  ),
);

/** dx [N, C] from x [N, C], w [C], dy [N, C], r [N]. */
registerWebGPUKernel(DX, (backend, { x, w, dy, rstd }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricRmsNormDx',
      subgroups: useSubgroups(backend),
      inputs: ['x', 'w', 'dy', 'rstd'],
      outputShape: x.shape,
      body: `
    var dot = 0.0;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { dot = dot + x[base + c] * w[c] * dy[base + c]; }
    let meanDot = workgroupSum(dot, tid) / f32(cols);
    let r = rstd[row];
    if (live) {
      for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
        result[base + c] = w[c] * dy[base + c] * r - x[base + c] * r * r * r * meanDot;
      }
    }`,
    }),
    [x, w, dy, rstd],
    'float32',
  ),
);

/** dw [C] = Σ_n dy·x·r: a thread per column (see the file header for why). */
class RmsNormDwProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'rstd'];
  outputShape: number[];
  shaderKey = 'rubricRmsNormDw';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];

  constructor(C: number) {
    this.outputShape = [C];
    this.dispatch = [Math.ceil(C / ROW_THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(c : i32) {
        let rows = uniforms.xShape[0];
        let cols = uniforms.xShape[1];
        if (c >= cols) { return; }
        var acc = 0.0;
        for (var n = 0; n < rows; n = n + 1) { acc = acc + dy[n * cols + c] * x[n * cols + c] * rstd[n]; }
        result[c] = acc;
      }`;
  }
}

registerWebGPUKernel(DW, (backend, { x, dy, rstd }) =>
  backend.runWebGPUProgram(new RmsNormDwProgram(x.shape[1]), [x, dy, rstd], 'float32'),
);

/** RMSNorm as WebGPU programs (forward 1 dispatch, backward 3) on the webgpu backend; rmsNormStock elsewhere. */
export function rmsNormFused(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  if (!onWebGPU()) return rmsNormStock(x, w, eps);
  const C = x.shape[x.shape.length - 1];
  const norm2d = customGrad((x2: tf.Tensor2D, w1: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x2, w1]); // x2 is a reshape made in the forward pass: only saved tensors outlive it
    return {
      value: runKernel(FORWARD, { x: x2, w: w1 }, { eps }),
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => {
        const rstd = runKernel(RSTD, { x: xs }, { eps });
        return [runKernel(DX, { x: xs, w: ws, dy, rstd }), runKernel(DW, { x: xs, dy, rstd })];
      },
    };
  });
  return tf.reshape(norm2d(tf.reshape(x, [-1, C]), w), x.shape);
}
