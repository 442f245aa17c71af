// The memory plan of a model before any weight is fetched: parameters, weight bytes as stored and as
// computed (float32), the KV cache for the context asked for (prompt + new tokens, never the model's
// max_position_embeddings), an activation estimate, and the largest single GPU tensor — against the
// adapter's limits (maxBufferSize, maxStorageBufferBindingSize, and a device memory budget when one is
// known). Pure arithmetic on the config; what does not fit comes back as problems with the numbers.
// The embedding and an untied LM head are split by vocabulary rows when one binding cannot hold them
// (vocab_rows.ts), so they count as their largest part. Symbols: B batch, P prompt tokens, T = P + new
// tokens, C hidden, H heads, Hkv kv heads, D head dim, I MLP width, V vocab, L layers.
// Leaves out: the GPU pool's slack and the browser's own use of the device (a budget should leave room).
import type { BackendReport } from './backend';
import { headDim, type LlamaConfig } from './config';
import type { KernelPath } from './kernel_choice';
import { paramShapes } from './param_names';
import { vocabRowsPerPart, VOCAB_TABLES } from './vocab_rows';

const F32 = 4;

/** Bytes per element of config.json's torch_dtype (the safetensors the Hub serves for it). */
export function storedBytesPerElement(dtype: string): number {
  if (dtype === 'float32') return 4;
  if (dtype === 'float16' || dtype === 'bfloat16') return 2;
  throw new Error(`memory plan: torch_dtype "${dtype}" is not supported (float32, float16, bfloat16)`);
}

export interface MemoryLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** The device memory the model may take, when known (the browser does not say; a user's setting may). */
  deviceBytes?: number;
  /**
   * The code that will run: the fused WebGPU kernels keep fewer intermediates than the stock ops (no
   * attention scores, no repeated kv heads), so their activation terms are their own, fitted on WebGPU.
   * Stock when absent.
   */
  path?: KernelPath;
}

/** tfjs-wasm's heap grows to 4 GiB less one 64 KiB page (emscripten's getHeapMax): every tensor lives in it. */
export const WASM_HEAP_BYTES = 4_294_901_760;

/**
 * The limits a model is planned against on a started backend: WebGPU's adapter buffer limits (its memory
 * unknown unless `deviceBytes` says), WASM's heap for everything, none on the CPU backend; `deviceBytes`
 * lowers the memory budget further. `path`: the kernels in force (fused only counts on WebGPU).
 */
export function backendMemoryLimits(report: BackendReport, deviceBytes?: number, path?: KernelPath): MemoryLimits {
  const within = (own?: number) => {
    const budget = Math.min(own ?? Infinity, deviceBytes ?? Infinity);
    return Number.isFinite(budget) ? { deviceBytes: budget } : {};
  };
  if (report.name === 'webgpu' && report.adapter) {
    const l = report.adapter.limits;
    const limits = { maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize };
    return { ...limits, ...within(), ...(path ? { path } : {}) };
  }
  if (report.name === 'wasm')
    return { maxBufferSize: WASM_HEAP_BYTES, maxStorageBufferBindingSize: WASM_HEAP_BYTES, ...within(WASM_HEAP_BYTES) };
  return { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity, ...within() };
}

/**
 * The context a judge's load is planned for: a judgement's prompt and its answer within 1,024 tokens, one
 * at a time (the KV cache grows linearly with it, activations faster).
 */
export const PLAN_CONTEXT: MemoryRequest = { promptTokens: 768, maxNewTokens: 256, batch: 1 };

export interface MemoryRequest {
  promptTokens: number; // P
  maxNewTokens: number;
  batch: number; // B
  prompts?: number; // U: distinct prompts among the B rows, each prefilled once (generate.ts); B when absent
  weights?: 'f16' | 'f32'; // how the matrices are held on the device (f16_weights.ts: half-precision words); f32
}

export interface MemoryPlan {
  params: number;
  storedDtype: string;
  storedBytes: number; // the weights as downloaded
  f32Bytes: number; // the weights in float32
  weightBytes: number; // the weights on the device: f32Bytes, or the matrices at 2 bytes with f16 weights
  context: number; // T = P + new tokens: what the KV cache holds
  kvCacheBytes: number;
  activationBytes: number; // the larger of the prefill and one decode step (estimate)
  totalBytes: number; // weights on the device + KV cache + activations
  largest: { what: string; bytes: number }; // the largest single tensor, vocabulary tables as split
  vocabParts: number; // parts each vocabulary table is split into (1: not split)
  problems: string[]; // what does not fit, with the numbers; empty when it all fits
}

