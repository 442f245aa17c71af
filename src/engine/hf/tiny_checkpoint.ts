// Tiny random checkpoints in Hugging Face layout, one per member of the family the engine runs, for tests:
// config.json as transformers writes it, model.safetensors (or model-0000i-of-0000N.safetensors shards with
// model.safetensors.index.json) in F32, F16 or BF16, generation_config.json and the tiny byte-level BPE
// tokenizer (tiny_tokenizer.ts: merges, added special tokens, a ChatML template). Weights are dyadic
// rationals k / 2^s with |k| < 128, exact in all three dtypes, so a reference forward reads exactly the
// numbers written. Shapes are chosen to reach every switch: GQA 3:1 and 7:1, tied and untied heads, Qwen2's
// q/k/v biases, Llama's attention and MLP biases, Qwen3's q/k norms with head_dim ≠ C / H, llama3 and
// linear rope scaling, a vocabulary with more rows than tokens. Leaves out full-size shapes
// (scripts/make_random_checkpoint.ts).
import { validateConfig } from '../config';
import { paramShapes } from '../param_names';
import { createRng } from '../rng';
import { encodeTensor, type SafeDtype, safetensorsHeader } from '../safetensors';
import { tinyTokenizerFiles } from './tiny_tokenizer';
import { INDEX_FILE, SINGLE_FILE } from './weights';

export interface TinyVariant {
  name: string;
  /** config.json, as the Hub has it for this architecture (sizes made tiny). */
  config: Record<string, unknown>;
  dtype: SafeDtype;
  /** 1: model.safetensors; more: that many shards and the index. */
  shards: number;
}

/** The tiny tokenizer has 559 tokens; models may have more rows, as Qwen's do. */
const VOCAB = 576;
const TOKENIZER = tinyTokenizerFiles();
/** config.json's ids as Qwen writes them: bos <|endoftext|>, eos <|im_end|> (generation_config.json lists both). */
const IDS = (() => {
  const gen = JSON.parse(new TextDecoder().decode(TOKENIZER['generation_config.json']));
  return { bos_token_id: gen.bos_token_id as number, eos_token_id: (gen.eos_token_id as number[])[0] };
})();

const common = (arch: string, type: string) => ({
  architectures: [arch],
  model_type: type,
  vocab_size: VOCAB,
  num_hidden_layers: 2,
  hidden_act: 'silu',
  initializer_range: 0.02,
  max_position_embeddings: 2048,
  ...IDS,
});

export const TINY_VARIANTS: readonly TinyVariant[] = [
  {
    // SmolLM2: tied head, GQA 3:1, bf16
    name: 'llama-tied-bf16',
    dtype: 'BF16',
    shards: 1,
    config: {
      ...common('LlamaForCausalLM', 'llama'),
      hidden_size: 48,
      intermediate_size: 64,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-5,
      rope_theta: 100000,
      tie_word_embeddings: true,
      attention_bias: false,
      mlp_bias: false,
      torch_dtype: 'bfloat16',
    },
  },
  {
    // Llama with every bias and Llama 3's rope scaling, untied head, f16
    name: 'llama-biases-llama3-rope-f16',
    dtype: 'F16',
    shards: 1,
    config: {
      ...common('LlamaForCausalLM', 'llama'),
      hidden_size: 32,
      intermediate_size: 48,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 256, // with D = 8: one frequency kept, one blended, two divided
      },
      tie_word_embeddings: false,
      attention_bias: true,
      mlp_bias: true,
      torch_dtype: 'float16',
    },
  },
  {
    // Qwen2.5: q/k/v biases, GQA 7:1, tied, theta 1e6, sharded with an index, bf16
    name: 'qwen2-sharded-bf16',
    dtype: 'BF16',
    shards: 3,
    config: {
      ...common('Qwen2ForCausalLM', 'qwen2'),
      hidden_size: 56,
      intermediate_size: 80,
      num_attention_heads: 7,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      sliding_window: 32768,
      use_sliding_window: false,
      max_window_layers: 21,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
    },
  },
  {
    // Qwen3: q/k norms, head_dim 16 ≠ 32 / 4, GQA 2:1, untied, f16
    name: 'qwen3-head-dim-f16',
    dtype: 'F16',
    shards: 1,
    config: {
      ...common('Qwen3ForCausalLM', 'qwen3'),
      hidden_size: 32,
      intermediate_size: 48,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      attention_bias: false,
      tie_word_embeddings: false,
      torch_dtype: 'float16',
    },
  },
  {
    // Mistral: explicit head_dim 12 ≠ 32 / 4, linear rope scaling, a window longer than any test, f32
    name: 'mistral-linear-rope-f32',
    dtype: 'F32',
    shards: 2,
    config: {
      ...common('MistralForCausalLM', 'mistral'),
      hidden_size: 32,
      intermediate_size: 48,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 12,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      rope_scaling: { type: 'linear', factor: 2 },
      sliding_window: 4096,
      tie_word_embeddings: false,
      torch_dtype: 'float32',
    },
  },
];

