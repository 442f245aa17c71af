// A Llama-family decoder in plain tfjs ops, with Hugging Face semantics so checkpoints move both ways:
// RMSNorm, rotary embeddings (rotate-half, llama3/linear scaling), grouped-query attention, SwiGLU MLP,
// optional tied head, and the family's switches (config.ts's layerFeatures): biases on q/k/v (Qwen2), on o
// (Llama, Qwen3) and on the MLP (Llama), per-head q/k RMSNorm before RoPE (Qwen3), head_dim ≠ C / H.
// Dimension letters: B batch, T time, C hidden, H heads, Hkv key/value heads, D head dim, V vocab.
// Leaves out: dropout, sliding windows (refused past the window). RMSNorm (with the residual add before it),
// RoPE (q and k together, with the head split), attention (with v's head split and y's head merge),
// SwiGLU and the target log-probs run as fused WebGPU programs when engine/kernels/fused.ts's switch is on
// (engine/kernel_choice.ts turns it on where the self-check passes; the stock ops are each fused kernel's
// reference). forward() carries each
// block's MLP output to the next norm unadded (blockOnStream), so every residual add is inside a norm.
// A vocabulary table larger than one GPU binding is held in row parts (vocab_rows.ts): the embedding lookup
// and the LM head read it part by part, and the log-probs merge across the parts.
// A projection with LoRA adapters in the params (lora.ts) adds their low-rank update in project(); frozen
// weights get no gradient. A model loaded to infer only holds q|k|v and gate|up packed (packed_weights.ts):
// one matmul for each pack, its output split. Matrices held as half-precision words (int32: f16_weights.ts to
// infer, f16_base.ts under LoRA adapters) are read by our f16 programs in linear() and embed().
import * as tf from '@tensorflow/tfjs';
import { customGrad } from './custom_grad';
import { checkWithinWindow, headDim, type LlamaConfig } from './config';
import { addRmsNorm, addRmsNormFused } from './kernels/add_rms_norm';
import { attendFused, attendMergedFused, attendMergedStock, attendStock, repeatKv } from './kernels/attention';
import { fusedKernelsOn } from './kernels/fused';
import { loraLinear2d } from './lora_linear';
import { gatherF16Rows } from './kernels/matmul_f16';
import { matMulF16Train } from './kernels/matmul_f16_train';
import { gatherLogProbsFused, gatherLogProbsStock, logSoftmaxAt, pickTargets } from './kernels/log_probs';
import { rmsNormFused, rmsNormStock } from './kernels/rms_norm';
import {
  applyRopeFused,
  applyRopeStock,
  ropeHeadsFused,
  ropeHeadsStock,
  ropeQkFused,
  splitHeads,
} from './kernels/rope';
import { swigluFused, swigluStock } from './kernels/swiglu';
import { swigluPackedFused, swigluPackedStock } from './kernels/swiglu_packed';
import { activeAdapter, adapterInput } from './lora';
import { gateUpName, isPacked, packedQkvSizes, qkNormName, qkvName } from './packed_weights';
import { isNormWeight, paramShapes } from './param_names';
import { recomputed } from './recompute';
import { createRng } from './rng';
import { ropeTables } from './rope_tables';
import { splitLogProbs, vocabParts } from './vocab_rows';

/** Parameters by HF name (see param_names.ts for shapes); weights are [out, in] like nn.Linear. */
export type ModelParams = Record<string, tf.Variable>;

export function initParams(cfg: LlamaConfig, seed: number): ModelParams {
  const rng = createRng(seed);
  const params: ModelParams = {};
  for (const [name, shape] of Object.entries(paramShapes(cfg))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (isNormWeight(name)) data.fill(1);
    else if (shape.length > 1) for (let i = 0; i < n; i++) data[i] = rng.normal() * cfg.initializer_range;
    // biases start at zero, as transformers initialises them
    // tidy frees the initial tensor; tfjs variable names are global, so they are left unique
    params[name] = tf.tidy(() => tf.variable(tf.tensor(data, shape), true));
  }
  return params;
}

