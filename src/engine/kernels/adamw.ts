// One AdamW step of several parameters as ONE WebGPU program that overwrites each p and their m and v in
// place. Dimension letters: N elements of all parameters together, n_j of parameter j (any shape; the
// program sees it flat).
//   g  ← grad · scale                      scale: clip_grad_norm_'s coefficient, a [1] tensor on the GPU
//   m  ← β1·m + (1 − β1)·g
//   v  ← β2·v + (1 − β2)·g²
//   p  ← p·keep − stepSize · m / (√v / √(1 − β2^t) + ε)     keep = 1 − lr·λ (1 if p does not decay),
//                                                           stepSize = lr / (1 − β1^t)
// The reference is the stock update in engine/optimizer.ts (apply, ~14 tfjs ops per parameter), which
// this matches op for op in f32. The step's numbers are uniforms, so a new lr or step reuses the shader.
// Multi-tensor: the moments of every parameter live in ONE packed buffer [2N] (m of each parameter at its
// offset, then v at N + offset), the program's `result` (runWebGPUProgram's `output` argument), so a
// program binds that buffer, the scale, and k (p, grad) pairs: 2k + 2 storage buffers, k = 3 within
// WebGPU's default limit of 8 per shader stage (the device's own limit is read). A thread per element of
// the k parameters together: ⌈P / k⌉ programs for P parameters rather than P.
// In place: each p comes in as an input and is re-declared read_write at its binding: WGSL forbids two
// variables on one binding only when one entry point uses both, and only the re-declared one is used
// (Tint/Dawn accept it, SwiftShader included). A parameter buffer that another tensor shares (a clone) is
// copied first, so in-place writes never reach it.
// Leaves out: bf16/f16 moments, vec4 loads, the global norm itself (optimizer.ts, stock ops).
// Run the tests: npx vitest run src/engine/kernels/adamw.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerWebGPUKernel, ROW_THREADS } from './webgpu_program';
import { markWritten } from './in_place';

/** The numbers of one step, shared by every parameter. */
export interface AdamWStep {
  beta1: number;
  beta2: number;
  eps: number;
  stepSize: number; // lr / (1 − β1^t)
  sqrtBc2: number; // √(1 − β2^t)
}

/** One parameter's part of an update: its gradient, where its moments sit in the packed buffer, its decay. */
export interface AdamWSlot {
  p: tf.Variable;
  grad: tf.Tensor;
  offset: number; // m at moments[offset …], v at moments[N + offset …]
  keep: number; // 1 − lr·λ for decayed parameters, else 1
}

/** WGSL: the update of element e of parameter j (p{j}, g{j}), whose moments start at off{j}. */
const updateSlot = (j: number) => `
          let g = g${j}[e] * scale[0];
          let mi = uniforms.off${j} + e;
          let vi = uniforms.total + mi;
          let mt = result[mi] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let vt = result[vi] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          let denom = sqrt(vt) / uniforms.sqrtBc2 + uniforms.eps;
          p${j}Out[e] = p${j}Out[e] * uniforms.keep${j} - uniforms.stepSize * (mt / denom);
          result[mi] = mt;
          result[vi] = vt;`;

/**
 * A thread per element of k parameters laid end to end; moments are `result`, each p{j} is written through its binding.
 */
class AdamWProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  size = true;
  uniforms: string;
  private readonly k: number;

  constructor(sizes: number[]) {
    const k = sizes.length,
      n = sizes.reduce((a, b) => a + b, 0);
    this.k = k;
    this.variableNames = [...sizes.flatMap((_, j) => [`p${j}`, `g${j}`]), 'scale'];
    this.shaderKey = `rubricAdamW_${k}`;
    this.outputShape = [n]; // `size`: the threads, not the packed buffer they write
    // tfjs folds > 65535 workgroups into 2-D; getGlobalIndex() follows
    this.dispatch = [Math.ceil(n / ROW_THREADS), 1, 1];
    this.uniforms =
      'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, eps : f32, stepSize : f32, sqrtBc2 : ' +
      'f32, total : i32,' +
      sizes.map((_, j) => ` off${j} : i32, keep${j} : f32,`).join('');
  }

  getUserCode(): string {
    const decls = Array.from(
      { length: this.k },
      (_, j) => `@group(0) @binding(${1 + 2 * j}) var<storage, read_write> p${j}Out : array<f32>;`,
    );
    // parameter j owns the threads after those of parameters 0 … j−1: each level peels one off
    const nest = (j: number): string =>
      j === this.k
        ? ''
        : `
          if (e < uniforms.p${j}Shape) {${updateSlot(j)}
          } else { e = e - uniforms.p${j}Shape; ${nest(j + 1)} }`;
    return `
      ${decls.join('\n      ')}
      fn main(i : i32) {
        if (i < uniforms.size) {
          var e = i;${nest(0)}
        }
      }`;
  }
}

