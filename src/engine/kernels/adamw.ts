// One AdamW step of one parameter as ONE WebGPU program that overwrites p, m and v in place. Dimension
// letters: N elements of the parameter (any shape; the program sees it flat).
//   g  ← grad · scale                      scale: clip_grad_norm_'s coefficient, a [1] tensor on the GPU
//   m  ← β1·m + (1 − β1)·g
//   v  ← β2·v + (1 − β2)·g²
//   p  ← p·keep − stepSize · m / (√v / √(1 − β2^t) + ε)     keep = 1 − lr·λ (1 if p does not decay),
//                                                           stepSize = lr / (1 − β1^t)
// The reference is the stock update in engine/optimizer.ts (apply, ~14 tfjs ops per parameter), which
// this matches op for op in f32. The step's numbers are uniforms, so a new lr or step reuses the shader.
// In place: a tfjs program has one output binding (`result`, here p's own buffer, through
// runWebGPUProgram's `output` argument). m and v come in as inputs and are re-declared read_write at
// their bindings: WGSL forbids two variables on one binding only when one entry point uses both, and only
// the re-declared ones are used (Tint/Dawn accept it, SwiftShader included). A buffer that another tensor
// shares (a clone, or a tensor given to loadState) is copied first, so in-place writes never reach it.
// One program per parameter, not one for all: p, m, v, grad and scale are 5 storage buffers, and WebGPU's
// default limit is 8 per shader stage, so even two parameters (9) do not fit without packing m and v.
// Leaves out: bf16/f16 moments, vec4 loads, the global norm itself (optimizer.ts, stock ops).
// Run the tests: npx vitest run src/engine/kernels/adamw.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerWebGPUKernel, ROW_THREADS } from './webgpu_program';

/** The numbers of one step, shared by every parameter but `keep`. */
export interface AdamWStep {
  beta1: number;
  beta2: number;
  eps: number;
  stepSize: number; // lr / (1 − β1^t)
  sqrtBc2: number; // √(1 − β2^t)
  keep: number; // 1 − lr·λ for decayed parameters, else 1
}

/** A thread per element; p is `result`, m and v are written through bindings 1 and 2. */
class AdamWProgram implements WebGPUProgram {
  variableNames = ['m', 'v', 'grad', 'scale'];
  outputShape: number[];
  shaderKey = 'rubricAdamW';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  size = true;
  uniforms = 'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, eps : f32, stepSize : f32, sqrtBc2 : f32, keep : f32,';

  constructor(N: number) {
    this.outputShape = [N];
    this.dispatch = [Math.ceil(N / ROW_THREADS), 1, 1]; // tfjs folds > 65535 workgroups into 2-D; getGlobalIndex() follows
  }

  getUserCode(): string {
    return `
      @group(0) @binding(1) var<storage, read_write> mOut : array<f32>;
      @group(0) @binding(2) var<storage, read_write> vOut : array<f32>;
      fn main(i : i32) {
        if (i < uniforms.size) {
          let g = grad[i] * scale[0];
          let mt = mOut[i] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let vt = vOut[i] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          let denom = sqrt(vt) / uniforms.sqrtBc2 + uniforms.eps;
          result[i] = result[i] * uniforms.keep - uniforms.stepSize * (mt / denom);
          mOut[i] = mt;
          vOut[i] = vt;
        }
      }`;
  }
}

const UPDATE = 'RubricAdamW';

/** Overwrites p, m, v [N]; returns p's own buffer with one more reference, as tfjs's Reshape does. */
registerWebGPUKernel(UPDATE, (backend, { p, m, v, grad, scale }, a) => {
  const flat = (x: tf.TensorInfo): tf.TensorInfo => ({ dataId: x.dataId, shape: [tf.util.sizeFromShape(x.shape)], dtype: x.dtype });
  const u = [a.beta1, 1 - (a.beta1 as number), a.beta2, 1 - (a.beta2 as number), a.eps, a.stepSize, a.sqrtBc2, a.keep] as number[];
  const out = flat(p);
  backend.runWebGPUProgram(new AdamWProgram(out.shape[0]), [flat(m), flat(v), flat(grad), flat(scale)], 'float32',
    u.map((x) => ({ type: 'float32', data: [x] })), out); // one entry per field: makeUniforms packs up to vec4s
  backend.incRef(p.dataId);
  return out;
});

/** Makes x the only holder of its buffer (one copy dispatch when shared), so writing it in place is private. */
function ownBuffer(x: tf.Variable): void {
  if (tf.engine().backend.refCount(x.dataId) > 1) tf.tidy(() => { x.assign(tf.add(x, 0)); });
}

/** One AdamW step of p with gradient `grad`, in place on p, m, v: one WebGPU program (webgpu backend only). */
export function adamwUpdateFused(p: tf.Variable, m: tf.Variable, v: tf.Variable, grad: tf.Tensor, scale: tf.Tensor, step: AdamWStep): void {
  tf.util.assert(p.dtype === 'float32' && grad.dtype === 'float32', () => 'adamwUpdateFused: float32 only');
  if (p.size === 0) return;
  for (const x of [p, m, v]) ownBuffer(x);
  tf.dispose(tf.engine().runKernel(UPDATE, { p, m, v, grad, scale }, { ...step }) as tf.Tensor);
}