/**
 * tfjs-wasm runs a matmul with a transpose flag about 8× slower per row than a plain one on an explicitly
 * transposed operand (only the plain 2-D case reaches XNNPACK); other backends transpose for free. The copy
 * costs a pass over the weight, so it pays from ~8 rows on (a [896, 4864] weight, measured: 1 row 36 ms
 * flagged vs 140 ms copied, 64 rows 911 vs 201; a decode step's rows are the batch, and Qwen's
 * [151936, 896] head took 0.5 s flagged vs 6.9 s copied per step).
 */
const explicitTranspose = (rows: number) => rows >= 8 && tf.getBackend() === 'wasm';

/** a · bᵀ (+ bias [M]) for 2-D a [N, K], b [M, K]; the bias add inside the matmul's program. */
function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  const copy = explicitTranspose(a.shape[0]);
  if (!bias) return copy ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
  if (copy) return tf.fused.matMul({ a, b: tf.transpose(b), bias }) as tf.Tensor2D;
  // tfjs-wasm 4.22's fused matmul adds the bias wrongly when a transpose flag is set (more than one row)
  if (tf.getBackend() === 'wasm') return tf.add(tf.matMul(a, b, false, true), bias);
  return tf.fused.matMul({ a, b, transposeB: true, bias }) as tf.Tensor2D;
}

/** aᵀ · b for 2-D a [N, K], b [N, M]. */
function matMulTA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return explicitTranspose(a.shape[0]) ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}

/** y = x · Wᵀ [N, out] for x [N, in], W [out, in], with its gradient: dx = dy · W, dW = dyᵀ · x. */
const linear2d = customGrad((x: tf.Tensor2D, w: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
  save([x, w]); // x is usually an intermediate: only saved tensors outlive the forward pass
  return {
    value: matMulT(x, w),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws), matMulTA(dy, xs)],
  };
});

/** y = x · Wᵀ + b [N, out], with its gradient: dx = dy · W, dW = dyᵀ · x, db = Σ_n dy. */
const linear2dBias = customGrad((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: (ts: tf.Tensor[]) => void) => {
  save([x, w]);
  return {
    value: matMulT(x, w, b),
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws), matMulTA(dy, xs), tf.sum(dy, 0)],
  };
});

/**
 * y = x · Wᵀ (+ b) for a frozen W (a LoRA base): only dx = dy · W flows back, no dW (nor db) is computed.
 */
function linear2dFrozen(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor2D, save: (ts: tf.Tensor[]) => void) => {
    save([xi]);
    return { value: matMulT(xi, w, b), gradFunc: (dy: tf.Tensor2D) => tf.matMul(dy, w) };
  });
  return f(x);
}

const frozen = (w: tf.Tensor) => w instanceof tf.Variable && !w.trainable;

/** y = x · Wᵀ (+ b) for W [out, in] (nn.Linear's layout), b [out], x [..., in]: one 2-D matmul. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]) as tf.Tensor2D;
  const w2 = w as tf.Tensor2D;
  let y: tf.Tensor2D;
  // half-precision words [out, in/2] (f16_weights.ts, f16_base.ts): frozen, a gradient to x only
  if (w.dtype === 'int32') y = matMulF16Train(x2, w2, b);
  else if (frozen(w) && (!b || frozen(b))) y = linear2dFrozen(x2, w2, b);
  else y = b ? linear2dBias(x2, w2, b as tf.Tensor1D) : linear2d(x2, w2);
  return tf.reshape(y, [...lead, w.shape[0]]);
}

/**
 * A layer's projection `name` (e.g. self_attn.q_proj) of x, with its bias when the model has one, plus its LoRA
 * update s·(x·Aᵀ)·Bᵀ when it has adapters and they are on (lora.ts); s applied on the rank-r middle, the cheapest.
 * On the fused path, without adapter dropout, base and update are one op (lora_linear.ts).
 */
