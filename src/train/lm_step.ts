// One supervised language-model step: masked token NLL, backward, global-norm clipping, AdamW. A batch may
// run in micro-batches (each its share of the batch's per-token mean, gradients summed: the same update),
// and the forward may recompute each block in the backward pass (model.ts); both trade time for memory.
// The loss and the grad norm come back in ONE readback per step. Used by SFT (prompt masked) and the
// smoke train. GRPO has its own loss (train/grpo_step.ts) but the same optimizer path. With LoRA adapters only
// they train (AdamW moments for them alone), with their dropout seeded by the trainer's step count.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import { trainableParams, withLoraDropout } from '../engine/lora';
import { maskedNll, type ModelParams } from '../engine/model';
import { clipCoefficient, createAdamW, type AdamW, type AdamWConfig } from '../engine/optimizer';
import { addGrads, slices } from './micro_batches';

/** A batch of equal-length rows: predict targets[b][t] from ids[b][..t]; mask 1 where it counts. */
export interface LmBatch {
  ids: number[][];
  targets: number[][];
  mask: number[][];
}

export interface LmStepResult {
  loss: number;
  gradNorm: number;
  tokens: number;
}

export interface LmTrainer {
  /** Its AdamW, e.g. to save and restore the moments with a resume snapshot. */
  readonly optimizer: AdamW;
  step(batch: LmBatch, lr: number): Promise<LmStepResult>;
  /** Mean masked NLL without a gradient (held-out loss). */
  evalLoss(batch: LmBatch): Promise<number>;
  dispose(): void;
}

/** Rows [first, first + n) of a batch. */
const rowsOfBatch = (b: LmBatch, first: number, n: number): LmBatch => ({
  ids: b.ids.slice(first, first + n),
  targets: b.targets.slice(first, first + n),
  mask: b.mask.slice(first, first + n),
});

/** How a step spends memory: rows per forward/backward (0: the whole batch), blocks recomputed or kept. */
export interface LmMemoryOptions {
  microBatch?: number;
  recompute?: boolean;
}

export function batchTensors(batch: LmBatch) {
  return {
    ids: tf.tensor2d(batch.ids, undefined, 'int32'),
    targets: tf.tensor2d(batch.targets, undefined, 'int32'),
    mask: tf.tensor2d(batch.mask, undefined, 'float32'),
  };
}

const maskedTokens = (b: LmBatch) => b.mask.reduce((n, row) => n + row.reduce((a, x) => a + x, 0), 0);

/**
 * The batch's mean masked NLL and its gradients by variable name (for `vars`), micro-batch by micro-batch,
 * each its share of the whole batch's per-token mean, so the sums are the batch's. Call inside a tidy.
 * One dropout scope for all micro-batches: their masks are successive draws of `dropoutSeed`.
 */
export function lmLossAndGrads(
  params: ModelParams,
  cfg: LlamaConfig,
  batch: LmBatch,
  vars: tf.Variable[],
  o: LmMemoryOptions & { dropoutSeed: number },
): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  const tokens = maskedTokens(batch);
  return withLoraDropout(o.dropoutSeed, () => {
    let sum: tf.NamedTensorMap | null = null;
    const losses: tf.Tensor[] = [];
    for (const [r, n] of slices(batch.ids.length, o.microBatch ?? 0)) {
      const t = batchTensors(rowsOfBatch(batch, r, n));
      const nll = () => maskedNll(params, cfg, t.ids, t.targets, t.mask, { tokens, recompute: o.recompute });
      const { value, grads } = tf.variableGrads(nll, vars);
      tf.dispose(Object.values(t));
      losses.push(value);
      sum = addGrads(sum, grads);
    }
    const loss = (losses.length === 1 ? losses[0] : tf.sum(tf.stack(losses))) as tf.Scalar;
    return { loss, grads: sum! };
  });
}

export function createLmTrainer(
  params: ModelParams,
  cfg: LlamaConfig,
  opt: AdamWConfig & { maxGradNorm: number; startStep?: number } & LmMemoryOptions,
): LmTrainer {
  // with LoRA adapters only they train (and have AdamW moments); otherwise every parameter
  const trained = trainableParams(params);
  const adam = createAdamW(trained, opt);
  const vars = Object.values(trained);
  // seeds the adapters' dropout: each step draws its own masks, a resumed run those of its steps
  let steps = opt.startStep ?? 0;
  return {
    optimizer: adam,
    async step(batch, lr) {
      const stats = tf.tidy(() => {
        const { loss, grads } = lmLossAndGrads(params, cfg, batch, vars, { ...opt, dropoutSeed: steps });
        const named: Record<string, tf.Tensor> = {};
        for (const [name, v] of Object.entries(trained)) named[name] = grads[v.name];
        const { coef, norm } = clipCoefficient(named, opt.maxGradNorm);
        adam.apply(named, lr, coef ?? undefined); // the fused update clips inside its program
        return tf.stack([loss, norm]);
      });
      steps++;
      const [loss, gradNorm] = await stats.data(); // the step's one readback
      stats.dispose();
      return { loss, gradNorm, tokens: maskedTokens(batch) };
    },
    async evalLoss(batch) {
      const l = tf.tidy(() => {
        const t = batchTensors(batch);
        return maskedNll(params, cfg, t.ids, t.targets, t.mask);
      });
      const [v] = await l.data();
      l.dispose();
      return v;
    },
    dispose: () => adam.dispose(),
  };
}