/** Seeded values k / 2^shift, |k| < 128: exact in F32, F16 and BF16. Norm weights are 1 + k / 128. */
function dyadic(name: string, n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const norm = /norm\.weight$/.test(name),
    bias = /\.bias$/.test(name),
    embed = name.endsWith('embed_tokens.weight');
  const range = norm ? 33 : 63; // k in (−range, range)
  // std ≈ 0.14 for matrices, 0.28 for biases, 0.57 for embeddings: peaked but finite logits (|z| ≲ 20)
  const shift = norm || bias ? 7 : embed ? 6 : 8;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (norm ? 1 : 0) + (rng.int(2 * range - 1) - (range - 1)) / 2 ** shift;
  return data;
}

const json = (x: unknown) => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);

/** Splits names into `n` runs of about equal bytes, in order (as transformers' max_shard_size does). */
function shardRuns(names: string[], sizes: number[], n: number): string[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const runs: string[][] = Array.from({ length: n }, () => []);
  let sum = 0;
  names.forEach((name, i) => {
    runs[Math.min(n - 1, Math.floor((sum * n) / total))].push(name);
    sum += sizes[i];
  });
  return runs;
}

/** The shard file names of an n-way split (model-00001-of-00003.safetensors, …). */
export function shardFileNames(n: number): string[] {
  const pad = (k: number) => String(k).padStart(5, '0');
  return Array.from({ length: n }, (_, i) => `model-${pad(i + 1)}-of-${pad(n)}.safetensors`);
}

/** A tensor to write: its name, dtype, shape and values. */
export type TensorToWrite = [name: string, dtype: SafeDtype, shape: number[], data: Float32Array];

/** One safetensors file of these tensors, in memory (with transformers' "format" entry). */
export function safetensorsFile(tensors: TensorToWrite[]): Uint8Array {
  const header = safetensorsHeader(
    tensors.map(([name, dtype, shape]) => ({ name, dtype, shape })),
    { format: 'pt' },
  );
  const parts = [header, ...tensors.map(([, dtype, , data]) => encodeTensor(data, dtype))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface TinyCheckpoint {
  files: Record<string, Uint8Array>;
  /** Every tensor as written, by HF name (the values are exact in the file's dtype). */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

/** A variant's files: config.json, weights (sharded or not), generation_config.json and the tokenizer. */
export function tinyCheckpoint(v: TinyVariant, seed = 1): TinyCheckpoint {
  const shapes = paramShapes(validateConfig(v.config));
  const names = Object.keys(shapes);
  const tensors: TinyCheckpoint['tensors'] = {};
  names.forEach((name, i) => {
    const shape = shapes[name];
    tensors[name] = {
      shape,
      data: dyadic(
        name,
        shape.reduce((a, b) => a * b, 1),
        seed * 1000 + i,
      ),
    };
  });
  const files: Record<string, Uint8Array> = { ...TOKENIZER, 'config.json': json(v.config) };
  const entry = (name: string): TensorToWrite => [name, v.dtype, tensors[name].shape, tensors[name].data];
  if (v.shards === 1) files[SINGLE_FILE] = safetensorsFile(names.map(entry));
  else {
    const runs = shardRuns(
      names,
      names.map((n) => tensors[n].data.length),
      v.shards,
    );
    const shardNames = shardFileNames(v.shards);
    const weightMap: Record<string, string> = {};
    runs.forEach((run, k) => {
      files[shardNames[k]] = safetensorsFile(run.map(entry));
      for (const name of run) weightMap[name] = shardNames[k];
    });
    const totalSize = Object.values(tensors).reduce((n, t) => n + t.data.length * (v.dtype === 'F32' ? 4 : 2), 0);
    files[INDEX_FILE] = json({ metadata: { total_size: totalSize }, weight_map: weightMap });
  }
  return { files, tensors };
}