const UPDATE = 'RubricAdamW';

/** Parameters per program: two storage buffers each (p, grad), plus the packed moments and the scale. */
function paramsPerProgram(): number {
  return Math.floor(((tf.backend() as WebGPUBackend).device.limits.maxStorageBuffersPerShaderStage - 2) / 2);
}

/** The programs one fused update of P parameters takes on this device. */
export function adamWProgramsFor(P: number): number {
  return Math.ceil(P / paramsPerProgram());
}

const flat = (x: tf.TensorInfo): tf.TensorInfo => ({
  dataId: x.dataId,
  shape: [tf.util.sizeFromShape(x.shape)],
  dtype: x.dtype,
});

/**
 * Overwrites p0 … p(k−1) and the packed moments [2N]; returns the moments' own buffer with one more
 * reference, as tfjs's Reshape does. attrs: the step's numbers, offsets and keeps per parameter.
 */
registerWebGPUKernel(UPDATE, (backend, inputs, a) => {
  const k = (a.offsets as number[]).length;
  const params = Array.from({ length: k }, (_, j) => flat(inputs[`p${j}`]));
  const ordered = [...params.flatMap((p, j) => [p, flat(inputs[`g${j}`])]), flat(inputs.scale)];
  const f32 = (x: number) => ({ type: 'float32', data: [x] }),
    i32 = (x: number) => ({ type: 'int32', data: [x] });
  const b1 = a.beta1 as number,
    b2 = a.beta2 as number;
  // one entry per field: makeUniforms packs up to vec4s
  const uniforms = [
    f32(b1),
    f32(1 - b1),
    f32(b2),
    f32(1 - b2),
    f32(a.eps as number),
    f32(a.stepSize as number),
    f32(a.sqrtBc2 as number),
    i32(a.total as number),
    ...(a.offsets as number[]).flatMap((o, j) => [i32(o), f32((a.keeps as number[])[j])]),
  ];
  const out = flat(inputs.moments);
  backend.runWebGPUProgram(new AdamWProgram(params.map((p) => p.shape[0])), ordered, 'float32', uniforms, out);
  backend.incRef(inputs.moments.dataId);
  return out;
});

/** Makes x the only holder of its buffer (one copy dispatch when shared), so writing it in place is private. */
function ownBuffer(x: tf.Variable): void {
  if (tf.engine().backend.refCount(x.dataId) > 1)
    tf.tidy(() => {
      x.assign(tf.add(x, 0));
    });
}

/**
 * One AdamW step of every slot's parameter, in place on the parameters and on `moments`, the packed
 * [2N] m and v of all parameters (see the file header): ⌈slots / k⌉ WebGPU programs (webgpu backend only).
 */
export function adamwUpdateFused(slots: AdamWSlot[], moments: tf.Variable, scale: tf.Tensor, step: AdamWStep): void {
  const live = slots.filter((s) => s.p.size > 0);
  tf.util.assert(
    live.every((s) => s.p.dtype === 'float32' && s.grad.dtype === 'float32'),
    () => 'adamwUpdateFused: float32 only',
  );
  ownBuffer(moments);
  for (const s of live) ownBuffer(s.p);
  const k = paramsPerProgram();
  for (let i = 0; i < live.length; i += k) {
    const group = live.slice(i, i + k);
    const inputs: tf.NamedTensorMap = { moments, scale };
    group.forEach((s, j) => {
      inputs[`p${j}`] = s.p;
      inputs[`g${j}`] = s.grad;
    });
    const attrs = {
      ...step,
      total: moments.size / 2,
      offsets: group.map((s) => s.offset),
      keeps: group.map((s) => s.keep),
    };
    tf.dispose(tf.engine().runKernel(UPDATE, inputs, attrs) as tf.Tensor);
  }
  // a parameter read back before this step (a checkpoint save) must not read its old values again
  markWritten(tf.backend() as WebGPUBackend, [moments, ...live.map((s) => s.p)]);
}
