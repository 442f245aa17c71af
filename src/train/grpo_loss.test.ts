// The tensor GRPO loss equals the pure rm/grpo.ts (checked against the spec vectors) in value and in
// its gradient wrt per_token_logps, for every loss type, on batches that hit both clip sides and pads.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../engine/rng';
import { grpoLoss, tokenWeights, type LossType } from '../rm/grpo';
import { switchTestBackend } from '../engine/test_backends';
import { grpoLossTensor } from './grpo_loss';

function randomBatch(seed: number, B = 6, T = 7) {
  const r = createRng(seed);
  const mask = Array.from({ length: B }, () => {
    const n = 1 + r.int(T);
    return Array.from({ length: T }, (_, t) => (t < n ? 1 : 0));
  });
  const lp = mask.map((row) => row.map(() => -0.2 - 2 * r.next()));
  const old = lp.map((row) => row.map((x) => x + (r.next() - 0.5) * 0.9)); // ratios well outside [0.8, 1.28]
  const ref = lp.map((row) => row.map((x) => x + (r.next() - 0.5)));
  const adv = mask.map(() => (r.next() - 0.5) * 3);
  return { mask, lp, old, ref, adv };
}

describe('GRPO loss tensors vs the pure reference', () => {
  beforeAll(() => switchTestBackend('cpu'));
  const types: LossType[] = ['token_mean', 'seq_mean_token_mean', 'dr_grpo'];
  for (const lossType of types) {
    it(`${lossType}: loss and ∂loss/∂ℓp match (relative 1e-4, absolute 1e-6)`, async () => {
      for (const seed of [1, 2, 3]) {
        const b = randomBatch(seed);
        const cfg = { beta: 0.04, epsilonLow: 0.2, epsilonHigh: 0.28, lossType, maxCompletionLength: 9 };
        const ref = grpoLoss(
          {
            per_token_logps: b.lp,
            old_per_token_logps: b.old,
            ref_per_token_logps: b.ref,
            completion_mask: b.mask,
            advantages: b.adv,
          },
          cfg,
        );
        const clipped = ref.terms.flat().filter((t) => t.is_low_clipped || t.is_high_clipped).length;
        expect(clipped).toBeGreaterThan(0); // the batch exercises the clipped branch
        const weights = tf.tensor1d(tokenWeights(b.mask, cfg));
        const consts = {
          old_per_token_logps: tf.tensor2d(b.old),
          ref_per_token_logps: tf.tensor2d(b.ref),
          completion_mask: tf.tensor2d(b.mask),
          advantages: tf.tensor1d(b.adv),
          weights,
        };
        const lp = tf.tensor2d(b.lp);
        const { value, grads } = tf.valueAndGrads(
          (x: tf.Tensor) => grpoLossTensor({ ...consts, per_token_logps: x as tf.Tensor2D }, cfg).loss,
        )([lp]);
        const loss = (await value.data())[0];
        expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-6 + 1e-4 * Math.abs(ref.loss));
        const g = await grads[0].data();
        ref.grad
          .flat()
          .forEach((want, i) => expect(Math.abs(g[i] - want), `grad[${i}]`).toBeLessThan(1e-6 + 1e-4 * Math.abs(want)));
        tf.dispose([value, lp, ...grads, ...Object.values(consts)]);
      }
    });
  }
});
