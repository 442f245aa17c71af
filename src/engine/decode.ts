// One decode step: a token per sequence (T = 1) through the model over the KV cache, giving the next
// logits. Two paths with the same math:
//   stock  model.ts's block with the cache as its keys/values (kv_cache.ts's blend writes): every backend,
//          and the reference.
//   fused  a block specialised for T = 1, on WebGPU when the fused switch is on. Per layer, 9 dispatches:
//            q|k|v projection (1, packed weights) · RoPE of q and k (cos, sin rows from the host) + in-place
//            write of k, v into the
//            cache slot (1, kernels/kv_write.ts) · attention over the whole cache (1, kernels/attention.ts;
//            its [B, H, 1, D] output is the merged heads [B, H·D] as it lies, so no transpose)
//            · o_proj (1) · add + RMSNorm (1, kernels/add_rms_norm.ts) · gate|up projection (1, packed)
//            · SwiGLU on the packed halves (1, kernels/swiglu_packed.ts) · down (1)
//            · add + the next RMSNorm (1: the next layer's input norm, or the final norm)
//          plus 3 per step: the embedding gather, the first RMSNorm, the head matmul (generate() adds
//          one sampling program; a vocabulary split in row parts, vocab_rows.ts, reads each part). Every
//          shape is fixed by the preallocated cache and attention reads all Tmax slots (closed ones
//          through the bias), so a step costs the same early and late.
// The packed weights ([Wq | Wk | Wv] and [W_gate | W_up] stacked on the output axis, their biases likewise,
// Qwen3's q_norm | k_norm weights) are the model's own when it was loaded to infer only (packed_weights.ts:
// packed once, as it loaded, the members dropped). A model that trains keeps its members, and
// packDecodeWeights builds a copy once per generate() call, disposed by it: its weights or its LoRA adapters
// change between generations, and every adapted projection is merged into that copy, W + s·B·A (the packs,
// and o and down as merged copies of their own), so a step with adapters runs the same programs as one
// without. A LoRA model whose frozen base is in half precision (f16_base.ts) cannot be merged (W + s·B·A
// needs f32) and should not be copied (the copy would be the f32 weights the halving saved): its step
// projects through model.ts's `project` (the f16 kernel plus the adapter's update, 7 projections instead of
// 4), joining q|k|v and gate|up for the same programs after them. Biases ride in the projections' matmul
// programs and q/k norms in the cache write: no extra dispatch.
// Leaves out: the prefill (generate.ts, model.ts's block over the prompt), speculative or paged decoding.
// Run the tests: npx vitest run src/engine/decode.test.ts
import * as tf from '@tensorflow/tfjs';
import { headDim, layerFeatures, type LlamaConfig } from './config';
import { addRmsNorm } from './kernels/add_rms_norm';
import { attendFused } from './kernels/attention';
import { fusedKernelsOn, onWebGPU } from './kernels/fused';
import { writeStepKv } from './kernels/kv_write';
import { swigluPackedFused } from './kernels/swiglu_packed';
import { activeAdapter, mergedWeight } from './lora';
import { hasF16Weights } from './f16_weights';
import { markSlotValid, writeSlot, type KVCache } from './kv_cache';
import { gateUpName, isPacked, qkNormName, qkvName } from './packed_weights';
import {
  block,
  embedTokens,
  head,
  joinLogits,
  linear,
  lmHeadParts,
  optionalParam,
  project,
  rmsNorm,
  type ModelParams,
} from './model';
import { ropeRows } from './rope_tables';

/** Weights the fused step reads packed; the optional ones only where the model has them. */
export interface DecodeWeights {
  readonly qkv: tf.Tensor2D[]; // per layer [(H + 2·Hkv)·D, C]
  readonly qkvBias: tf.Tensor1D[] | null; // per layer [(H + 2·Hkv)·D]
  readonly qkNorm: tf.Tensor1D[] | null; // per layer [2·D]: q_norm's weight, then k_norm's
  readonly gateUp: tf.Tensor2D[]; // per layer [2·I, C]
  readonly gateUpBias: tf.Tensor1D[] | null; // per layer [2·I]
  readonly o: tf.Tensor2D[]; // per layer [C, H·D]
  readonly down: tf.Tensor2D[]; // per layer [C, I]
  /** No packs (qkv, gateUp, o, down empty): each projection through model.ts's project, base and adapter apart. */
  readonly unmerged?: boolean;
  dispose(): void;
}

/**
 * The fused step's weights for a generation: the model's own packed tensors when it has them (disposing
 * frees nothing), else a packed copy of its members for this generation (packDecodeWeights).
 */
