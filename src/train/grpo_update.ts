// GRPO's stages 4 and 5 on the device: the loss and its backward pass over the loss batch (slice by slice,
// gradients summed, then one global clip), with one readback per iteration (loss, grad norm, ℓp, entropy,
// and ℓp_ref once) from which the CPU derives ratios, clipping and KL with the pure rm/grpo.ts; then the
// AdamW step. Also the re-measure of Σ_t ℓp per judgement that the step-through shows after an update.
import * as tf from '@tensorflow/tfjs';
import { trainableParams } from '../engine/lora';
import { tokenLogProbs, tokenLogProbsAndEntropy } from '../engine/model';
import { clipByGlobalNorm } from '../engine/optimizer';
import { tokenTerms, type ClipConfig } from '../rm/grpo';
import { padBatch, rowsOf, type LossInputs } from './grpo_batch';
import { grpoLossTensor } from './grpo_loss';
import { lossMetrics } from './grpo_step_metrics';
import { addGrads, slices } from './micro_batches';
import type { AdvantageStage, GrpoConfig, GrpoModels, LossStage, SampleStage } from './grpo_types';

const clipOf = (g: GrpoConfig): ClipConfig => ({ beta: g.beta, epsilonLow: g.epsilon, epsilonHigh: g.epsilonHigh });

/** Per-slice losses, ℓp and entropy [n, L] (kept), and the gradients summed over the slices. */
interface SlicedBackward {
  losses: tf.Tensor[];
  lps: tf.Tensor[];
  ents: tf.Tensor[];
  sum: tf.NamedTensorMap; // by variable name
}

/**
 * The loss is a weighted sum over rows (weights normalised over the whole batch), so the gradients of row
 * slices add up to the batch's: a large batch runs slice by slice within WASM's heap, then one clip.
 */
function slicedBackward(m: GrpoModels, g: GrpoConfig, x: LossInputs): SlicedBackward {
  const { t, P, L } = x;
  const vars = Object.values(trainableParams(m.policy)); // the adapters alone when it has LoRA adapters
  const out: SlicedBackward = { losses: [], lps: [], ents: [], sum: {} };
  let sum: tf.NamedTensorMap | null = null;
  for (const [r, n] of slices(x.B, x.sliceRows)) {
    const { value, grads } = tf.tidy(() => {
      // Slices are made outside the taped function: custom gradients (the embedding's) read them later.
      const ids = rowsOf(t.ids, r, n),
        targets = rowsOf(t.targets, r, n),
        attn = rowsOf(t.attn, r, n);
      const rest = {
        old_per_token_logps: rowsOf(t.old, r, n),
        ref_per_token_logps: rowsOf(t.ref, r, n),
        completion_mask: rowsOf(t.mask, r, n),
        advantages: tf.slice(t.adv, [r], [n]),
        weights: tf.slice(t.w, [r], [n]),
      };
      return tf.variableGrads(() => {
        const opts = { attentionMask: attn, temperature: g.temperature, entropy: true, recompute: g.recompute };
        // the head over the judgement's positions alone (from P − 1, which predicts its first token)
        const { logps, entropy } = tokenLogProbsAndEntropy(m.policy, m.cfg, ids, targets, { ...opts, headFrom: P - 1 });
        const lp = tf.slice(logps, [0, 0], [n, L]);
        out.lps.push(tf.keep(lp));
        out.ents.push(tf.keep(tf.slice(entropy!, [0, 0], [n, L])));
        return grpoLossTensor({ per_token_logps: lp, ...rest }, clipOf(g)).loss;
      }, vars);
    });
    out.losses.push(value);
    sum = addGrads(sum, grads);
  }
  out.sum = sum ?? {};
  return out;
}

