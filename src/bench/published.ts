// What other browser runtimes published for the real models the lab targets, to stand beside our own figures
// (bench/model_suite.ts): theirs, each with its source, never measured here. A checkpoint is matched to a model by
// its shape (a random checkpoint of SmolLM2-135M's shape reads the same bytes per token as SmolLM2-135M).
import type { LlamaConfig } from '../engine/config';
import { QWEN25_05B_INSTRUCT, SMOLLM2_135M_INSTRUCT } from '../engine/hf/known_configs';

export interface PublishedFigure {
  model: string; // as its publisher names it
  runtime: string; // the runtime and version, as stated
  weights: string; // their quantization or dtype (WebLLM's q4f16_1: 4-bit weights, f16 activations)
  device: string; // GPU and browser, as stated ('-': not stated)
  decode: string; // tokens/s as stated (a range stays a range); '-': none published
  memoryMB: string; // GPU memory as stated; '-': none
  source: string; // where it is published
}

/** The models figures are kept for, by the config fields that fix what a token reads and computes. */
const KNOWN_MODELS = [
  { name: 'SmolLM2-135M-Instruct', config: SMOLLM2_135M_INSTRUCT },
  { name: 'Qwen2.5-0.5B-Instruct', config: QWEN25_05B_INSTRUCT },
];

const SHAPE_FIELDS = [
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'vocab_size',
  'tie_word_embeddings',
] as const;

/** The known model whose shape this config has (the architecture too), or null. */
export function knownModelOf(cfg: LlamaConfig): string | null {
  const c = cfg as unknown as Record<string, unknown>;
  const arch = (c.architectures as string[] | undefined)?.[0];
  const hit = KNOWN_MODELS.find(
    (k) =>
      arch === k.config.architectures[0] &&
      SHAPE_FIELDS.every((f) => (c[f] ?? false) === ((k.config as Record<string, unknown>)[f] ?? false)),
  );
  return hit?.name ?? null;
}

const WEBLLM_CONFIG = 'github.com/mlc-ai/web-llm src/config.ts, prebuiltAppConfig vram_required_MB (v0.2.83)';
const webllmMemory = (model: string, weights: string, memoryMB: string): PublishedFigure => ({
  model,
  runtime: 'WebLLM 0.2.83',
  weights,
  device: '-',
  decode: '-',
  memoryMB,
  source: WEBLLM_CONFIG,
});

/** Read from each source (December 2026). WebLLM's own repository, its paper (arXiv 2412.15803) and LlamaWeb's
 * (arXiv 2605.20706) give no decode figure for these two models, nor does transformers.js for SmolLM2-135M. */
export const PUBLISHED: PublishedFigure[] = [
  webllmMemory('SmolLM2-135M-Instruct', 'q0f16', '360'),
  webllmMemory('SmolLM2-135M-Instruct', 'q0f32', '719'),
  webllmMemory('Qwen2.5-0.5B-Instruct', 'q4f16_1', '945'),
  webllmMemory('Qwen2.5-0.5B-Instruct', 'q0f16', '1,624'),
  webllmMemory('Qwen2.5-0.5B-Instruct', 'q0f32', '2,655'),
  {
    model: 'Qwen2.5-0.5B-Instruct',
    runtime: 'WebLLM (version not stated)',
    weights: 'not stated (a ~350 MB download)',
    device: 'Apple M3 MacBook Air',
    decode: '40–55',
    memoryMB: '-',
    source: 'oleksandr.lol/writing/building-a-local-chatbot-that-never-phones-home',
  },
  {
    model: 'Qwen2.5-0.5B-Instruct',
    runtime: 'transformers.js (version not stated)',
    weights: 'ONNX q4',
    device: 'not stated (Chrome 113+)',
    decode: '142 (a classification task)',
    memoryMB: '~400',
    source: 'github.com/ramuncle/webgpu-llm-benchmark',
  },
  {
    model: 'Qwen2.5-0.5B-Instruct',
    runtime: 'torch-webgpu (native Dawn on Vulkan, not a browser)',
    weights: 'f32',
    device: 'NVIDIA RTX 5090',
    decode: '21.0',
    memoryMB: '-',
    source: 'arXiv 2604.02344',
  },
];

/** The published figures for the model this config has the shape of (none for other shapes). */
export function publishedFor(cfg: LlamaConfig): PublishedFigure[] {
  const name = knownModelOf(cfg);
  return name ? PUBLISHED.filter((p) => p.model === name) : [];
}
