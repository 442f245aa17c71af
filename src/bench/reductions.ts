// The fused kernels whose programs reduce across rows, timed with subgroup reductions and without
// (kernels/subgroups.ts) on one model's shapes: RMSNorm and add + RMSNorm (forward), decode attention over a
// cache, training attention and the target log-probs (forward and backward), and top-k sampling (32 counting
// passes, each a row sum). Per kernel: ms per call, `repeats` calls back to back with one readback at the end
// after an untimed call that compiles, and the GPU dispatches of one call, which the two paths must share.
// WebGPU only; a device without subgroups gets the shared-memory rows alone.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { installCounters } from '../engine/instrument';
import { addRmsNormFused } from '../engine/kernels/add_rms_norm';
import { attendFused, attendMergedFused } from '../engine/kernels/attention';
import { withFusedKernels } from '../engine/kernels/fused';
import { gatherLogProbsFused } from '../engine/kernels/log_probs';
import { rmsNormFused } from '../engine/kernels/rms_norm';
import { deviceHasSubgroups, withSubgroups } from '../engine/kernels/subgroups';
import { sampleTokens } from '../engine/sampling';

/** The shapes that matter: hidden size, heads, kv heads, head dim, vocabulary. */
export interface ReductionShape {
  model: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export interface ReductionRow {
  kernel: string;
  shapes: string;
  subgroups: boolean;
  msPerCall: number;
  dispatches: number;
}

interface Case {
  kernel: string;
  shapes: string;
  call: () => tf.TensorContainer;
}

const rand = (shape: number[]) => tf.randomNormal(shape);

/** rows: decode's batch; tokens: training's sequence; context: keys in the decode cache. */
function cases(
  s: ReductionShape,
  rows: number,
  tokens: number,
  context: number,
): { cases: Case[]; inputs: tf.Tensor[] } {
  const { hidden: C, heads: H, kvHeads: Hkv, headDim: D, vocab: V } = s;
  const x = rand([tokens, C]),
    r = rand([tokens, C]),
    w = tf.ones([C]);
  const q1 = rand([rows, H, 1, D]),
    kc = rand([rows, Hkv, context, D]),
    vc = rand([rows, Hkv, context, D]),
    open = tf.zeros([rows, 1, 1, context]);
  const q = rand([1, H, tokens, D]),
    k = rand([1, Hkv, tokens, D]),
    v = rand([1, tokens, Hkv * D]),
    causal = tf.tidy(() =>
      tf.linalg
        .bandPart(tf.ones([tokens, tokens]), -1, 0)
        .sub(1)
        .mul(1e9)
        .reshape([1, 1, tokens, tokens]),
    );
  const logits = rand([tokens, V]),
    targets = tf.randomUniformInt([tokens], 0, V),
    next = rand([rows, V]) as tf.Tensor2D;
  const inputs = [x, r, w, q1, kc, vc, open, q, k, v, causal, logits, targets, next];
  const list: Case[] = [
    { kernel: 'RMSNorm', shapes: `x [${tokens},${C}]`, call: () => rmsNormFused(x, w, 1e-5) },
    {
      kernel: 'residual add + RMSNorm',
      shapes: `x, r [${tokens},${C}]`,
      call: () => addRmsNormFused(x, r, w, 1e-5),
    },
    {
      kernel: 'decode attention',
      shapes: `q [${rows},${H},1,${D}], cache [${rows},${Hkv},${context},${D}]`,
      call: () => attendFused(q1, kc, vc, open),
    },
    {
      kernel: 'training attention, forward and backward',
      shapes: `q [1,${H},${tokens},${D}], k [1,${Hkv},${tokens},${D}], v [1,${tokens},${Hkv}·${D}]`,
      call: () => tf.grads((a, b, c) => attendMergedFused(a, b, c, causal, H, Hkv))([q, k, v]),
    },
    {
      kernel: 'target log-probs, forward and backward',
      shapes: `logits [${tokens},${V}]`,
      call: () => tf.grad((z) => gatherLogProbsFused(z, targets, 1))(logits),
    },
    {
      kernel: 'sampling, top-k 40',
      shapes: `logits [${rows},${V}]`,
      call: () => withFusedKernels(true, () => sampleTokens(next, { temperature: 0.8, topK: 40, seed: 1 })),
    },
  ];
  return { cases: list, inputs };
}

function firstTensor(out: tf.TensorContainer): tf.Tensor | undefined {
  if (out instanceof tf.Tensor) return out;
  if (Array.isArray(out)) return firstTensor(out[0]);
  return out && typeof out === 'object' ? firstTensor(Object.values(out)[0]) : undefined;
}

async function msPerCall(call: () => tf.TensorContainer, repeats: number): Promise<number> {
  const settle = async (out: tf.TensorContainer) => {
    await firstTensor(out)?.data(); // a readback submits all queued work; then wait for all of it
    await (tf.backend() as WebGPUBackend).device.queue.onSubmittedWorkDone();
    tf.dispose(out);
  };
  await settle(call()); // compiles
  const t = performance.now();
  let last: tf.TensorContainer = [];
  for (let i = 0; i < repeats; i++) {
    tf.dispose(last);
    last = call();
  }
  await settle(last);
  return (performance.now() - t) / repeats;
}

function dispatchesOf(call: () => tf.TensorContainer): number {
  const c = installCounters();
  c.reset();
  tf.dispose(call());
  c.uninstall();
  return c.counts.gpuDispatches;
}

/** Each kernel with subgroups (where the device has them), then without, on `s`'s shapes. */
export async function benchReductions(
  s: ReductionShape,
  o: { rows: number; tokens: number; context: number; repeats: number },
): Promise<ReductionRow[]> {
  const paths = deviceHasSubgroups(tf.backend() as WebGPUBackend) ? [true, false] : [false];
  const out: ReductionRow[] = [];
  const { cases: list, inputs } = cases(s, o.rows, o.tokens, o.context);
  try {
    for (const c of list)
      for (const subgroups of paths)
        await withSubgroups(subgroups, async () => {
          const call = () => tf.tidy(c.call); // the reshapes and the backward's intermediates go too
          const ms = await msPerCall(call, o.repeats);
          out.push({ kernel: c.kernel, shapes: c.shapes, subgroups, msPerCall: ms, dispatches: dispatchesOf(call) });
        });
  } finally {
    tf.dispose(inputs);
  }
  return out;
}
