// One supervised language-model step: masked token NLL, backward, global-norm clipping, AdamW.
// The loss and the grad norm come back in ONE readback per step. Used by SFT (prompt masked) and the
// smoke train. GRPO has its own loss (train/grpo_step.ts) but the same optimizer path. With LoRA adapters only
// they train (AdamW moments for them alone), with their dropout seeded by the trainer's step count.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../engine/config';
import { trainableParams, withLoraDropout } from '../engine/lora';
import { maskedNll, type ModelParams } from '../engine/model';
import { clipCoefficient, createAdamW, type AdamW, type AdamWConfig } from '../engine/optimizer';

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

export function batchTensors(batch: LmBatch) {
  return {
    ids: tf.tensor2d(batch.ids, undefined, 'int32'),
    targets: tf.tensor2d(batch.targets, undefined, 'int32'),
    mask: tf.tensor2d(batch.mask, undefined, 'float32'),
  };
}

export function createLmTrainer(
  params: ModelParams,
  cfg: LlamaConfig,
  opt: AdamWConfig & { maxGradNorm: number; startStep?: number },
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
        const t = batchTensors(batch);
        const loss = () => withLoraDropout(steps, () => maskedNll(params, cfg, t.ids, t.targets, t.mask));
        const { value, grads } = tf.variableGrads(loss, vars);
        const named: Record<string, tf.Tensor> = {};
        for (const [name, v] of Object.entries(trained)) named[name] = grads[v.name];
        const { coef, norm } = clipCoefficient(named, opt.maxGradNorm);
        adam.apply(named, lr, coef ?? undefined); // the fused update clips inside its program
        return tf.stack([value, norm]);
      });
      steps++;
      const [loss, gradNorm] = await stats.data(); // the step's one readback
      stats.dispose();
      const tokens = batch.mask.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
      return { loss, gradNorm, tokens };
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