export function project(p: ModelParams, pre: string, name: string, x: tf.Tensor): tf.Tensor {
  const w = p[`${pre}${name}.weight`],
    b = optionalParam(p, `${pre}${name}.bias`);
  const lora = activeAdapter(p, `${pre}${name}`);
  if (!lora) return linear(x, w, b);
  const xa = adapterInput(p, `${pre}${name}`, x);
  if (xa === x && fusedKernelsOn() && frozen(w) && (!b || frozen(b))) {
    // one op, its own gradient: fewer programs (lora_linear.ts)
    const x2 = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]) as tf.Tensor2D;
    const y = loraLinear2d(x2, w as tf.Tensor2D, b, lora.A as tf.Tensor2D, lora.B as tf.Tensor2D, lora.scale);
    return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[0]]);
  }
  const mid = tf.mul(linear(xa, lora.A), lora.scale);
  return tf.add(linear(x, w, b), linear(mid, lora.B));
}

/** A tensor only some members of the family have (biases, q/k norms); param_names.ts says which. */
export function optionalParam(p: ModelParams, name: string): tf.Tensor | undefined {
  return Object.hasOwn(p, name) ? p[name] : undefined;
}

/**
 * Qwen3's q_norm / k_norm: RMSNorm of each head of a projection x [..., Hx·D] over D with one weight [D];
 * x unchanged when the layer has no such norm.
 */
export function headNorm(x: tf.Tensor, w: tf.Tensor | undefined, eps: number): tf.Tensor {
  if (!w) return x;
  const D = w.shape[0];
  const lead = x.shape.slice(0, -1);
  return tf.reshape(rmsNorm(tf.reshape(x, [...lead, -1, D]), w, eps), x.shape);
}

/** RMSNorm: x · rsqrt(mean(x²) + ε) · w; one WebGPU program when fused kernels are on. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  return fusedKernelsOn() ? rmsNormFused(x, w, eps) : rmsNormStock(x, w, eps);
}

/**
 * Embedding lookup whose gradient is oneHot(ids)ᵀ·dY: tf.gather's gradient needs UnsortedSegmentSum, which WASM lacks.
 */
export function embed(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  // frozen half-precision words [V, C/2] (f16_weights.ts, f16_base.ts): no gradient to take
  if (table.dtype === 'int32')
    return tf.reshape(gatherF16Rows(table, tf.reshape(ids, [-1]) as tf.Tensor1D), [...ids.shape, table.shape[1] * 2]);
  const V = table.shape[0];
  const f = customGrad((t: tf.Tensor) => {
    return {
      value: tf.gather(t as tf.Tensor2D, ids),
      gradFunc: (dy: tf.Tensor) => {
        const C = dy.shape[dy.shape.length - 1];
        return matMulTA(tf.oneHot(tf.reshape(ids, [-1]), V) as tf.Tensor2D, tf.reshape(dy, [-1, C]) as tf.Tensor2D);
      },
    };
  });
  return f(table);
}

/**
 * The embedding rows of int32 ids [...] → [..., C]. A table held in row parts (vocab_rows.ts: larger than
 * one GPU binding) is read part by part, each id taking its row from the part that holds it.
 */
export function embedTokens(p: ModelParams, ids: tf.Tensor): tf.Tensor {
  const parts = vocabParts(p, 'model.embed_tokens.weight');
  if (parts.length === 1) return embed(parts[0], ids);
  let start = 0;
  const rows = parts.map((part) => {
    const n = part.shape[0];
    const local = tf.sub(ids, tf.scalar(start, 'int32'));
    const inside = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, n));
    start += n;
    return tf.mul(embed(part, tf.clipByValue(local, 0, n - 1)), tf.expandDims(tf.cast(inside, 'float32'), -1));
  });
  return tf.addN(rows);
}

/**
 * x·cos + rotate_half(x)·sin, for x [B, H, T, D] and tables [B|1, 1, T, D]; one WebGPU program each way when fused
 * kernels are on.
 */
export function applyRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return fusedKernelsOn() ? applyRopeFused(x, cos, sin) : applyRopeStock(x, cos, sin);
}

/**
 * applyRope(splitHeads(x)): rotated heads [B, H, T, D] from a projection output [B, T, H·D]; one WebGPU program each
 * way, no transpose, when fused kernels are on.
 */
function ropeHeads(x: tf.Tensor, H: number, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return fusedKernelsOn() ? ropeHeadsFused(x, H, cos, sin) : ropeHeadsStock(x, H, cos, sin);
}

