// The residual add fused with the RMSNorm after it (Hugging Face Llama semantics):
//   s = x + r,   y = s · ρ · w,   ρ = 1/√(mean(s²) + ε)
// Dimension letters: N rows (every leading axis flattened), C hidden size (any value, not only multiples
// of the workgroup size).
// addRmsNormStock is the reference: tf.add, then rmsNormStock. addRmsNormFused is the same math as WebGPU
// programs, elsewhere it is addRmsNormStock:
//   forward   s, y [N, C], ρ [N]: one program, one workgroup per row. A tfjs program has one output
//             binding (`result`, y here); s and ρ are fresh tensors passed as inputs and re-declared
//             read_write at their bindings (as swiglu.ts does). ρ is saved for the backward, so it
//             recomputes nothing; forward-only callers pay an [N] write, not a dispatch.
//   backward  with g = Σ_k dy_k (see copies below) and ds_in the gradient reaching s from the stream:
//             ds [N, C]: one program per row, ds = ds_in + w·g·ρ − s·ρ³·mean(s·w·g); dx = dr = ds.
//             dw [C]:    one program, a thread per column summing g·s·ρ down the rows (rms_norm.ts says
//                        why a plain loop).
//   Three programs in all where tf.add + rmsNormFused take six: the add, the norm; rstd, dx, dw, and the
//   add where the stream's gradient meets the norm's. dr is a second reference to ds's buffer (no copy).
// copies: the model's normed output feeds several projections (q, k, v; gate, up), and tfjs sums their
// gradients with n − 1 add programs. addRmsNormFused(…, n) returns n references to y, one per consumer, as
// separate outputs, so those gradients arrive separately and the ds and dw programs sum them as they read
// them: up to 3 (3 + the four other inputs + the output fill WebGPU's default 8 storage buffers).
// Two outputs need a registered kernel and gradient (tf.customGrad gives one output), so the forward is
// the kernel RubricAddRmsNorm and its gradient is registered for it.
// Leaves out: vec4 loads; the first layer's norm, which has no residual to add (rms_norm.ts).
// Run the tests: npx vitest run src/engine/kernels/add_rms_norm.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { fusedKernelsOn, onWebGPU } from './fused';
import { rmsNormStock } from './rms_norm';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';
import { useSubgroups } from './subgroups';

/** The most references to y addRmsNormFused gives (see the file header). */
export const MAX_COPIES = 3;

/** The stock composition: [s, y] = [x + r, rmsNormStock(x + r, w, ε)]. */
export function addRmsNormStock(x: tf.Tensor, r: tf.Tensor, w: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor] {
  const s = tf.add(x, r);
  return [s, rmsNormStock(s, w, eps)];
}

const FORWARD = 'RubricAddRmsNorm',
  DS = 'RubricAddRmsNormDs',
  DW = 'RubricAddRmsNormDw';

/** [s, ρ, y_1 … y_n] [N, C], [N], [N, C]… from x, r [N, C], w [C]; attrs eps, copies (n). */
registerWebGPUKernel(
  FORWARD,
  (backend, { x, r, w }, { eps, copies }) => {
    const sum = backend.makeTensorInfo(x.shape, 'float32'); // uninitialised: every element is written
    const rstd = backend.makeTensorInfo([x.shape[0]], 'float32');
    const y = backend.runWebGPUProgram(
      new RowProgram({
        name: 'rubricAddRmsNorm',
        subgroups: useSubgroups(backend),
        inputs: ['x', 'r', 'w', 'sum', 'rstd'],
        outputShape: x.shape,
        uniforms: 'eps : f32,',
        helpers: `
      @group(0) @binding(4) var<storage, read_write> sumOut : array<f32>;
      @group(0) @binding(5) var<storage, read_write> rstdOut : array<f32>;`,
        body: `
      var ss = 0.0;
      for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { let v = x[base + c] + r[base + c]; ss = ss + v * v; }
      let rho = inverseSqrt(workgroupSum(ss, tid) / f32(cols) + uniforms.eps);
      if (live) {
        for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
          let v = x[base + c] + r[base + c];
          sumOut[base + c] = v;
          result[base + c] = v * rho * w[c];
        }
        if (tid == 0) { rstdOut[row] = rho; }
      }`,
      }),
      [x, r, w, sum, rstd],
      'float32',
      [{ type: 'float32', data: [eps as number] }],
    );
    // y once per consumer: more references to one buffer, as tfjs's Identity makes them
    for (let k = 1; k < (copies as number); k++) backend.incRef(y.dataId);
    // a multi-output kernel, as TopK is
    return [sum, rstd, ...new Array<tf.TensorInfo>(copies as number).fill(y)];
  },
  {
    inputsToSave: ['w'],
    outputsToSave: [true, true], // s, ρ
    gradFunc: (dys, [w, s, rstd]) => {
      const [dsIn, , ...dy] = dys as tf.Tensor[]; // ρ is internal: its gradient is never asked for
      const gradIns = Object.fromEntries(dy.map((g, k) => [`dy${k}`, g]));
      let ds: tf.Tensor | null = null;
      const dsOnce = () => {
        ds ??= runKernel(DS, { s, w, rstd, dsIn, ...gradIns });
        return ds;
      };
      return {
        x: dsOnce,
        r: () => tf.clone(dsOnce()), // a second reference: the tape may dispose x's gradient on its own
        w: () => runKernel(DW, { s, rstd, ...gradIns }),
      };
    },
  },
);

