// GRPO's loss batch: the sampled judgements padded into one [B, P + L] batch with bucketed lengths, put on
// the device once per step (with ℓp_ref, computed there) and shared by the μ iterations. Large batches run
// in micro-batches of grpo.microBatch rows (memory, not maths). Leaves out the loss itself (grpo_update.ts).
import * as tf from '@tensorflow/tfjs';
import { leftPad } from '../engine/generate';
import { withAdaptersOff } from '../engine/lora';
import { tokenLogProbs, type ModelParams } from '../engine/model';
import { tokenWeights } from '../rm/grpo';
import type { AdvantageStage, GrpoConfig, GrpoModels, SampleStage } from './grpo_types';
import { slices } from './micro_batches';

/** Rounds n up to a multiple of `bucket`. */
const roundUp = (n: number, bucket: number) => Math.ceil(n / bucket) * bucket;

/** The batch as plain arrays: ids/targets/attention [B][P + L − 1], completion mask and ℓp_old [B][L]. */
export interface PaddedBatch {
  ids: number[][];
  targets: number[][];
  attn: number[][];
  mask: number[][];
  old: number[][];
  P: number; // prompt width (left-padded)
  L: number; // completion width (right-padded)
}

/**
 * Prompts left-padded and completions right-padded, both to bucketed lengths, so steps reuse a few shapes
 * and the GPU buffer pool (which keeps a buffer per exact size) stops growing. Padding changes nothing:
 * padded keys are masked out of attention, positions come from the mask, and padded completion tokens
 * have weight 0. The completion length is bucketed first; the prompt gets the rest of the context, so no
 * real token is ever cut.
 */
export function padBatch(m: GrpoModels, s: SampleStage, g: GrpoConfig): PaddedBatch {
  const ctx = m.cfg.max_position_embeddings;
  const pad = m.tok.padId;
  const { ids: shortIds, mask: shortMask } = leftPad(
    s.completions.map((c) => s.promptIds[c.group]),
    pad,
  );
  const longest = Math.max(1, ...s.completions.map((c) => c.tokens.length));
  const L = Math.min(roundUp(longest, g.lengthBucket), ctx - shortIds[0].length + 1);
  const P = Math.min(roundUp(shortIds[0].length, g.lengthBucket), ctx - L + 1);
  const extra = P - shortIds[0].length;
  const b: PaddedBatch = { ids: [], targets: [], attn: [], mask: [], old: [], P, L };
  s.completions.forEach((c, i) => {
    const full = [
      ...new Array(extra).fill(pad),
      ...shortIds[i],
      ...c.tokens,
      ...new Array(L - c.tokens.length).fill(pad),
    ];
    b.ids.push(full.slice(0, P + L - 1));
    b.targets.push(full.slice(1));
    b.attn.push([...new Array(extra).fill(0), ...shortMask[i], ...new Array(L - 1).fill(1)]);
    b.mask.push(Array.from({ length: L }, (_, t) => (t < c.tokens.length ? 1 : 0)));
    b.old.push(Array.from({ length: L }, (_, t) => c.logps[t] ?? 0));
  });
  return b;
}

/** The loss batch's tensors; `ref` is ℓp_ref [B, L] under the frozen reference. */
export type LossTensors = {
  ids: tf.Tensor2D;
  targets: tf.Tensor2D;
  attn: tf.Tensor2D;
  mask: tf.Tensor2D;
  old: tf.Tensor2D;
  adv: tf.Tensor1D;
  w: tf.Tensor1D;
  ref: tf.Tensor2D;
}; // a type, not an interface: tf.tidy returns it as a TensorContainer

/** The loss batch on the device, shared by the μ iterations of one step; dispose() frees it. */
export interface LossInputs {
  readonly B: number;
  readonly P: number;
  readonly L: number;
  readonly sliceRows: number; // rows per micro-batch
  readonly mask: number[][];
  readonly old: number[][];
  ref: number[][] | null; // ℓp_ref, read back with the first loss
  readonly t: LossTensors;
  dispose(): void;
}

export function prepareLoss(m: GrpoModels, g: GrpoConfig, s: SampleStage, a: AdvantageStage): LossInputs {
  const b = padBatch(m, s, g);
  const micro = g.microBatch;
  const sliceRows = micro > 0 ? Math.min(micro, b.ids.length) : b.ids.length;
  const weights = tokenWeights(b.mask, { lossType: g.lossType, maxCompletionLength: g.maxCompletionLength });
  const t = tf.tidy((): LossTensors => {
    const ids = tf.tensor2d(b.ids, undefined, 'int32'),
      targets = tf.tensor2d(b.targets, undefined, 'int32'),
      attn = tf.tensor2d(b.attn, undefined, 'int32');
    const refSlices = slices(b.ids.length, sliceRows).map(([r, n]) => {
      const lp = (p: ModelParams) =>
        completionLogps(m, g, p, rowsOf(ids, r, n), rowsOf(targets, r, n), rowsOf(attn, r, n), b.P, b.L);
      return m.reference ? lp(m.reference) : withAdaptersOff(() => lp(m.policy));
    });
    return {
      ids,
      targets,
      attn,
      mask: tf.tensor2d(b.mask),
      old: tf.tensor2d(b.old),
      adv: tf.tensor1d(a.advantages),
      w: tf.tensor1d(weights),
      ref: tf.concat(refSlices),
    };
  });
  return {
    B: b.ids.length,
    P: b.P,
    L: b.L,
    sliceRows,
    mask: b.mask,
    old: b.old,
    ref: null,
    t,
    dispose: () => tf.dispose(Object.values(t)),
  };
}

/** Rows [first, first + n) of x; x itself when that is all of it. */
export function rowsOf<T extends tf.Tensor>(x: T, first: number, n: number): T {
  return first === 0 && n === x.shape[0] ? x : tf.slice(x, first, n);
}

/** ℓp of the completion tokens [B, L] at the sampling temperature. */
function completionLogps(
  m: GrpoModels,
  g: GrpoConfig,
  params: ModelParams,
  ids: tf.Tensor2D,
  targets: tf.Tensor2D,
  attn: tf.Tensor2D,
  P: number,
  L: number,
): tf.Tensor2D {
  // the judgement's positions; no gradient: one block's intermediates at a time
  const opts = { attentionMask: attn, temperature: g.temperature, headFrom: P - 1, noGrad: true };
  return tf.tidy(() => tf.slice(tokenLogProbs(params, m.cfg, ids, targets, opts), [0, 0], [ids.shape[0], L]));
}