/**
 * softmax(q·kᵀ/√D + bias)·v with q [B,H,Tq,D], k,v [B,Hkv,Tk,D] (grouped-query heads: H a multiple of
 * Hkv), bias broadcastable to [B,H,Tq,Tk]; WebGPU programs that read the shared kv heads in place when
 * fused kernels are on, else repeated kv heads and stock ops.
 */
export function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (fusedKernelsOn()) return attendFused(q, k, v, bias);
  const groups = q.shape[1]! / k.shape[1]!;
  return attendStock(q, repeatKv(k, groups), repeatKv(v, groups), bias);
}

/**
 * attend with the head split and merge folded in: q, k, v each [B, Hx, T, D] or as projected,
 * [B, T, Hx·D]; y [B, Tq, H·D], o_proj's input. No transposes when fused kernels are on.
 */
function attendMerged(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor, cfg: LlamaConfig): tf.Tensor {
  const H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads;
  return fusedKernelsOn() ? attendMergedFused(q, k, v, bias, H, Hkv) : attendMergedStock(q, k, v, bias, H, Hkv);
}

/**
 * Keys and values for the attention of a layer from its own, rotated and split into heads ([B, Hkv, T, D]
 * each), e.g. through a KV cache that stores them.
 */
export type KvSource = (kv: { k: tf.Tensor; v: tf.Tensor }) => { k: tf.Tensor; v: tf.Tensor };

/**
 * q, k, v of layer l as projected ([B, T, Hx·D]), q and k normed per head when the model has q_norm (Qwen3),
 * from the normed stream read once per projection (hq, hk, hv). Packed params (packed_weights.ts): one
 * matmul with [Wq | Wk | Wv] from hq, its output split.
 */
function projectQkv(p: ModelParams, cfg: LlamaConfig, l: number, hq: tf.Tensor, hk: tf.Tensor, hv: tf.Tensor) {
  const att = `model.layers.${l}.self_attn.`,
    eps = cfg.rms_norm_eps;
  const qkv = optionalParam(p, qkvName(l, 'weight'));
  if (qkv) {
    const [q, k, v] = tf.split(linear(hq, qkv, optionalParam(p, qkvName(l, 'bias'))), packedQkvSizes(cfg), -1);
    const norms = optionalParam(p, qkNormName(l));
    const [qNorm, kNorm] = norms ? tf.split(norms, 2) : [undefined, undefined];
    return { q: headNorm(q, qNorm, eps), k: headNorm(k, kNorm, eps), v };
  }
  return {
    q: headNorm(project(p, att, 'q_proj', hq), optionalParam(p, `${att}q_norm.weight`), eps),
    k: headNorm(project(p, att, 'k_proj', hk), optionalParam(p, `${att}k_norm.weight`), eps),
    v: project(p, att, 'v_proj', hv),
  };
}

/** ropeHeads of q and k at once: one WebGPU program each way when fused kernels are on. */
function ropeQk(q: tf.Tensor, k: tf.Tensor, cfg: LlamaConfig, cos: tf.Tensor, sin: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads;
  return fusedKernelsOn()
    ? ropeQkFused(q, k, H, Hkv, cos, sin)
    : [ropeHeadsStock(q, H, cos, sin), ropeHeadsStock(k, Hkv, cos, sin)];
}

/**
 * The pre-norm residual stream x + r and its RMSNorm, the norm given once per projection that reads it
 * (kernels/add_rms_norm.ts: their gradients meet inside the norm's backward); r null: nothing to add.
 */
function streamNorm(x: tf.Tensor, r: tf.Tensor | null, w: tf.Tensor, eps: number, readers: number): tf.Tensor[] {
  if (r && fusedKernelsOn()) return addRmsNormFused(x, r, w, eps, readers);
  const [s, y] = r ? addRmsNorm(x, r, w, eps) : [x, rmsNorm(x, w, eps)];
  return [s, ...new Array<tf.Tensor>(readers).fill(y)];
}

/**
 * silu(gate)·up of layer l from the normed stream (hGate, hUp), [..., I]: one WebGPU program when fused
 * kernels are on. Packed params: one matmul with [W_gate | W_up], its output's halves.
 */
