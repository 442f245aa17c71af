// GRPO's loss as tensors, the mirror of the pure rm/grpo.ts (which the spec vectors check):
//   ℓ_{i,t} = −min(ρA_i, clip(ρ, 1−ε_low, 1+ε_high)A_i) + β·k3,   ρ = exp(ℓp − ℓp_old),
//   k3 = exp(d) − d − 1, d = ℓp_ref − ℓp,   loss = Σ w_i·m_{i,t}·ℓ_{i,t}
// with w_i from rm/grpo.ts `tokenWeights` (the loss_type), computed on the CPU and passed in.
// Clamps as verl: ℓp − ℓp_old and d to ±20, k3 ≤ 10; masked after, so pads never make NaN.
import * as tf from '@tensorflow/tfjs';
import { KL_CLAMP, LOG_RATIO_CLAMP, type ClipConfig } from '../rm/grpo';

export interface GrpoLossTensors {
  per_token_logps: tf.Tensor2D; // ℓp [B, T], differentiable
  old_per_token_logps: tf.Tensor2D; // ℓp_old [B, T], sampling-time, constant
  ref_per_token_logps: tf.Tensor2D; // ℓp_ref [B, T], frozen reference, constant
  completion_mask: tf.Tensor2D; // m [B, T]
  advantages: tf.Tensor1D; // A [B]
  weights: tf.Tensor1D; // w [B] from tokenWeights
}

/** Straight-through clamp: the value is clamped, the gradient is 0 outside [lo, hi] (like torch.clamp). */
const clamp = (x: tf.Tensor, lo: number, hi: number) => tf.clipByValue(x, lo, hi);

/** Returns the scalar loss and the per-token k3 (for logging). */
export function grpoLossTensor(x: GrpoLossTensors, cfg: ClipConfig): { loss: tf.Scalar; per_token_kl: tf.Tensor2D } {
  return tf.tidy(() => {
    const A = tf.expandDims(x.advantages, 1); // [B, 1]
    const coef_1 = tf.exp(clamp(tf.sub(x.per_token_logps, x.old_per_token_logps), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP));
    const coef_2 = clamp(coef_1, 1 - cfg.epsilonLow, 1 + cfg.epsilonHigh);
    const surrogate = tf.minimum(tf.mul(coef_1, A), tf.mul(coef_2, A));
    const d = clamp(tf.sub(x.ref_per_token_logps, x.per_token_logps), -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP);
    const per_token_kl = tf.minimum(tf.sub(tf.sub(tf.exp(d), d), 1), KL_CLAMP) as tf.Tensor2D;
    const per_token_loss =
      cfg.beta === 0 ? tf.neg(surrogate) : tf.add(tf.neg(surrogate), tf.mul(per_token_kl, cfg.beta));
    const w = tf.mul(x.completion_mask, tf.expandDims(x.weights, 1));
    return {
      loss: tf.sum(tf.mul(per_token_loss, w)) as tf.Scalar,
      per_token_kl: tf.mul(per_token_kl, x.completion_mask) as tf.Tensor2D,
    };
  });
}
