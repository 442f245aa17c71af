// The memory plan of a training step before it runs: weights (frozen: float32, or half precision with
// baseWeights 'f16' (engine/f16_base.ts); trained: float32), AdamW's two
// moments per trained parameter, the gradients, the activations the backward pass keeps for one micro-batch
// (all blocks' intermediates, or with recomputation each block's input plus one block's intermediates), and
// for GRPO the sampling phase's KV cache (G × prompts sequences of prompt + completion tokens; each prompt
// prefilled once), the reference pass (no gradient, a micro-batch at a time, one block's intermediates) and,
// for full fine-tuning, π_ref's frozen copy of the weights — against the adapter's buffer limits and a device
// budget. The step's peak is the weights and moments plus the largest of the backward pass, sampling and the
// reference pass (each frees what it made before the next). Pure arithmetic on the config; what does not
// fit comes back as problems with the numbers, and `fitTraining` finds micro-batches and recomputation that
// fit. Symbols as memory.ts: n = rows × T tokens of a micro-batch, C, I, H, V, L.
// Leaves out: the GPU pool's slack, the browser's own use of the device.
import { headDim, type LlamaConfig } from './config';
import { loraShapes, type LoraTarget } from './lora';
import { binaryBytes, type MemoryLimits, planMemory, prefillActivationBytes } from './memory';
import type { KernelPath } from './kernel_choice';
import { headChunk } from './model';
import { paramShapes } from './param_names';

const F32 = 4,
  F16 = 2;

export interface TrainMemoryRequest {
  rows: number; // sequences per optimizer step
  microBatch: number; // rows per forward/backward (0: all of them)
  length: number; // T: tokens per row
  recompute: boolean; // blocks recomputed in the backward pass
  lora: { rank: number; targets: readonly LoraTarget[] } | null; // null: full fine-tuning
  // GRPO's generation: `sequences` rows over `prompts` distinct prompts (each prefilled once); the loss runs the
  // head over `headTokens` positions a row (the prompt's last and the judgement, padded: newTokens + 1 if absent)
  sampling?: { sequences: number; prompts: number; promptTokens: number; newTokens: number; headTokens?: number };
  baseWeights?: 'f32' | 'f16'; // the frozen weights' precision with LoRA (f32 when absent)
}

export interface TrainMemoryPlan {
  params: number; // the base model's
  trained: number; // parameters with gradients and moments (the adapters alone with LoRA)
  frozenBytes: number; // weights without gradients (2 bytes each in f16, else 4)
  trainedBytes: number; // float32 weights that train (adapters included)
  optimizerBytes: number; // AdamW m and v
  gradientBytes: number; // the gradients and their running sums
  microRows: number; // rows per forward/backward
  activationBytes: number; // what the backward pass of one micro-batch keeps (estimate)
  kvCacheBytes: number; // GRPO's sampling (0 without)
  samplingBytes: number; // the sampling phase beyond the weights: KV cache and decode activations
  referenceBytes: number; // GRPO's reference log-probs of a micro-batch (no gradient); 0 without GRPO
  totalBytes: number; // the step's peak
  largest: { what: string; bytes: number };
  problems: string[];
}

/**
 * Bytes the backward pass keeps. Stock ops, per token: all blocks' intermediates (64·C + 32·I + 12·H·T a
 * block, and 9 per output of each projection with a LoRA adapter) and the LM head's (16·V); with
 * recomputation each block's input (2·C) and one block's intermediates (40·C + 44·I + 15·H·T + LoRA's), the
 * head's 14·V. Fitted to tfjs's own peak (tf.profile) of a whole SFT forward/backward on CPU for nano and tiny
 * shapes (C 16–128, T 32–128, V 40–400, LoRA r 8), which the plan bounds within 15% (train_memory.test.ts).
 * The fused WebGPU path keeps no attention scores and no LoRA products: per token 20·C + 6.45·I + 1.3 per
 * adapted output + 350 a block, 1.75·C beside and the head's 1.7·V, and the causal mask's 2.5·T² once;
 * recomputed 2.2·C a block, 27.3·C + 7.7·I + 1.35 per adapted output for the one rebuilt, the head's 2.15·V and
 * 2.9·T². Rows with an attention mask (GRPO's, padded to one length) each have their own bias: T² more a row.
 * Fitted as upper bounds to the WebGPU buffers in use at their peak (SwiftShader, the larger of two runs: it
 * varies ±15% with when tfjs submits its commands) for 48 shapes (C 16–896, I/C 1–5.5, L 1–6, T 32–1,024,
 * V 40–8,192, full and LoRA r 4–16; Qwen2.5-0.5B's width at 1,024 tokens among them) and raised 10%: 1.04–1.5×
 * the measured peak, but for full fine-tuning recomputed with a large vocabulary (to 4.6×: its gradients count
 * whole though the peak comes before most exist); GRPO passes of the nano judge and of the tiny Qwen2 fixture
 * at 879 tokens, 1.06–1.24×. tfjs's own count (tf.profile) is 2–3× the buffers on this path: it counts a
 * reshape again though the view shares its buffer.
 * The head's term counts `headTokens` a row: GRPO's loss runs the head over the judgement's positions alone
 * (model.ts's headFrom), SFT's over all T; recomputed, the head runs headChunk(V) positions at a time, rebuilt
 * in the backward pass, and keeps a chunk's.
 */