/** Binary units, as WebGPU's limits are powers of two: "519.3 MiB", "3.5 KiB", "192 B". */
export function binaryBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

/**
 * Floats the stock path holds per token for one layer: the two norms and residual adds (~16·C), q/k/v
 * with their RoPE and head splits (~12·(H + 2·Hkv)·D), gate, up, SiLU and product (~8.5·I), and the
 * attention scores over the `attended` keys (scores, bias, softmax: ~5·H·attended). Fitted to tfjs's
 * own peak (tf.profile) on CPU for small shapes, where it bounds the measured peak within 15%; the fused
 * path writes fewer intermediates.
 */
function floatsPerTokenLayer(cfg: LlamaConfig, attended: number): number {
  const C = cfg.hidden_size,
    H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads,
    D = headDim(cfg),
    I = cfg.intermediate_size;
  return 16 * C + 12 * (H + 2 * Hkv) * D + 8.5 * I + 5 * H * attended;
}

/**
 * The same on the fused WebGPU path, per token and layer: the MLP's outputs (~4.2·I) and q|k|v's
 * (~3.1·(H + 2·Hkv)·D), the stream's among them, no attention scores; the prefill's bias and what reads it
 * ~14.5·P². Fitted as upper bounds to the WebGPU buffers in use at their peak (SwiftShader) for nine shapes
 * (C 56–896, I/C 1.4–5.5, GQA 1–7, P 64–1,024; Qwen2.5-0.5B's width among them) and raised 10%: 1.07–2× the
 * measured peak (one run each; the peak moves with when tfjs submits its commands). tfjs's own count is higher:
 * it counts a reshape again though the view shares its buffer.
 */
function fusedFloatsPerTokenLayer(cfg: LlamaConfig): number {
  return 4.2 * cfg.intermediate_size + 3.1 * qkvWidth(cfg);
}

const qkvWidth = (cfg: LlamaConfig) => (cfg.num_attention_heads + 2 * cfg.num_key_value_heads) * headDim(cfg);

/**
 * The prefill of P tokens over U distinct prompts (generate.ts frees each layer's intermediates before the
 * next): one layer's intermediates, the attention bias and what reads it (~2.5·P², refitted once the bias was
 * built without keeping its intermediates; fused ~14.5·P²), the stream in and out, and the last position's
 * logits; when B > U rows share them, a layer's keys and values copied to the B cache rows (2·B·Hkv·P·D).
 */
export function prefillActivationBytes(
  cfg: LlamaConfig,
  P: number,
  U: number,
  B = U,
  path: KernelPath = 'stock',
): number {
  const copies = B > U ? 2 * B * cfg.num_key_value_heads * P * headDim(cfg) : 0;
  const floats =
    path === 'fused'
      ? U * P * fusedFloatsPerTokenLayer(cfg) + 14.5 * P * P + copies
      : U * P * floatsPerTokenLayer(cfg, P) + 2.5 * P * P + 2 * U * P * cfg.hidden_size + copies;
  return (floats + B * cfg.vocab_size) * F32;
}

/**
 * One decode step over a T-slot cache (one tidy for the whole step): every layer's intermediates for one
 * token, and per slot the stock path's repeated kv heads (~4·H·D a layer when H > Hkv) and the cache
 * write's blend (~2·Hkv·D), then the logits. Fitted like floatsPerTokenLayer. The fused step writes the
 * cache in place and attends over it in one program: ~25·C + 7·I + 2·(H + 2·Hkv)·D + 2·T a layer (fitted to
 * tfjs's count; the buffers in use are far fewer, a few KiB a step, so it is a loose bound there).
 */
export function decodeActivationBytes(cfg: LlamaConfig, T: number, B: number, path: KernelPath = 'stock'): number {
  const H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads,
    D = headDim(cfg);
  const perSlot = (H > Hkv ? 4 * H * D : 0) + 2 * Hkv * D;
  const layer =
    path === 'fused'
      ? B * (25 * cfg.hidden_size + 7 * cfg.intermediate_size + 2 * qkvWidth(cfg) + 2 * T)
      : B * (floatsPerTokenLayer(cfg, T) + T * perSlot);
  return (cfg.num_hidden_layers * layer + B * cfg.vocab_size) * F32;
}

