// The self-check's cases for the real models' shapes (self_check.ts runs them with the others): attention
// with GQA 3:1 (SmolLM2), 7:1 (Qwen2.5) and 2:1 at head_dim 128 (Qwen3), training and decode layouts; RoPE
// of q and k at head_dim 128, theta 1e6, far positions; Qwen3's per-head q/k RMSNorm; the decode step's
// cache write with q/k norms; and a nano model with every switch of the family on (q/k/v/o biases, q/k
// norms, head_dim ≠ C / H, GQA 7:1), training step and generation, fused against stock. Sequences stay
// nano: the head dims are the real ones, the lengths are not.
import * as tf from '@tensorflow/tfjs';
import { type LlamaConfig, presetConfig, validateConfig } from '../config';
import { createKVCache } from '../kv_cache';
import { initParams, maskTensors, NEG_SCORE } from '../model';
import { ropeRows } from '../rope_tables';
import { attendFused, attendMergedFused, attendMergedStock, attendStock, repeatKv } from './attention';
import { randn } from './check_tensor';
import { compareDifferentiable, compareForward, type Diffs, flat, maxDiff } from './kernel_compare';
import { writeStepKv, writeStepKvStock } from './kv_write';
import { rmsNormFused, rmsNormStock } from './rms_norm';
import { ropeHeadsStock, ropeQkFused } from './rope';
import type { KernelCase } from './self_check_cases';
import { generationLogits, stepOutputs } from './self_check_model';

const ids = { vocab_size: 71, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 };
/** H query heads of head_dim D sharing Hkv kv heads, theta 1e6 (Qwen's). */
const heads = (H: number, Hkv: number, D: number) =>
  presetConfig('nano', ids, { hidden_size: H * D, num_attention_heads: H, num_key_value_heads: Hkv, rope_theta: 1e6 });

/** A left-padded batch of 2: row 1 starts after 2 padding positions. */
const padding = (T: number) => tf.tensor2d([new Array(T).fill(1), [0, 0, ...new Array(T - 2).fill(1)]]);

async function withConstants(constants: tf.Tensor[], work: () => Promise<Diffs>): Promise<Diffs> {
  try {
    return await work();
  } finally {
    tf.dispose(constants);
  }
}

/** Training-path attention: q, k as rotated heads, v as projected, causal with left padding. */
const trainingAttention = (H: number, Hkv: number, D: number, who: string): KernelCase => ({
  kernel: `attention as training calls it, GQA ${H / Hkv}:1, head_dim ${D} (${who}), padded rows`,
  shapes: `q [2,${H},5,${D}], k [2,${Hkv},5,${D}], v [2,5,${Hkv}·${D}]`,
  reduces: true,
  run: () => {
    const bias = tf.tidy(() => maskTensors(padding(5), 5).bias);
    return withConstants([bias], () =>
      compareDifferentiable(
        (q, k, v) => attendMergedFused(q, k, v, bias, H, Hkv),
        (q, k, v) => attendMergedStock(q, k, v, bias, H, Hkv),
        [randn([2, H, 5, D], 101), randn([2, Hkv, 5, D], 102), randn([2, 5, Hkv * D], 103)],
      ),
    );
  },
});

/** Decode attention: one query per row over a cache with some slots closed. */
const decodeAttention = (H: number, Hkv: number, D: number, who: string): KernelCase => ({
  kernel: `decode attention over the cache, GQA ${H / Hkv}:1, head_dim ${D} (${who})`,
  shapes: `q [2,${H},1,${D}], cache [2,${Hkv},6,${D}]`,
  reduces: true,
  run: () => {
    const q = randn([2, H, 1, D], 104),
      k = randn([2, Hkv, 6, D], 105),
      v = randn([2, Hkv, 6, D], 106);
    const bias = tf.tensor([0, 0, 0, 0, NEG_SCORE, NEG_SCORE, NEG_SCORE, 0, 0, 0, 0, NEG_SCORE], [2, 1, 1, 6]);
    return compareForward(
      () => attendFused(q, k, v, bias),
      () => attendStock(q, repeatKv(k, H / Hkv), repeatKv(v, H / Hkv), bias),
      [q, k, v, bias],
    );
  },
});

