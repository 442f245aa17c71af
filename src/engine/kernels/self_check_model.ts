// The self-check's end-to-end cases: the whole nano model with the fused switch on against off, so a
// kernel called in a way no per-kernel case foresaw (a layout, a number of readers, a padded batch) still
// shows. One training step's objective (GRPO's scoring of a left-padded batch at τ = 0.7) and every
// parameter gradient; and the generation path, a KV-cache prefill of a left-padded batch and a decode step.
import * as tf from '@tensorflow/tfjs';
import { type LlamaConfig, presetConfig } from '../config';
import { decodeStep } from '../decode';
import { prefill } from '../generate';
import { createKVCache } from '../kv_cache';
import { initParams, tokenLogProbs, type ModelParams } from '../model';
import { withFusedKernels } from './fused';
import { compareForward, type Diffs, flat, maxDiff } from './kernel_compare';
import type { KernelCase } from './self_check_cases';

// nano as the app trains it (2 layers, GQA 2:1, untied head), with larger weights so the gradients are not tiny
const CFG = presetConfig(
  'nano',
  { vocab_size: 71, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
  { initializer_range: 0.3 },
);

/** GRPO's scoring objective Σ w·log p and every parameter gradient (in name order), with the switch at `fused`. */
export function stepOutputs(p: ModelParams, fused: boolean, cfg: LlamaConfig = CFG): [tf.Tensor, tf.Tensor] {
  return withFusedKernels(fused, () =>
    tf.tidy(() => {
      // a left-padded batch scored at a sampling temperature: padded positions, per-row RoPE tables, GQA
      const ids = tf.tensor2d(
        [
          [1, 5, 9, 4, 7, 3, 30],
          [0, 0, 1, 8, 2, 6, 11],
        ],
        undefined,
        'int32',
      );
      const targets = tf.tensor2d(
        [
          [5, 9, 4, 7, 3, 30, 12],
          [0, 1, 8, 2, 6, 11, 13],
        ],
        undefined,
        'int32',
      );
      const attentionMask = tf.tensor2d(
        [
          [1, 1, 1, 1, 1, 1, 1],
          [0, 0, 1, 1, 1, 1, 1],
        ],
        undefined,
        'int32',
      );
      const weights = tf.tensor2d([
        [0.5, -1, 2, 1, 0.3, -0.7, 0.2],
        [0, 0, -0.4, 0.9, -1.1, 0.6, -0.3],
      ]);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(tokenLogProbs(p, cfg, ids, targets, { attentionMask, temperature: 0.7 }), weights),
          ) as tf.Scalar,
        Object.values(p),
      );
      return [value, flat(Object.values(p).map((v) => grads[v.name]))];
    }),
  );
}

async function trainingStep(): Promise<Diffs> {
  const params = initParams(CFG, 3);
  try {
    const [yf, gf] = stepOutputs(params, true);
    const [ys, gs] = stepOutputs(params, false);
    const d = { forward: await maxDiff(yf, ys), gradient: await maxDiff(gf, gs) };
    tf.dispose([yf, gf, ys, gs]);
    return d;
  } finally {
    tf.dispose(Object.values(params));
  }
}

/** Prefill logits and one decode step's logits, joined, with the switch at `fused`. */
export function generationLogits(p: ModelParams, fused: boolean, cfg: LlamaConfig = CFG): tf.Tensor {
  return withFusedKernels(fused, () => {
    const ids = tf.tensor2d(
      [
        [0, 0, 1, 5],
        [1, 7, 3, 9],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d(
      [
        [0, 0, 1, 1],
        [1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const next = tf.tensor1d([12, 13], 'int32');
    const cache = createKVCache(cfg, 2, 7);
    try {
      const first = prefill(p, cfg, cache, ids, mask);
      const step = decodeStep(p, cfg, cache, next, [2, 4], 4); // one query against all 7 slots
      const out = flat([first, step]);
      tf.dispose([first, step]);
      return out;
    } finally {
      cache.dispose();
      tf.dispose([ids, mask, next]);
    }
  });
}

async function generation(): Promise<Diffs> {
  const params = initParams(CFG, 5);
  return compareForward(
    () => generationLogits(params, true),
    () => generationLogits(params, false),
    Object.values(params),
  );
}

export const MODEL_CASES: KernelCase[] = [
  {
    kernel: 'nano model, one training step: loss and every parameter gradient (left-padded batch, τ = 0.7)',
    shapes: 'ids [2,7], 2 layers, 2 heads (1 kv)',
    run: trainingStep,
  },
  {
    kernel: 'nano model, generation: KV-cache prefill of a left-padded batch and a decode step',
    shapes: 'prompts [2,4], cache of 7',
    run: generation,
  },
];