function mlpActivation(p: ModelParams, l: number, hGate: tf.Tensor, hUp: tf.Tensor): tf.Tensor {
  const mlp = `model.layers.${l}.mlp.`;
  const gateUp = optionalParam(p, gateUpName(l, 'weight'));
  if (gateUp) {
    const gu = linear(hGate, gateUp, optionalParam(p, gateUpName(l, 'bias')));
    const gu2 = tf.reshape(gu, [-1, gateUp.shape[0]]) as tf.Tensor2D;
    const act = fusedKernelsOn() ? swigluPackedFused(gu2) : swigluPackedStock(gu2);
    return tf.reshape(act, [...gu.shape.slice(0, -1), gateUp.shape[0] / 2]);
  }
  const gate = project(p, mlp, 'gate_proj', hGate);
  const up = project(p, mlp, 'up_proj', hUp);
  return fusedKernelsOn() ? swigluFused(gate, up) : swigluStock(gate, up);
}

/**
 * Decoder block l on the residual stream x + r, r the previous block's MLP output not yet added (null at
 * the first block). Returns the stream after attention and this block's MLP output, again not added:
 * each residual add happens inside the next RMSNorm (one program when fused kernels are on). kvFor null:
 * keys and values from this block's input (training and scoring: q and k rotated together, v read as
 * projected, the norm given once per projection so their gradients meet in its backward).
 */
export function blockOnStream(
  p: ModelParams,
  cfg: LlamaConfig,
  l: number,
  x: tf.Tensor,
  r: tf.Tensor | null,
  cos: tf.Tensor,
  sin: tf.Tensor,
  bias: tf.Tensor,
  kvFor: KvSource | null,
): { x: tf.Tensor; r: tf.Tensor } {
  const pre = `model.layers.${l}.`,
    att = `${pre}self_attn.`,
    eps = cfg.rms_norm_eps;
  const w = (name: string) => p[pre + name];
  const packed = isPacked(p);
  // the norm is given once per projection that reads it (their gradients meet in its backward), once for a
  // packed projection or keys and values from a cache (no gradients there)
  const [x0, hq, hk = hq, hv = hq] = streamNorm(x, r, w('input_layernorm.weight'), eps, kvFor || packed ? 1 : 3);
  const proj = projectQkv(p, cfg, l, hq, hk, hv);
  let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
  if (kvFor) {
    const H = cfg.num_attention_heads,
      Hkv = cfg.num_key_value_heads;
    q = ropeHeads(proj.q, H, cos, sin);
    ({ k, v } = kvFor({ k: ropeHeads(proj.k, Hkv, cos, sin), v: splitHeads(proj.v, Hkv, headDim(cfg)) }));
  } else {
    [q, k] = ropeQk(proj.q, proj.k, cfg, cos, sin);
    v = proj.v; // [B, T, Hkv·D]
  }
  const y = attendMerged(q, k, v, bias, cfg); // [B, T, H·D]
  const [x1, hGate, hUp] = streamNorm(
    x0,
    project(p, att, 'o_proj', y),
    w('post_attention_layernorm.weight'),
    eps,
    packed ? 1 : 2,
  );
  const act = mlpActivation(p, l, hGate, hUp);
  return { x: x1, r: project(p, `${pre}mlp.`, 'down_proj', act) };
}

/**
 * One decoder block, residual adds included. `kvFor` gives the keys/values to attend over (the cache at decode time).
 */
export function block(
  p: ModelParams,
  cfg: LlamaConfig,
  l: number,
  x: tf.Tensor,
  cos: tf.Tensor,
  sin: tf.Tensor,
  bias: tf.Tensor,
  kvFor: KvSource,
): tf.Tensor {
  const out = blockOnStream(p, cfg, l, x, null, cos, sin, bias, kvFor);
  return tf.add(out.x, out.r);
}

/**
 * Final norm and the LM head: [B, T, C] → logits [B, T, V]; r, if given, is the last block's output still to be added
 * to x.
 */
export function head(p: ModelParams, cfg: LlamaConfig, x: tf.Tensor, r: tf.Tensor | null = null): tf.Tensor {
  return joinLogits(headParts(p, cfg, x, r));
}