export function decodeWeights(p: ModelParams, cfg: LlamaConfig): DecodeWeights {
  if (!isPacked(p)) return hasF16Weights(p) ? unmergedDecodeWeights(p, cfg) : packDecodeWeights(p, cfg);
  const f = layerFeatures(cfg);
  const each = <T extends tf.Tensor>(on: boolean, name: (l: number) => string) =>
    on ? Array.from({ length: cfg.num_hidden_layers }, (_, l) => p[name(l)] as unknown as T) : null;
  return {
    qkv: each<tf.Tensor2D>(true, (l) => qkvName(l, 'weight'))!,
    qkvBias: each<tf.Tensor1D>(f.qkvBias, (l) => qkvName(l, 'bias')),
    qkNorm: each<tf.Tensor1D>(f.qkNorm, qkNormName),
    gateUp: each<tf.Tensor2D>(true, (l) => gateUpName(l, 'weight'))!,
    gateUpBias: each<tf.Tensor1D>(f.mlpBias, (l) => gateUpName(l, 'bias')),
    o: each<tf.Tensor2D>(true, (l) => `model.layers.${l}.self_attn.o_proj.weight`)!,
    down: each<tf.Tensor2D>(true, (l) => `model.layers.${l}.mlp.down_proj.weight`)!,
    dispose: () => undefined,
  };
}

/** Qwen3's q_norm | k_norm weights per layer [2·D] (the cache write reads them together); null without them. */
function packedQkNorms(p: ModelParams, cfg: LlamaConfig): tf.Tensor1D[] | null {
  if (!layerFeatures(cfg).qkNorm) return null;
  return Array.from({ length: cfg.num_hidden_layers }, (_, l) => `model.layers.${l}.self_attn.`).map(
    (pre) => tf.concat([p[`${pre}q_norm.weight`], p[`${pre}k_norm.weight`]]) as tf.Tensor1D,
  );
}

/**
 * A packed copy of a model's q|k|v and gate|up members and its o and down weights, LoRA adapters merged in
 * (o and down are the model's own where they have no adapter); disposed by the caller.
 */
export function packDecodeWeights(p: ModelParams, cfg: LlamaConfig): DecodeWeights {
  const layers = Array.from({ length: cfg.num_hidden_layers }, (_, l) => `model.layers.${l}.`);
  const f = layerFeatures(cfg);
  // a projection with adapters on is packed merged, W + s·B·A: the step then costs no extra dispatch for them
  const weight = (n: string): tf.Tensor => {
    const module = n.replace(/\.weight$/, '');
    return module !== n && activeAdapter(p, module) ? mergedWeight(p, module) : p[n];
  };
  const pack = <T extends tf.Tensor>(names: string[]) => tf.tidy(() => tf.concat(names.map(weight), 0)) as T;
  const each = <T extends tf.Tensor>(on: boolean, names: (pre: string) => string[]) =>
    on ? layers.map((pre) => pack<T>(names(pre))) : null;
  const attn = (pre: string, names: string[], end: string) => names.map((n) => `${pre}self_attn.${n}.${end}`);
  const mlp = (pre: string, end: string) => ['gate_proj', 'up_proj'].map((n) => `${pre}mlp.${n}.${end}`);
  // o and down: a merged copy where adapted (freed with the packs), else the model's own weight
  const merged: tf.Tensor[] = [];
  const single = (name: string) => {
    const t = weight(name);
    if (t !== p[name]) merged.push(t);
    return t as tf.Tensor2D;
  };
  const w = {
    o: layers.map((pre) => single(`${pre}self_attn.o_proj.weight`)),
    down: layers.map((pre) => single(`${pre}mlp.down_proj.weight`)),
    qkv: each<tf.Tensor2D>(true, (pre) => attn(pre, ['q_proj', 'k_proj', 'v_proj'], 'weight'))!,
    qkvBias: each<tf.Tensor1D>(f.qkvBias, (pre) => attn(pre, ['q_proj', 'k_proj', 'v_proj'], 'bias')),
    qkNorm: packedQkNorms(p, cfg),
    gateUp: each<tf.Tensor2D>(true, (pre) => mlp(pre, 'weight'))!,
    gateUpBias: each<tf.Tensor1D>(f.mlpBias, (pre) => mlp(pre, 'bias')),
  };
  const all = [w.qkv, w.qkvBias ?? [], w.qkNorm ?? [], w.gateUp, w.gateUpBias ?? [], merged].flat();
  return { ...w, dispose: () => tf.dispose(all) };
}

/**
 * A half-precision base's step weights (f16_base.ts: nothing to merge adapters into): only the q|k norms
 * packed, the projections stay the model's own.
 */
export function unmergedDecodeWeights(p: ModelParams, cfg: LlamaConfig): DecodeWeights {
  const qkNorm = packedQkNorms(p, cfg);
  return {
    qkv: [],
    qkvBias: null,
    qkNorm,
    gateUp: [],
    gateUpBias: null,
    o: [],
    down: [],
    unmerged: true,
    dispose: () => tf.dispose(qkNorm ?? []),
  };
}

