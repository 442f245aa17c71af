// How our fused kernels meet tfjs-backend-webgpu: a program shape that gives one workgroup to each row
// of a [rows, cols] input, the WGSL for a shared-memory reduction across that workgroup, and
// registration as a named tfjs kernel (so tf.profile and the kernel counters see it).
// tfjs writes the prelude around getUserCode(): inputs as `array<f32|i32>` named by variableNames,
// `result` for the output, `uniforms` with each input's shape (`xShape`) plus our own fields, and it
// calls `main(index)` with the global invocation index. Types only are imported from the package, so
// loading this file never loads the WebGPU backend (engine/backend.ts imports it on demand).
// Reductions run by subgroups where the device has them (subgroups.ts), else by the shared-memory tree here.
// Leaves out: vec4 I/O, f16 arithmetic (weights in half precision are unpacked to f32: matmul_f16.ts).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { subgroupReduce } from './subgroups';

/** Threads per workgroup: a power of two, so the tree reduction halves evenly; rows may be any length. */
export const ROW_THREADS = 64;

/** WGSL: sum and max of one f32 per thread across the workgroup, by a shared-memory tree (no subgroups).
 * Call from uniform control flow only, as subgroupReduce's. */
const WORKGROUP_REDUCE = `
  var<workgroup> partial : array<f32, ${ROW_THREADS}>;

  fn workgroupSum(v : f32, tid : i32) -> f32 {
    partial[tid] = v;
    workgroupBarrier();
    for (var s = ${ROW_THREADS / 2}; s > 0; s = s / 2) {
      if (tid < s) { partial[tid] = partial[tid] + partial[tid + s]; }
      workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier(); // all threads read partial[0] before a next reduction overwrites it
    return total;
  }

  fn workgroupMax(v : f32, tid : i32) -> f32 {
    partial[tid] = v;
    workgroupBarrier();
    for (var s = ${ROW_THREADS / 2}; s > 0; s = s / 2) {
      if (tid < s) { partial[tid] = max(partial[tid], partial[tid + s]); }
      workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
  }
`;

/**
 * One workgroup per row of the first input, [rows, cols]. `body` is WGSL that sees `row`, `tid` (the
 * thread within the row), `cols`, `base` (the row's first element) and `live`. Past 65535 rows tfjs folds
 * the dispatch into 2-D and may launch spare workgroups: those read the last row (`row` is clamped, so
 * reads stay in bounds) and must not write (`live` is false). `helpers` is WGSL placed before main.
 * `subgroups` picks the reductions (subgroups.ts's useSubgroups says which the device takes).
 */
export class RowProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  private readonly source: string;

  constructor(opts: {
    name: string;
    inputs: string[];
    outputShape: number[];
    uniforms?: string;
    helpers?: string;
    body: string;
    subgroups: boolean;
  }) {
    const first = opts.inputs[0];
    this.shaderKey = opts.subgroups ? `${opts.name}_subgroups` : opts.name;
    this.variableNames = opts.inputs;
    this.outputShape = opts.outputShape;
    this.uniforms = opts.uniforms;
    this.dispatchLayout = { x: opts.outputShape.map((_, i) => i) };
    this.dispatch = [opts.outputShape[0], 1, 1];
    this.source = `
      ${opts.subgroups ? subgroupReduce(ROW_THREADS) : WORKGROUP_REDUCE}
      ${opts.helpers ?? ''}
      fn main(index : i32) {
        let rows = uniforms.${first}Shape[0];
        let cols = uniforms.${first}Shape[1];
        let live = index / ${ROW_THREADS} < rows;
        let row = min(index / ${ROW_THREADS}, rows - 1);
        let tid = index % ${ROW_THREADS};
        let base = row * cols;
        ${opts.subgroups ? 'subgroupSlots(tid);' : ''}
        ${opts.body}
      }`;
  }

  getUserCode(): string {
    return this.source;
  }
}

/** One output, or several (as TopK has; their gradients then come from `registerWebGPUKernel`'s gradient). */
export type ProgramRunner = (
  backend: WebGPUBackend,
  inputs: Record<string, tf.TensorInfo>,
  attrs: tf.NamedAttrMap,
) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Registers `run` as the WebGPU kernel `name`, and `gradient` as its gradient if given, once (a second
 * registration, e.g. after a hot reload, would warn). A kernel with several outputs needs the latter:
 * tf.customGrad differentiates one output only.
 */
export function registerWebGPUKernel(
  name: string,
  run: ProgramRunner,
  gradient?: Omit<tf.GradConfig, 'kernelName'>,
): void {
  if (tf.getKernel(name, 'webgpu')) return;
  if (gradient) tf.registerGradient({ kernelName: name, ...gradient });
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    // every input is given: our callers name them all
    kernelFunc: ({ inputs, backend, attrs }) =>
      run(backend as WebGPUBackend, inputs as Record<string, tf.TensorInfo>, attrs ?? {}),
  });
}

/** Runs a kernel registered above: one tensor out. */
export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}