/** head's logits per row part of the LM head [..., V_i] (one part unless the head is split, vocab_rows.ts). */
export function headParts(p: ModelParams, cfg: LlamaConfig, x: tf.Tensor, r: tf.Tensor | null = null): tf.Tensor[] {
  return lmHeadParts(p, cfg, finalNorm(p, cfg, x, r));
}

/** The final RMSNorm of the stream x (+ the last block's output r). */
function finalNorm(p: ModelParams, cfg: LlamaConfig, x: tf.Tensor, r: tf.Tensor | null): tf.Tensor {
  return streamNorm(x, r, p['model.norm.weight'], cfg.rms_norm_eps, 1)[1];
}

/** The LM head's trainable weights (none with LoRA: the head is frozen), which a recomputed chunk reads. */
function headVars(p: ModelParams, cfg: LlamaConfig): tf.Variable[] {
  const parts = vocabParts(p, cfg.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  return (parts as tf.Tensor[] as tf.Variable[]).filter((w) => w.trainable);
}

/** The LM head's logits per row part for the final-normed h [..., C]. */
export function lmHeadParts(p: ModelParams, cfg: LlamaConfig, h: tf.Tensor): tf.Tensor[] {
  return vocabParts(p, cfg.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight').map((w) =>
    linear(h, w),
  );
}

/** Logits [..., V] from their row parts. */
export const joinLogits = (parts: tf.Tensor[]): tf.Tensor => (parts.length === 1 ? parts[0] : tf.concat(parts, -1));

/** Masked score; finite so a fully masked (padding) row stays NaN-free. */
export const NEG_SCORE = -1e9;

/** The additive attention bias: 0 where query i may attend key j (j ≤ i, and j not padding), else NEG_SCORE. */
function biasOf(T: number, m?: tf.Tensor): tf.Tensor {
  const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // [T, T] lower triangle
  if (!m) return tf.reshape(tf.mul(tf.sub(1, causal), NEG_SCORE), [1, 1, T, T]);
  const allowed = tf.mul(tf.reshape(causal, [1, 1, T, T]), tf.reshape(m, [m.shape[0], 1, 1, T]));
  return tf.mul(tf.sub(1, allowed), NEG_SCORE);
}

/**
 * HF positions from a left-padding mask (cumsum(mask) − 1, clamped at 0), and the additive attention bias
 * [B|1,1,T,T], built as one op to the gradient tape: inside a custom gradient's forward nothing is recorded, so a
 * training pass keeps the bias alone, not its ~6 [T, T] and 2 [B, 1, T, T] intermediates (at T = 879, B = 3,
 * 160 MB of a GRPO step's 225). No gradient flows to a mask.
 */
export function maskTensors(
  attentionMask: tf.Tensor | undefined,
  T: number,
): { positions: tf.Tensor; bias: tf.Tensor } {
  const m = attentionMask && tf.cast(attentionMask, 'float32'); // [B, T]
  const bias = customGrad((x: tf.Tensor) => ({ value: biasOf(T, m && x), gradFunc: () => tf.zerosLike(x) }));
  if (!m) return { positions: tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), bias: bias(tf.scalar(0)) };
  return { positions: tf.maximum(tf.sub(tf.cumsum(m, 1), 1), 0), bias: bias(m) };
}

export interface ForwardOptions {
  attentionMask?: tf.Tensor2D;
  /** Training: keep only each block's input for the backward pass and recompute the block there (recompute.ts). */
  recompute?: boolean;
  /** Only positions from this one on go through the final norm and the head, [B, T − headFrom] out: GRPO scores
   * a judgement's tokens alone, and a real model's [T, V] logits of its long prompt would dwarf the rest. */
  headFrom?: number;
  /** With recompute or noGrad: positions of the LM head run at once (headChunk(V) unless given). */
  headChunk?: number;
  /** No gradient will be taken (GRPO's reference log-probs): each block runs in its own tidy and only the
   * stream outlives it, and the head runs in chunks of positions, so the pass holds one block's intermediates
   * and one chunk's logits, not every block's and every position's. */
  noGrad?: boolean;
}

/** The trainable variables of block l (all its weights, or its LoRA adapters alone): a recomputed block's inputs. */
function blockVars(p: ModelParams, l: number): tf.Variable[] {
  const pre = `model.layers.${l}.`;
  return Object.entries(p)
    .filter(([n, v]) => n.startsWith(pre) && v.trainable)
    .map(([, v]) => v);
}