export function trainActivationBytes(
  cfg: LlamaConfig,
  rows: number,
  T: number,
  recompute: boolean,
  loraTargets: readonly LoraTarget[] = [],
  headTokens = T,
  path: KernelPath = 'stock',
  masked = false, // the rows carry an attention mask (GRPO's padding): a bias of their own each
): number {
  const C = cfg.hidden_size,
    I = cfg.intermediate_size,
    H = cfg.num_attention_heads,
    V = cfg.vocab_size,
    L = cfg.num_hidden_layers;
  const n = rows * T;
  const outs = loraTargets.reduce((a, t) => a + projectionWidth(cfg, t), 0);
  const head = rows * Math.min(headTokens, T);
  const chunk = rows * Math.min(headTokens, T, headChunk(V));
  if (path === 'fused') {
    const bias = (masked ? rows : 0) * T * T;
    const floats = recompute
      ? n * (L * 2.2 * C + 27.3 * C + 7.7 * I + 1.35 * outs) + 2.15 * chunk * V + 2.9 * T * T + bias
      : n * (L * (20 * C + 6.45 * I + 1.3 * outs + 350) + 1.75 * C) + 1.7 * head * V + 2.5 * T * T + bias;
    return floats * F32;
  }
  const lora = LORA_FLOATS * outs;
  const floats = recompute
    ? n * (L * 2 * C + 40 * C + 44 * I + 15 * H * T + lora) + 14 * chunk * V
    : n * L * (64 * C + 32 * I + 12 * H * T + lora) + 16 * head * V;
  return floats * F32;
}

/**
 * The fused decode's copy of a trained model's projections for one generation (decode.ts's packDecodeWeights):
 * q|k|v and gate|up packed, o and down merged where adapted; none on a half-precision base (it projects
 * through its own weights and adapters).
 */
export function decodeCopyBytes(cfg: LlamaConfig, loraTargets: readonly LoraTarget[] | undefined): number {
  const C = cfg.hidden_size,
    I = cfg.intermediate_size,
    qkv = (cfg.num_attention_heads + 2 * cfg.num_key_value_heads) * headDim(cfg);
  const adapted = (t: LoraTarget) => !loraTargets || loraTargets.includes(t);
  const o = adapted('o_proj') && loraTargets ? C * projectionWidth(cfg, 'q_proj') : 0;
  const down = adapted('down_proj') && loraTargets ? C * I : 0;
  return cfg.num_hidden_layers * (qkv * (C + 1) + 2 * I * (C + 1) + o + down) * F32;
}

/** Floats an adapted projection adds per token and output: its update's product, sum and their gradients. */
const LORA_FLOATS = 9;