/** Clips the summed gradients (kept, by parameter name) and packs what the CPU needs into one tensor. */
function clipAndPack(m: GrpoModels, g: GrpoConfig, x: LossInputs, b: SlicedBackward) {
  let grads: Record<string, tf.Tensor> = {};
  const packed = tf.tidy(() => {
    const named = Object.fromEntries(
      Object.entries(trainableParams(m.policy)).map(([name, v]) => [name, b.sum[v.name]]),
    );
    const { grads: clipped, norm } = clipByGlobalNorm(named, g.maxGradNorm);
    grads = Object.fromEntries(Object.entries(clipped).map(([name, v]) => [name, tf.keep(v)]));
    // stack + sum, not addN: WebGPU's AddN binds every input at once and fails past 7 (64 prompts per step)
    const parts = [
      tf.reshape(tf.sum(tf.stack(b.losses)), [1]),
      tf.reshape(norm, [1]),
      ...b.lps.map((k) => tf.reshape(k, [-1])),
      ...b.ents.map((k) => tf.reshape(k, [-1])),
    ];
    if (x.ref === null) parts.push(tf.reshape(x.t.ref, [-1]));
    return tf.concat(parts);
  });
  const spent = new Set(Object.values(grads));
  // unclipped, the sums are the gradients
  tf.dispose([...b.losses, ...b.lps, ...b.ents, ...Object.values(b.sum).filter((v) => !spent.has(v))]);
  return { grads, packed };
}

/**
 * Stage 4: the loss and its backward pass. Returns the plain-data report and the clipped gradients, which
 * stay on the device until `applyUpdate` (stage 5) spends them. One readback: loss, norm, ℓp (and ℓp_ref once).
 */
export async function lossStage(
  m: GrpoModels,
  g: GrpoConfig,
  x: LossInputs,
  a: AdvantageStage,
  iteration: number,
): Promise<{ report: LossStage; grads: Record<string, tf.Tensor> }> {
  const { B, L } = x;
  const { grads, packed } = clipAndPack(m, g, x, slicedBackward(m, g, x));
  const data = await packed.data(); // the iteration's one readback
  packed.dispose();
  const rows = (off: number) =>
    Array.from({ length: B }, (_, i) => Array.from(data.subarray(off + i * L, off + (i + 1) * L)));
  const per_token_logps = rows(2);
  x.ref ??= rows(2 + 2 * B * L);
  const terms = tokenTerms(
    {
      per_token_logps,
      old_per_token_logps: x.old,
      ref_per_token_logps: x.ref,
      completion_mask: x.mask,
      advantages: a.advantages,
    },
    clipOf(g),
  );
  const report: LossStage = {
    iteration,
    loss: data[0],
    gradNorm: data[1],
    per_token_logps,
    ratio: terms.map((r) => r.map((v) => v.coef_1)),
    kl: terms.map((r) => r.map((v) => v.per_token_kl)),
    clipped: terms.map((r) => r.map((v) => v.is_low_clipped || v.is_high_clipped)),
    metrics: lossMetrics(terms, x.mask, rows(2 + B * L), g.beta),
  };
  return { report, grads };
}

/** Stage 5: one AdamW step with the clipped gradients of stage 4 (which it frees). */
export function applyUpdate(m: GrpoModels, grads: Record<string, tf.Tensor>, lr: number): void {
  try {
    m.optimizer.apply(grads, lr);
  } finally {
    tf.dispose(Object.values(grads));
  }
}

/** Σ_t ℓp of each judgement under the current policy (the step-through's "what changed"). */
export async function sequenceLogps(m: GrpoModels, g: GrpoConfig, s: SampleStage): Promise<number[]> {
  const b = padBatch(m, s, g);
  const sums = tf.tidy(() => {
    const lp = tokenLogProbs(
      m.policy,
      m.cfg,
      tf.tensor2d(b.ids, undefined, 'int32'),
      tf.tensor2d(b.targets, undefined, 'int32'),
      {
        attentionMask: tf.tensor2d(b.attn, undefined, 'int32'),
        temperature: g.temperature,
        headFrom: b.P - 1,
        noGrad: true,
      },
    );
    return tf.sum(tf.mul(tf.slice(lp, [0, 0], [b.ids.length, b.L]), tf.tensor2d(b.mask)), 1);
  });
  const v = Array.from(await sums.data());
  sums.dispose();
  return v;
}