/**
 * Feeds one token per sequence (ids [B] int32 at positions [B]) into cache `slot`; returns next-token logits
 * [B, V]. The fused path when the switch is on and the backend is WebGPU (with `packed` from this
 * generation, else decodeWeights for this call alone), the stock path otherwise.
 */
export function decodeStep(
  p: ModelParams,
  cfg: LlamaConfig,
  cache: KVCache,
  ids: tf.Tensor1D,
  positions: number[],
  slot: number,
  packed?: DecodeWeights,
): tf.Tensor2D {
  if (!(fusedKernelsOn() && onWebGPU())) return decodeStepStock(p, cfg, cache, ids, positions, slot);
  const w = packed ?? decodeWeights(p, cfg);
  try {
    return decodeStepFused(p, cfg, cache, w, ids, positions, slot);
  } finally {
    if (!packed) w.dispose();
  }
}

/** The stock step: model.ts's block, writing the cache by blends and attending over every open slot. */
export function decodeStepStock(
  p: ModelParams,
  cfg: LlamaConfig,
  cache: KVCache,
  ids: tf.Tensor1D,
  positions: number[],
  slot: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const B = ids.shape[0];
    const rows = ropeRows(positions, cfg);
    const cos = tf.tensor4d(rows.cos, [B, 1, 1, headDim(cfg)]),
      sin = tf.tensor4d(rows.sin, [B, 1, 1, headDim(cfg)]);
    markSlotValid(cache, slot);
    const bias = tf.reshape(cache.bias, [B, 1, 1, cache.maxLen]);
    let x = embedTokens(p, tf.reshape(ids, [B, 1]));
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      x = block(p, cfg, l, x, cos, sin, bias, (kv) => {
        writeSlot(cache, l, slot, kv.k, kv.v);
        return { k: cache.k[l], v: cache.v[l] };
      });
    }
    return tf.reshape(head(p, cfg, x), [B, -1]) as tf.Tensor2D;
  });
}

/** The fused step (see the file header for its dispatches); WebGPU only. */
function decodeStepFused(
  p: ModelParams,
  cfg: LlamaConfig,
  cache: KVCache,
  w: DecodeWeights,
  ids: tf.Tensor1D,
  positions: number[],
  slot: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const B = ids.shape[0],
      H = cfg.num_attention_heads,
      L = cfg.num_hidden_layers,
      eps = cfg.rms_norm_eps;
    const layer = (l: number) => `model.layers.${l}.`;
    const rows = ropeRows(positions, cfg); // uploads, not dispatches
    const cos = tf.tensor2d(rows.cos, [B, headDim(cfg)]),
      sin = tf.tensor2d(rows.sin, [B, headDim(cfg)]);
    const bias = tf.reshape(cache.bias, [B, 1, 1, cache.maxLen]);
    let x: tf.Tensor = embedTokens(p, ids); // [B, C]
    let h: tf.Tensor = rmsNorm(x, p[`${layer(0)}input_layernorm.weight`], eps);
    // a layer's projections: the packs, or each through `project` (a half-precision base), joined
    const joined = (pre: string, names: string[], x: tf.Tensor) =>
      tf.concat(
        names.map((n) => project(p, pre, n, x)),
        1,
      ) as tf.Tensor2D;
    for (let l = 0; l < L; l++) {
      const pre = layer(l);
      const qkv = w.unmerged
        ? joined(pre, ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'], h)
        : (linear(h, w.qkv[l], w.qkvBias?.[l]) as tf.Tensor2D);
      const qkNorm = w.qkNorm ? { weights: w.qkNorm[l], eps } : undefined;
      const q = writeStepKv(cache, l, slot, qkv, cos, sin, H, qkNorm); // [B, H, 1, D]
      const y = tf.reshape(attendFused(q, cache.k[l], cache.v[l], bias), [B, H * headDim(cfg)]);
      const o = w.unmerged
        ? project(p, pre, 'self_attn.o_proj', y)
        : linear(y, w.o[l], optionalParam(p, `${pre}self_attn.o_proj.bias`));
      [x, h] = addRmsNorm(x, o, p[`${pre}post_attention_layernorm.weight`], eps);
      const gateUp = w.unmerged
        ? joined(pre, ['mlp.gate_proj', 'mlp.up_proj'], h)
        : (linear(h, w.gateUp[l], w.gateUpBias?.[l]) as tf.Tensor2D);
      const act = swigluPackedFused(gateUp);
      const nextNorm = l + 1 < L ? p[`${layer(l + 1)}input_layernorm.weight`] : p['model.norm.weight'];
      const down = w.unmerged
        ? project(p, pre, 'mlp.down_proj', act)
        : linear(act, w.down[l], optionalParam(p, `${pre}mlp.down_proj.bias`));
      [x, h] = addRmsNorm(x, down, nextNorm, eps);
    }
    return joinLogits(lmHeadParts(p, cfg, h)) as tf.Tensor2D;
  });
}