/** The decode step's cache write with Qwen3's q/k norms, rows at far positions. */
const normedKvWrite = (H: number, Hkv: number, D: number): KernelCase => ({
  kernel: `RoPE + q/k RMSNorm + in-place KV-cache write, GQA ${H / Hkv}:1, head_dim ${D}`,
  shapes: `qkv [2,(${H}+2·${Hkv})·${D}], cache [2,${Hkv},5,${D}]`,
  run: async () => {
    const cfg = heads(H, Hkv, D);
    const rows = ropeRows([3, 30000], cfg);
    const cos = tf.tensor2d(rows.cos, [2, D]),
      sin = tf.tensor2d(rows.sin, [2, D]);
    const qkv = randn([2, (H + 2 * Hkv) * D], 107) as tf.Tensor2D;
    const norm = { weights: tf.tidy(() => tf.add(1, tf.mul(0.2, randn([2 * D], 108)))) as tf.Tensor1D, eps: 1e-6 };
    const [fusedCache, stockCache] = [createKVCache(cfg, 2, 5), createKVCache(cfg, 2, 5)];
    try {
      const qf = writeStepKv(fusedCache, 1, 3, qkv, cos, sin, H, norm),
        qs = writeStepKvStock(stockCache, 1, 3, qkv, cos, sin, H, norm);
      return await compareForward(
        () => flat([qf, fusedCache.k[1], fusedCache.v[1]]),
        () => flat([qs, stockCache.k[1], stockCache.v[1]]),
        [qf, qs],
      );
    } finally {
      tf.dispose([cos, sin, qkv, norm.weights]);
      fusedCache.dispose();
      stockCache.dispose();
    }
  },
});

/** A nano model with every switch on: Qwen3 with attention biases, GQA 7:1, head_dim 8 ≠ 16 / 7. */
const FAMILY: LlamaConfig = validateConfig({
  ...presetConfig('nano', ids, { initializer_range: 0.3 }),
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  num_attention_heads: 7,
  num_key_value_heads: 1,
  head_dim: 8,
  attention_bias: true,
  rope_theta: 1e6,
});

/** Its parameters with the biases and norm weights random too (they start at 0 and 1). */
function familyParams(seed: number) {
  const p = initParams(FAMILY, seed);
  tf.tidy(() => {
    for (const [name, v] of Object.entries(p))
      if (v.rank === 1)
        v.assign(tf.add(name.endsWith('.bias') ? 0 : 1, tf.mul(0.3, randn(v.shape, seed + name.length))));
  });
  return p;
}

export const FAMILY_CASES: KernelCase[] = [
  trainingAttention(6, 2, 64, 'SmolLM2'),
  trainingAttention(7, 1, 64, 'Qwen2.5'),
  decodeAttention(7, 1, 64, 'Qwen2.5'),
  decodeAttention(2, 1, 128, 'Qwen3'),
  {
    kernel: 'RoPE of q and k together, head_dim 128, theta 1e6, positions per row (left padding)',
    shapes: 'q [2,5,2·128], k [2,5,1·128], tables [2,1,5,128]',
    run: () => {
      // each row's positions as the mask gives them, far into a long context
      const rows = ropeRows(
        [0, 1, 2, 3, 4, 0, 0, 0, 1, 2].map((t) => 40000 + t),
        heads(2, 1, 128),
      );
      const cos = tf.tensor4d(rows.cos, [2, 1, 5, 128]),
        sin = tf.tensor4d(rows.sin, [2, 1, 5, 128]);
      return withConstants([cos, sin], () =>
        compareDifferentiable(
          (q, k) => flat(ropeQkFused(q, k, 2, 1, cos, sin)),
          (q, k) => flat([ropeHeadsStock(q, 2, cos, sin), ropeHeadsStock(k, 1, cos, sin)]),
          [randn([2, 5, 256], 109), randn([2, 5, 128], 110)],
        ),
      );
    },
  },
  {
    kernel: "Qwen3's q/k RMSNorm: each head over head_dim 128",
    shapes: 'x [2,5,2,128], w [128]',
    reduces: true,
    run: () =>
      compareDifferentiable(
        (x, w) => rmsNormFused(x, w, 1e-6),
        (x, w) => rmsNormStock(x, w, 1e-6),
        [randn([2, 5, 2, 128], 111), tf.tidy(() => tf.add(1, tf.mul(0.2, randn([128], 112))))],
      ),
  },
  normedKvWrite(7, 1, 64),
  normedKvWrite(2, 1, 128),
  {
    kernel: 'the family at nano size (q/k/v/o biases, q/k norms, head_dim ≠ C/H, GQA 7:1), one training step',
    shapes: 'ids [2,7], 2 layers, 7 heads (1 kv) of 8',
    run: async () => {
      const p = familyParams(3);
      try {
        const [yf, gf] = stepOutputs(p, true, FAMILY);
        const [ys, gs] = stepOutputs(p, false, FAMILY);
        const d = { forward: await maxDiff(yf, ys), gradient: await maxDiff(gf, gs) };
        tf.dispose([yf, gf, ys, gs]);
        return d;
      } finally {
        tf.dispose(Object.values(p));
      }
    },
  },
  {
    kernel: 'the family at nano size, generation: KV-cache prefill of a left-padded batch and a decode step',
    shapes: 'prompts [2,4], cache of 7',
    run: () => {
      const p = familyParams(5);
      return compareForward(
        () => generationLogits(p, true, FAMILY),
        () => generationLogits(p, false, FAMILY),
        Object.values(p),
      );
    },
  },
];