/** The plan for generating maxNewTokens after a P-token prompt, batch B, under the adapter's limits. */
export function planMemory(
  cfg: LlamaConfig,
  req: MemoryRequest,
  limits: MemoryLimits,
  storedDtype = cfg.torch_dtype,
): MemoryPlan {
  const { promptTokens: P, batch: B } = req;
  const U = Math.min(B, req.prompts ?? B);
  const T = P + req.maxNewTokens;
  const L = cfg.num_hidden_layers,
    V = cfg.vocab_size,
    C = cfg.hidden_size,
    D = headDim(cfg),
    H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads;
  const binding = limits.maxStorageBufferBindingSize;
  const shapes = paramShapes(cfg);
  const params = Object.values(shapes).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  const rowsPerPart = vocabRowsPerPart(C, binding);
  const vocabParts = rowsPerPart === 0 ? Infinity : rowsPerPart >= V ? 1 : Math.ceil(V / rowsPerPart);

  // K and V per layer [B, Hkv, T, D], and the slots' bias [B, T]
  const kvLayer = B * Hkv * T * D * F32;
  const kvCacheBytes = 2 * L * kvLayer + B * T * F32;
  const path = limits.path ?? 'stock';
  const activationBytes = Math.max(prefillActivationBytes(cfg, P, U, B, path), decodeActivationBytes(cfg, T, B, path));
  const f32Bytes = params * F32;
  // half-precision weights: every matrix (embedding, projections, LM head) in f16 words; norms and biases f32
  const matrices = Object.values(shapes)
    .filter((s) => s.length === 2)
    .reduce((n, s) => n + s[0] * s[1], 0);
  const weightBytes = req.weights === 'f16' ? f32Bytes - 2 * matrices : f32Bytes;

  const problems: string[] = [];
  const tensors: { what: string; bytes: number }[] = [
    { what: 'a KV cache layer', bytes: kvLayer },
    // the fused attention never makes the scores: their size is no limit there
    { what: 'the attention scores of the prompt', bytes: path === 'fused' ? 0 : U * H * P * P * F32 },
    { what: 'the MLP activation of the prompt', bytes: U * P * cfg.intermediate_size * F32 },
    { what: 'the logits of one position', bytes: B * V * F32 },
  ];
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * F32;
    if (!VOCAB_TABLES.includes(name)) tensors.push({ what: name, bytes });
    else if (rowsPerPart === 0)
      problems.push(
        `${name}: one row of ${binaryBytes(C * F32)} is past maxStorageBufferBindingSize ${binaryBytes(binding)}`,
      );
    else
      tensors.push({
        what: vocabParts > 1 ? `${name} (1 of ${vocabParts} parts)` : name,
        bytes: Math.min(V, rowsPerPart) * C * F32,
      });
  }
  const largest = tensors.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  for (const t of tensors) {
    if (t.bytes > binding)
      problems.push(
        `${t.what} needs ${binaryBytes(t.bytes)}, past maxStorageBufferBindingSize ${binaryBytes(binding)}`,
      );
    else if (t.bytes > limits.maxBufferSize)
      problems.push(`${t.what} needs ${binaryBytes(t.bytes)}, past maxBufferSize ${binaryBytes(limits.maxBufferSize)}`);
  }
  const totalBytes = weightBytes + kvCacheBytes + activationBytes;
  if (limits.deviceBytes !== undefined && totalBytes > limits.deviceBytes)
    problems.push(
      `weights ${binaryBytes(weightBytes)}${req.weights === 'f16' ? ' (f16)' : ''} + KV cache ` +
        `${binaryBytes(kvCacheBytes)} + activations ${binaryBytes(activationBytes)} = ` +
        `${binaryBytes(totalBytes)}, past the device memory of ` +
        binaryBytes(limits.deviceBytes),
    );
  if (T > cfg.max_position_embeddings)
    problems.push(
      `prompt ${P} + ${req.maxNewTokens} new tokens = ${T}, past the context of ${cfg.max_position_embeddings}`,
    );
  return {
    params,
    storedDtype,
    storedBytes: params * storedBytesPerElement(storedDtype),
    f32Bytes,
    weightBytes,
    context: T,
    kvCacheBytes,
    activationBytes,
    totalBytes,
    largest,
    vocabParts,
    problems,
  };
}
