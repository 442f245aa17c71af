// log p(target) under softmax(logits / τ), one value per row: z = logits / τ, logp[t] = z[t] − logsumexp(z).
// Dimension letters: N rows (B·T flattened), V vocab. A target outside [0, V) gives 0 with zero gradient,
// as the stock one-hot product does.
// gatherLogProbsStock is the reference: logSoftmax over the whole row, then a one-hot product.
// gatherLogProbsFused is the same math as WebGPU programs, elsewhere it is gatherLogProbsStock:
//   forward   logp [N]:    one program, one workgroup per row: max, Σexp, then z[t] − max − log Σ.
//                          No [N, V] log-softmax is written.
//   backward  dlogits [N, V]: one program per row, g·(onehot(t) − softmax(z)) / τ, no one-hot tensor.
// Leaves out: the entropy (model.ts takes the stock log-softmax when asked for it), vec4 loads.
// Run the tests: npx vitest run src/engine/kernels/log_probs.test.ts
import * as tf from '@tensorflow/tfjs';
import { customGrad } from '../custom_grad';
import { onWebGPU } from './fused';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';
import { useSubgroups } from './subgroups';

/** log softmax(logits / τ) over the last axis (no division at τ = 1). */
export function logSoftmaxAt(logits: tf.Tensor, temperature: number): tf.Tensor {
  return tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature));
}

/** Picks logp[..., targets[...]] with a one-hot product (no gather gradient needed). */
export function pickTargets(logp: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const V = logp.shape[logp.shape.length - 1];
  return tf.sum(tf.mul(logp, tf.oneHot(targets, V)), -1);
}

/** The stock composition: logits [..., V], int32 targets [...] → log-probs [...]. */
export function gatherLogProbsStock(logits: tf.Tensor, targets: tf.Tensor, temperature: number): tf.Tensor {
  return pickTargets(logSoftmaxAt(logits, temperature), targets);
}

/** WGSL: (max z, Σ exp(z − max)) of this row, z = logits / τ. */
const ROW_LOGSUMEXP = `
  fn rowMaxSum(base : i32, cols : i32, tid : i32) -> vec2<f32> {
    var m = -3.402823e+38;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { m = max(m, logits[base + c] / uniforms.temperature); }
    let rowMax = workgroupMax(m, tid);
    var s = 0.0;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
      s = s + exp(logits[base + c] / uniforms.temperature - rowMax);
    }
    return vec2<f32>(rowMax, workgroupSum(s, tid));
  }
`;

const FORWARD = 'RubricGatherLogProbs',
  BACKWARD = 'RubricGatherLogProbsGrad';

/** logp [N] from logits [N, V], targets [N]. */
registerWebGPUKernel(FORWARD, (backend, { logits, targets }, { temperature }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricGatherLogProbs',
      subgroups: useSubgroups(backend),
      inputs: ['logits', 'targets'],
      outputShape: [logits.shape[0]],
      uniforms: 'temperature : f32,',
      helpers: ROW_LOGSUMEXP,
      body: `
    let ms = rowMaxSum(base, cols, tid);
    if (live && tid == 0) {
      let t = targets[row];
      let hit = t >= 0 && t < cols;
      let zt = logits[base + clamp(t, 0, cols - 1)] / uniforms.temperature;
      result[row] = select(0.0, zt - ms.x - log(ms.y), hit);
    }`,
    }),
    [logits, targets],
    'float32',
    [{ type: 'float32', data: [temperature as number] }],
  ),
);

/** dlogits [N, V] from logits [N, V], targets [N], dy [N]. */
registerWebGPUKernel(BACKWARD, (backend, { logits, targets, dy }, { temperature }) =>
  backend.runWebGPUProgram(
    new RowProgram({
      name: 'rubricGatherLogProbsGrad',
      subgroups: useSubgroups(backend),
      inputs: ['logits', 'targets', 'dy'],
      outputShape: logits.shape,
      uniforms: 'temperature : f32,',
      helpers: ROW_LOGSUMEXP,
      body: `
    let ms = rowMaxSum(base, cols, tid);
    let t = targets[row];
    let g = select(0.0, dy[row] / uniforms.temperature, t >= 0 && t < cols);
    if (live) {
      for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
        let p = exp(logits[base + c] / uniforms.temperature - ms.x) / ms.y;
        result[base + c] = g * (select(0.0, 1.0, c == t) - p);
      }
    }`,
    }),
    [logits, targets, dy],
    'float32',
    [{ type: 'float32', data: [temperature as number] }],
  ),
);

/**
 * Log-probs of int32 targets [...] under softmax(logits [..., V] / τ): one WebGPU program forward and
 * one backward on the webgpu backend; gatherLogProbsStock elsewhere.
 */
export function gatherLogProbsFused(logits: tf.Tensor, targets: tf.Tensor, temperature: number): tf.Tensor {
  if (!onWebGPU()) return gatherLogProbsStock(logits, targets, temperature);
  // the program reads i32
  tf.util.assert(targets.dtype === 'int32', () => `targets must be int32, got ${targets.dtype}`);
  const V = logits.shape[logits.shape.length - 1];
  const t = tf.reshape(targets, [-1]);
  const gather2d = customGrad((z: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([z, t]); // reshapes made in the forward pass: only saved tensors outlive it
    return {
      value: runKernel(FORWARD, { logits: z, targets: t }, { temperature }),
      gradFunc: (dy: tf.Tensor1D, [zs, ts]: tf.Tensor[]) =>
        runKernel(BACKWARD, { logits: zs, targets: ts, dy }, { temperature }),
    };
  });
  return tf.reshape(gather2d(tf.reshape(logits, [-1, V])), targets.shape);
}