/** Logits [B, T, V] for int32 ids [B, T]. With a left-padding mask, real positions match the unpadded rows. */
export function forward(p: ModelParams, cfg: LlamaConfig, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  return tf.tidy(() => joinLogits(forwardParts(p, cfg, ids, opts)) as tf.Tensor3D);
}

/** forward's logits per row part of the LM head, [B, T, V_i] each: one part unless the head is split. */
function forwardParts(p: ModelParams, cfg: LlamaConfig, ids: tf.Tensor2D, opts: ForwardOptions): tf.Tensor[] {
  return lmHeadParts(p, cfg, forwardNormed(p, cfg, ids, opts));
}

/** The final-normed stream h [B, T − headFrom, C] that the LM head reads. */
function forwardNormed(p: ModelParams, cfg: LlamaConfig, ids: tf.Tensor2D, opts: ForwardOptions): tf.Tensor {
  const [B, T] = ids.shape;
  checkWithinWindow(cfg, T, 'forward');
  const { positions, bias } = maskTensors(opts.attentionMask, T);
  const { cos, sin } = ropeTables(tf.expandDims(positions, 1), cfg, T); // [B|1, 1, T, D]
  let x = embedTokens(p, ids);
  const from = opts.headFrom ?? 0;
  const tail = (t: tf.Tensor) => (from > 0 ? tf.slice(t, [0, from, 0], [B, T - from, -1]) : t);
  if (opts.recompute) {
    // whole blocks, residual added (the one tensor each keeps); the same sums as the fused stream below
    const run =
      (l: number) =>
      (s: tf.Tensor, [c, sn, b]: tf.Tensor[]) => {
        const out = blockOnStream(p, cfg, l, s, null, c, sn, b, null);
        return tf.add(out.x, out.r);
      };
    for (let l = 0; l < cfg.num_hidden_layers; l++) x = recomputed(run(l), x, [cos, sin, bias], blockVars(p, l));
    return finalNorm(p, cfg, tail(x), null);
  }
  let r: tf.Tensor | null = null; // each block's output, added to x inside the next norm
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    if (!opts.noGrad) {
      ({ x, r } = blockOnStream(p, cfg, l, x, r, cos, sin, bias, null));
      continue;
    }
    const prev = l > 0 ? [x, ...(r ? [r] : [])] : []; // the first x is the embedding's, the caller's tidy frees it
    ({ x, r } = tf.tidy(() => blockOnStream(p, cfg, l, x, r, cos, sin, bias, null)));
    tf.dispose(prev);
  }
  return finalNorm(p, cfg, tail(x), r && tail(r));
}

/**
 * log p(targets[b,t]) [B, T] under softmax(logits [B, T, V] / temperature): one WebGPU program when fused kernels are
 * on.
 */
export function targetLogProbs(logits: tf.Tensor, targets: tf.Tensor, temperature: number): tf.Tensor {
  return fusedKernelsOn()
    ? gatherLogProbsFused(logits, targets, temperature)
    : gatherLogProbsStock(logits, targets, temperature);
}

/** log p(targets[b,t] | ids[b,≤t]) [B, T], from logits / temperature (GRPO scores at its sampling temperature);
 * with opts.headFrom, positions from there on alone, [B, T − headFrom]. */
export function tokenLogProbs(
  p: ModelParams,
  cfg: LlamaConfig,
  ids: tf.Tensor2D,
  targets: tf.Tensor2D,
  opts: ForwardOptions & { temperature?: number } = {},
): tf.Tensor2D {
  return tokenLogProbsAndEntropy(p, cfg, ids, targets, opts).logps;
}

