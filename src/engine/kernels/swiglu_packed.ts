// SwiGLU over the packed gate|up projection: y = silu(gu[:, :I]) · gu[:, I:], for gu [N, 2·I], the output
// of one matmul with [W_gate | W_up] stacked on the output axis (the decode path packs them once per
// generate() call). Dimension letters: N rows, I the MLP's inner width.
// swigluPackedStock is the reference: two slices and swiglu.ts's stock composition (three dispatches and
// two [N, I] copies on WebGPU). swigluPackedFused is one WebGPU program, a thread per output element,
// reading both halves in place; elsewhere it is the stock composition.
// Forward only: it serves generation, which takes no gradients (training keeps two projections and swiglu.ts).
// Run the tests: npx vitest run src/engine/kernels/swiglu_packed.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { onWebGPU } from './fused';
import { swigluStock } from './swiglu';
import { registerWebGPUKernel, ROW_THREADS, runKernel } from './webgpu_program';

/** The stock composition: silu(gate) · up with gate, up the two halves of gu [N, 2·I]. */
export function swigluPackedStock(gu: tf.Tensor2D): tf.Tensor2D {
  const [gate, up] = tf.split(gu, 2, 1);
  return swigluStock(gate, up) as tf.Tensor2D;
}

/** A thread per element of y [N, I]. */
class SwigluPackedProgram implements WebGPUProgram {
  variableNames = ['gu'];
  outputShape: number[];
  shaderKey = 'rubricSwiGLUPacked';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  size = true;

  constructor(N: number, I: number) {
    this.outputShape = [N, I];
    // tfjs folds > 65535 workgroups into 2-D; getGlobalIndex() follows
    this.dispatch = [Math.ceil((N * I) / ROW_THREADS), 1, 1];
  }

  getUserCode(): string {
    // σ(a) as tfjs's Sigmoid kernel writes it, so the fused and stock values round alike
    return `
      fn main(i : i32) {
        if (i < uniforms.size) {
          let I = uniforms.outShape[1];
          let gi = (i / I) * 2 * I + i % I;
          let a = gu[gi];
          result[i] = a * (1.0 / (1.0 + exp(-1.0 * a))) * gu[gi + I];
        }
      }`;
  }
}

const FORWARD = 'RubricSwiGLUPacked';

registerWebGPUKernel(FORWARD, (backend, { gu }) =>
  backend.runWebGPUProgram(new SwigluPackedProgram(gu.shape[0], gu.shape[1] / 2), [gu], 'float32'),
);

/**
 * silu(gu[:, :I]) · gu[:, I:] for gu [N, 2·I]: one WebGPU program on the webgpu backend; swigluPackedStock elsewhere.
 */
export function swigluPackedFused(gu: tf.Tensor2D): tf.Tensor2D {
  tf.util.assert(gu.shape[1] % 2 === 0, () => `swigluPacked: width ${gu.shape[1]} is not gate|up (even)`);
  if (!onWebGPU()) return swigluPackedStock(gu);
  return runKernel(FORWARD, { gu }) as tf.Tensor2D;
}