/** WGSL: g = Σ_k dy_k at flat index i, for the gradient inputs dy0 … dy(n−1). */
const sumOfDys = (n: number) =>
  `fn gradAt(i : i32) -> f32 { return ${Array.from({ length: n }, (_, k) => `dy${k}[i]`).join(' + ')}; }`;
const dyNames = (n: number) => Array.from({ length: n }, (_, k) => `dy${k}`);

/** ds [N, C] from s [N, C], w [C], ρ [N], ds_in [N, C], dy0 … [N, C]. */
registerWebGPUKernel(DS, (backend, inputs) => {
  const n = Object.keys(inputs).length - 4;
  const names = ['s', 'w', 'rstd', 'dsIn', ...dyNames(n)];
  return backend.runWebGPUProgram(
    new RowProgram({
      name: `rubricAddRmsNormDs_${n}`,
      subgroups: useSubgroups(backend),
      inputs: names,
      outputShape: inputs.s.shape,
      helpers: sumOfDys(n),
      body: `
      var dot = 0.0;
      for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { dot = dot + s[base + c] * w[c] * gradAt(base + c); }
      let meanDot = workgroupSum(dot, tid) / f32(cols);
      let rho = rstd[row];
      if (live) {
        for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
          result[base + c] = dsIn[base + c] + w[c] * gradAt(base + c) * rho - s[base + c] * rho * rho * rho * meanDot;
        }
      }`,
    }),
    names.map((k) => inputs[k]),
    'float32',
  );
});

/** dw [C] = Σ_n g·s·ρ: a thread per column. */
class AddRmsNormDwProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  private readonly n: number;

  constructor(C: number, n: number) {
    this.n = n;
    this.variableNames = ['s', 'rstd', ...dyNames(n)];
    this.outputShape = [C];
    this.shaderKey = `rubricAddRmsNormDw_${n}`;
    this.dispatch = [Math.ceil(C / ROW_THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      ${sumOfDys(this.n)}
      fn main(c : i32) {
        let rows = uniforms.sShape[0];
        let cols = uniforms.sShape[1];
        if (c >= cols) { return; }
        var acc = 0.0;
        for (var n = 0; n < rows; n = n + 1) { acc = acc + gradAt(n * cols + c) * s[n * cols + c] * rstd[n]; }
        result[c] = acc;
      }`;
  }
}

registerWebGPUKernel(DW, (backend, inputs) => {
  const n = Object.keys(inputs).length - 2;
  const program = new AddRmsNormDwProgram(inputs.s.shape[1], n);
  return backend.runWebGPUProgram(
    program,
    program.variableNames.map((k) => inputs[k]),
    'float32',
  );
});

/**
 * [s, y_1 … y_n]: s = x + r and n references to y = rmsNorm(s), one per consumer, whose gradients the
 * backward sums in its programs (see the file header). WebGPU programs on the webgpu backend (forward 1
 * dispatch, backward 2); elsewhere addRmsNormStock with y repeated.
 */
export function addRmsNormFused(x: tf.Tensor, r: tf.Tensor, w: tf.Tensor, eps: number, copies = 1): tf.Tensor[] {
  tf.util.assert(
    Number.isInteger(copies) && copies >= 1 && copies <= MAX_COPIES,
    () => `addRmsNorm: copies must be 1 … ${MAX_COPIES}, got ${copies}`,
  );
  if (!onWebGPU()) {
    const [s, y] = addRmsNormStock(x, r, w, eps);
    return [s, ...new Array<tf.Tensor>(copies).fill(y)];
  }
  tf.util.assertShapesMatch(x.shape, r.shape, 'addRmsNorm: x and r');
  tf.util.assert(
    [x, r, w].every((t) => t.dtype === 'float32'),
    () => 'addRmsNorm: float32 only',
  );
  const C = x.shape[x.shape.length - 1];
  const flat = (t: tf.Tensor) => tf.reshape(t, [-1, C]);
  const [s, rstd, ...ys] = tf
    .engine()
    .runKernel(FORWARD, { x: flat(x), r: flat(r), w }, { eps, copies }) as tf.Tensor[];
  rstd.dispose(); // the tape keeps its own reference for the backward
  return [s, ...ys].map((t) => tf.reshape(t, x.shape));
}

/**
 * [s, y] = [x + r, rmsNorm(x + r, w, ε)]: one WebGPU program forward (two backward) when fused kernels are on, else
 * stock ops.
 */
export function addRmsNorm(x: tf.Tensor, r: tf.Tensor, w: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor] {
  return (fusedKernelsOn() ? addRmsNormFused(x, r, w, eps) : addRmsNormStock(x, r, w, eps)) as [tf.Tensor, tf.Tensor];
}