/** As tokenLogProbs, plus the entropy H = −Σ_v p·log p of each next-token distribution [B, T] when asked. */
export function tokenLogProbsAndEntropy(
  p: ModelParams,
  cfg: LlamaConfig,
  ids: tf.Tensor2D,
  targets: tf.Tensor2D,
  opts: ForwardOptions & { temperature?: number; entropy?: boolean } = {},
): { logps: tf.Tensor2D; entropy?: tf.Tensor2D } {
  return tf.tidy(() => {
    const h = forwardNormed(p, cfg, ids, opts);
    const t = opts.temperature ?? 1;
    const entropy = opts.entropy ?? false;
    const [B, T] = targets.shape;
    const from = opts.headFrom ?? 0;
    const kept = from > 0 ? tf.slice(targets, [0, from], [B, T - from]) : targets;
    const n = T - from;
    const size = opts.headChunk ?? headChunk(cfg.vocab_size);
    if (n <= size || !(opts.recompute || opts.noGrad)) return headLogProbs(lmHeadParts(p, cfg, h), kept, t, entropy);
    // in chunks of positions, so at most one chunk's [B, size, V] (and its softmax) is alive at a time: without
    // gradients each chunk's logits are freed as its log-probs are taken; recomputed, they are rebuilt in the
    // backward pass (and their gradients too are a chunk's)
    const chunk = (hc: tf.Tensor, [tc]: tf.Tensor[]) => {
      const out = headLogProbs(lmHeadParts(p, cfg, hc), tc as tf.Tensor2D, t, entropy);
      return entropy ? tf.stack([out.logps, out.entropy!]) : out.logps;
    };
    const vars = opts.noGrad ? [] : headVars(p, cfg);
    const outs: tf.Tensor[] = [];
    for (let c = 0; c < n; c += size) {
      const w = Math.min(size, n - c);
      const [hc, tc] = [tf.slice(h, [0, c, 0], [B, w, -1]), tf.slice(kept, [0, c], [B, w])];
      outs.push(opts.noGrad ? tf.tidy(() => chunk(hc, [tc])) : recomputed(chunk, hc, [tc], vars));
    }
    if (!entropy) return { logps: tf.concat(outs, 1) as tf.Tensor2D };
    const both = tf.concat(outs, 2); // [2, B, n]
    return { logps: tf.gather(both, 0) as tf.Tensor2D, entropy: tf.gather(both, 1) as tf.Tensor2D };
  });
}

/**
 * Positions of the LM head run at once in a recomputed forward: as many as keep a chunk's logits within
 * 2^21 words a row (a real model's vocabulary is 49k–152k wide: 42 positions for SmolLM2, 13 for Qwen), at
 * most 64 (small vocabularies: fewer, larger matmuls).
 */
export function headChunk(vocab: number): number {
  return Math.max(1, Math.min(64, Math.floor(2 ** 21 / vocab)));
}

/** log p(targets) [B, n] (and the entropy) from the head's logits parts [B, n, V_i] at temperature t. */
function headLogProbs(
  parts: tf.Tensor[],
  targets: tf.Tensor2D,
  t: number,
  entropy: boolean,
): { logps: tf.Tensor2D; entropy?: tf.Tensor2D } {
  // a split head: log-probs merged across its parts, no [B, T, V] tensor
  if (parts.length > 1)
    return splitLogProbs(parts, targets, t, entropy) as { logps: tf.Tensor2D; entropy?: tf.Tensor2D };
  const logits = parts[0];
  if (!entropy) return { logps: targetLogProbs(logits, targets, t) as tf.Tensor2D };
  // the entropy needs the whole log-softmax anyway: pick the targets from it
  const logp = logSoftmaxAt(logits, t);
  return {
    logps: pickTargets(logp, targets) as tf.Tensor2D,
    entropy: tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as tf.Tensor2D,
  };
}

/**
 * Mean NLL over the positions where lossMask is 1: the SFT loss (prompt masked). `tokens` divides instead
 * of this batch's own count: a micro-batch's share of the whole batch's mean (the shares add up to it).
 */
export function maskedNll(
  p: ModelParams,
  cfg: LlamaConfig,
  ids: tf.Tensor2D,
  targets: tf.Tensor2D,
  lossMask: tf.Tensor2D,
  opts: { tokens?: number; recompute?: boolean } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const lp = tokenLogProbs(p, cfg, ids, targets, { recompute: opts.recompute });
    const n = opts.tokens === undefined ? tf.maximum(tf.sum(lossMask), 1) : Math.max(opts.tokens, 1);
    return tf.div(tf.neg(tf.sum(tf.mul(lp, lossMask))), n) as tf.Scalar;
  });
}
