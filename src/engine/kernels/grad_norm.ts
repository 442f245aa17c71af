// Σ g² of each gradient, the terms of the global L2 norm that clip_grad_norm_ takes (optimizer.ts's
// clipCoefficient: ‖g‖ = √(Σ_p Σ g_p²)). Dimension letters: P gradients, N_p elements of gradient p (any
// shape and size; each is read flat).
// sumSquaresStock is the reference: tf.sum(tf.square(g)) per gradient, then tf.stack (2P + 1 dispatches).
// sumSquaresFused is one kernel writing the same [P] as WebGPU programs, elsewhere it is sumSquaresStock:
//   ⌈P / G⌉ programs, each summing G gradients, one workgroup per gradient: its threads stride over the
//   flat tensor, then a shared-memory tree sums the threads. G is the device's storage-buffer limit per
//   shader stage less the output (8 − 1 = 7 by default), so nano's 21 gradients take 3 programs, not 42.
//   Every program writes its G slots of one [P] output (runWebGPUProgram's `output` argument, with the
//   first slot as a uniform): no stack or concat after them.
// Deterministic: a fixed stride and a fixed tree, no float atomics. One workgroup per gradient is plenty
// for our sizes (a 120×128 embedding is 240 strided steps per thread) and keeps it one pass; a two-level
// reduction would cost a second dispatch per program for a speed-up only big tensors on real GPUs see.
// Leaves out: the square root and the clip coefficient (optimizer.ts, stock ops on the [P] sums).
// Run the tests: npx vitest run src/engine/kernels/grad_norm.test.ts
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS } from './webgpu_program';

/** The stock composition: [P] = Σ g² of each gradient. */
export function sumSquaresStock(grads: tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => tf.stack(grads.map((g) => tf.sum(tf.square(g))))) as tf.Tensor1D;
}

/**
 * One workgroup per input g0..g(k−1), each flat; writes result[offset + j] = Σ g_j². RowProgram's
 * reduction takes its rows from a 2-D first input, so this program carries its own (the same tree).
 */
class SumSquaresProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  uniforms = 'offset : i32,';
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];

  constructor(k: number, P: number) {
    this.variableNames = Array.from({ length: k }, (_, j) => `g${j}`);
    this.outputShape = [P];
    this.shaderKey = `rubricSumSquares_${k}`;
    this.dispatch = [k, 1, 1];
  }

  getUserCode(): string {
    // WGSL binds each input by name: the workgroup picks its gradient with a switch
    const cases = this.variableNames.map(
      (g, j) => `
          case ${j}: {
            for (var c = tid; c < uniforms.${g}Shape; c = c + ${ROW_THREADS}) { let v = ${g}[c]; acc = acc + v * v; }
          }`,
    );
    return `
      var<workgroup> partial : array<f32, ${ROW_THREADS}>;
      fn main(index : i32) {
        let j = index / ${ROW_THREADS};
        let tid = index % ${ROW_THREADS};
        var acc = 0.0;
        switch j {${cases.join('')}
          default: {}
        }
        partial[tid] = acc;
        workgroupBarrier();
        for (var s = ${ROW_THREADS / 2}; s > 0; s = s / 2) {
          if (tid < s) { partial[tid] = partial[tid] + partial[tid + s]; }
          workgroupBarrier();
        }
        if (tid == 0) { result[uniforms.offset + j] = partial[0]; }
      }`;
  }
}

const SUM_SQUARES = 'RubricSumSquares';

/** [P] from inputs g0..g(P−1) of any shapes: ⌈P / G⌉ dispatches into one output. */
registerWebGPUKernel(SUM_SQUARES, (backend, inputs) => {
  const grads = Object.keys(inputs)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((n) => inputs[n]);
  const P = grads.length;
  const G = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
  const out = backend.makeTensorInfo([P], 'float32'); // uninitialised: every slot is written
  const flat = (x: tf.TensorInfo): tf.TensorInfo => ({
    dataId: x.dataId,
    shape: [tf.util.sizeFromShape(x.shape)],
    dtype: x.dtype,
  });
  for (let offset = 0; offset < P; offset += G) {
    const group = grads.slice(offset, offset + G).map(flat);
    backend.runWebGPUProgram(
      new SumSquaresProgram(group.length, P),
      group,
      'float32',
      [{ type: 'int32', data: [offset] }],
      out,
    );
  }
  return out;
});

/** [P] = Σ g² of each gradient: ⌈P / 7⌉ WebGPU programs on the webgpu backend (float32); sumSquaresStock elsewhere. */
export function sumSquaresFused(grads: tf.Tensor[]): tf.Tensor1D {
  if (!onWebGPU() || grads.some((g) => g.dtype !== 'float32' || g.size === 0)) return sumSquaresStock(grads);
  const inputs = Object.fromEntries(grads.map((g, j) => [`g${j}`, g]));
  return tf.engine().runKernel(SUM_SQUARES, inputs, {}) as tf.Tensor1D;
}
