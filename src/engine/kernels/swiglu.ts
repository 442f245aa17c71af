// SwiGLU, the Llama MLP's gate: y = silu(gate) · up, silu(a) = a · σ(a), elementwise.
// Dimension letters: N elements (gate and up share one shape, [B, T, I] in the model; any shape works).
// swigluStock is the reference: the stock ops model.ts's block has always used. swigluFused is the same
// math as WebGPU programs, elsewhere it is swigluStock:
//   forward   y [N]:              one program, a thread per element. No σ(gate) or silu(gate) tensor.
//   backward  d_gate, d_up [N]:   one program writing both, with s = σ(gate):
//                                   d_up   = g · gate · s
//                                   d_gate = g · up · s · (1 + gate · (1 − s))
//             One program rather than two (each would recompute s and read gate: two dispatches), and
//             rather than one [2, N] output split by tf.slice (slices are copy programs on WebGPU: three
//             dispatches). A tfjs program has one output binding, `result` (d_gate here); d_up is a fresh
//             tensor passed as an input and re-declared read_write at the same binding. WGSL forbids two
//             variables on one binding only when one entry point uses both, and only the re-declared
//             one is used (Tint/Dawn accept it, SwiftShader included).
// Leaves out: fusing the gate and up projections (matmuls) into it, vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/swiglu.test.ts
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../custom_grad';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, runKernel } from './webgpu_program';

/** The stock composition: gate · σ(gate) · up. */
export function swigluStock(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
}

/**
 * A thread per element of outputShape (`size` is its element count). `body` is WGSL that sees `i`, the
 * flat index, already checked against size. `helpers` is WGSL placed before main.
 */
class ElementwiseProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  size = true;
  private readonly source: string;

  constructor(opts: { name: string; inputs: string[]; outputShape: number[]; helpers?: string; body: string }) {
    this.shaderKey = opts.name;
    this.variableNames = opts.inputs;
    this.outputShape = opts.outputShape;
    this.dispatchLayout = { x: opts.outputShape.map((_, i) => i) };
    // tfjs folds more than 65535 workgroups into 2-D; getGlobalIndex() then counts across both axes
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(opts.outputShape) / ROW_THREADS), 1, 1];
    this.source = `
      ${opts.helpers ?? ''}
      fn main(i : i32) {
        if (i < uniforms.size) {
          ${opts.body}
        }
      }`;
  }

  getUserCode(): string {
    return this.source;
  }
}

/** σ(a) as tfjs's Sigmoid kernel writes it, so the fused and stock values round alike. */
const SIGMOID = 'fn sigmoid(a : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * a)); }';

const FORWARD = 'RubricSwiGLU',
  BACKWARD = 'RubricSwiGLUGrad';

/** y [N] from gate [N], up [N]. */
registerWebGPUKernel(FORWARD, (backend, { gate, up }) =>
  backend.runWebGPUProgram(
    new ElementwiseProgram({
      name: 'rubricSwiGLU',
      inputs: ['gate', 'up'],
      outputShape: gate.shape,
      helpers: SIGMOID,
      body: `
    let a = gate[i];
    result[i] = a * sigmoid(a) * up[i];`,
    }),
    [gate, up],
    'float32',
  ),
);

/** [d_gate, d_up] [N] each from gate [N], up [N], dy [N]: one program, d_up written through binding 4. */
registerWebGPUKernel(BACKWARD, (backend, { gate, up, dy }) => {
  const dUp = backend.makeTensorInfo(gate.shape, 'float32'); // uninitialised: every element is written
  const dGate = backend.runWebGPUProgram(
    new ElementwiseProgram({
      name: 'rubricSwiGLUGrad',
      inputs: ['gate', 'up', 'dy', 'dUp'],
      outputShape: gate.shape,
      helpers: `${SIGMOID}
      @group(0) @binding(4) var<storage, read_write> dUpOut : array<f32>;`,
      body: `
      let a = gate[i];
      let s = sigmoid(a);
      let g = dy[i];
      dUpOut[i] = g * a * s;
      result[i] = g * up[i] * s * (1.0 + a * (1.0 - s));`,
    }),
    [gate, up, dy, dUp],
    'float32',
  );
  return [dGate, dUp]; // a two-output kernel, as TopK is
});

/** silu(gate) · up as WebGPU programs (forward 1 dispatch, backward 1) on the webgpu backend; swigluStock elsewhere. */
export function swigluFused(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!onWebGPU()) return swigluStock(gate, up);
  tf.util.assertShapesMatch(gate.shape, up.shape, 'swigluFused: gate and up');
  const f = customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: runKernel(FORWARD, { gate: a, up: b }),
      gradFunc: (dy: tf.Tensor, [as, bs]: tf.Tensor[]) =>
        tf.engine().runKernel(BACKWARD, { gate: as, up: bs, dy }, {}) as tf.Tensor[],
    };
  });
  return f(gate, up);
}