/** A projection's output width (the size of its update s·(x·Aᵀ)·Bᵀ per token). */
function projectionWidth(cfg: LlamaConfig, t: LoraTarget): number {
  const D = headDim(cfg);
  if (t === 'q_proj') return cfg.num_attention_heads * D;
  if (t === 'k_proj' || t === 'v_proj') return cfg.num_key_value_heads * D;
  return t === 'gate_proj' || t === 'up_proj' ? cfg.intermediate_size : cfg.hidden_size;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The plan of one training step under the adapter's limits. */
export function planTraining(cfg: LlamaConfig, req: TrainMemoryRequest, limits: MemoryLimits): TrainMemoryPlan {
  const shapes = paramShapes(cfg);
  const params = Object.values(shapes).reduce((n, s) => n + count(s), 0);
  const adapters = req.lora ? Object.values(loraShapes(cfg, req.lora, shapes)).reduce((n, s) => n + count(s), 0) : 0;
  const trained = req.lora ? adapters : params;
  const microRows = req.microBatch > 0 ? Math.min(req.microBatch, req.rows) : req.rows;
  const T = req.length;
  // GRPO's loss: the head over a judgement's positions (from the last prompt token on), not the prompt's
  const headT = req.sampling ? Math.min(T, req.sampling.headTokens ?? req.sampling.newTokens + 1) : T;
  // the buffer checks of a forward over a micro-batch (weights by binding, scores, MLP, vocabulary parts)
  const infer = planMemory(
    cfg,
    { promptTokens: T, maxNewTokens: 0, batch: microRows },
    { ...limits, deviceBytes: undefined },
  );
  const problems = [...infer.problems];
  let kvCacheBytes = 0,
    samplingBytes = 0;
  if (req.sampling) {
    const s = req.sampling;
    const gen = planMemory(
      cfg,
      { promptTokens: s.promptTokens, maxNewTokens: s.newTokens, batch: s.sequences, prompts: s.prompts },
      { ...limits, deviceBytes: undefined },
    );
    kvCacheBytes = gen.kvCacheBytes;
    const copy = limits.path === 'fused' && req.baseWeights !== 'f16' ? decodeCopyBytes(cfg, req.lora?.targets) : 0;
    samplingBytes = gen.kvCacheBytes + gen.activationBytes + copy;
    for (const p of gen.problems) if (!problems.includes(p)) problems.push(`sampling: ${p}`);
  }
  // frozen: a LoRA model's base, or full fine-tuning's π_ref (a copy of the weights, GRPO only)
  const frozenBytes = req.lora ? params * (req.baseWeights === 'f16' ? F16 : F32) : req.sampling ? params * F32 : 0;
  // ℓp_ref: a forward without gradient over a micro-batch (one block's intermediates, as a prefill's) and the
  // head a chunk of the judgement's positions at a time (logits, their log-softmax and the gather: ~4·V a position)
  const refHead = microRows * Math.min(headT, headChunk(cfg.vocab_size));
  const referenceBytes = req.sampling
    ? prefillActivationBytes(cfg, T, microRows, microRows, limits.path) +
      (4 * refHead - microRows) * cfg.vocab_size * F32
    : 0;
  const trainedBytes = trained * F32;
  const optimizerBytes = 2 * trained * F32;
  const gradientBytes = 2 * trained * F32;
  const masked = req.sampling !== undefined; // GRPO's rows are padded to one length
  const activationBytes = trainActivationBytes(
    cfg,
    microRows,
    T,
    req.recompute,
    req.lora?.targets,
    headT,
    limits.path,
    masked,
  );
  const fixed = frozenBytes + trainedBytes + optimizerBytes;
  const totalBytes = fixed + Math.max(gradientBytes + activationBytes, samplingBytes, referenceBytes);
  const logits = {
    what: `the logits of a micro-batch${infer.vocabParts > 1 ? ' (one vocabulary part)' : ''}`,
    bytes: microRows * headT * Math.ceil(cfg.vocab_size / infer.vocabParts) * F32,
  };
  for (const [limit, name] of [
    [limits.maxStorageBufferBindingSize, 'maxStorageBufferBindingSize'],
    [limits.maxBufferSize, 'maxBufferSize'],
  ] as const)
    if (logits.bytes > limit) {
      problems.push(`${logits.what} needs ${binaryBytes(logits.bytes)}, past ${name} ${binaryBytes(limit)}`);
      break;
    }
  if (limits.deviceBytes !== undefined && totalBytes > limits.deviceBytes)
    problems.push(
      `weights ${binaryBytes(frozenBytes + trainedBytes)} + AdamW moments ${binaryBytes(optimizerBytes)} + ` +
        (samplingBytes >= Math.max(gradientBytes + activationBytes, referenceBytes)
          ? `sampling (KV cache and decoding) ${binaryBytes(samplingBytes)}`
          : referenceBytes > gradientBytes + activationBytes
            ? `the reference pass ${binaryBytes(referenceBytes)}`
            : `gradients ${binaryBytes(gradientBytes)} + activations ${binaryBytes(activationBytes)}`) +
        ` = ${binaryBytes(totalBytes)}, past the device budget of ${binaryBytes(limits.deviceBytes)}`,
    );
  return {
    params,
    trained,
    frozenBytes,
    trainedBytes,
    optimizerBytes,
    gradientBytes,
    microRows,
    activationBytes,
    kvCacheBytes,
    samplingBytes,
    referenceBytes,
    totalBytes,
    largest: logits.bytes > infer.largest.bytes ? logits : infer.largest,
    problems,
  };
}

/**
 * The first setting that fits, from the request's micro-batch halved down to one row, each without and then
 * with recomputation: the fewest passes, and no recomputation's extra forward where it is not needed. null
 * when the request fits already or nothing does.
 */
export function fitTraining(
  cfg: LlamaConfig,
  req: TrainMemoryRequest,
  limits: MemoryLimits,
): { microBatch: number; recompute: boolean; plan: TrainMemoryPlan } | null {
  if (planTraining(cfg, req, limits).problems.length === 0) return null;
  const start = req.microBatch > 0 ? Math.min(req.microBatch, req.rows) : req.rows;
  const tries = [{ microBatch: start, recompute: req.recompute }];
  for (let m = start; m >= 1; m = m === 1 ? 0 : Math.max(1, Math.floor(m / 2)))
    for (const recompute of [false, true]) tries.push({ microBatch: m, recompute });
  for (const t of tries.slice(1)) {
    const plan = planTraining(cfg, { ...req, ...t }, limits);
    if (plan.problems.length === 0) return { ...t, plan };
  }
  return null;
}
