// The config.json fields of the small real models the lab targets (sizes, switches, ids; bookkeeping such as
// transformers_version left out), as the Hub publishes them: the tests check that each maps onto the family
// (config.ts), and scripts/make_random_checkpoint.ts writes random checkpoints of their exact shape.
// Leaves out the weights, which never enter the repository.

export const SMOLLM2_135M_INSTRUCT = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  max_position_embeddings: 8192,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 49152,
};

export const QWEN25_05B_INSTRUCT = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_sliding_window: false,
  vocab_size: 151936,
};

export const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_sliding_window: false,
  vocab_size: 151936,
};

export const TINYLLAMA_11B_CHAT = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 5632,
  max_position_embeddings: 2048,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 22,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
};

/** The tokenizer of each shape: how many tokens, and where ChatML's special tokens sit (the ids config.json names). */
export interface TokenizerShape {
  tokens: number; // the vocabulary (the embedding may have more rows)
  specials: { id: number; content: string }[];
}

/** The shapes scripts/make_random_checkpoint.ts writes: config.json and a tokenizer of the real size. */
export const RANDOM_SHAPES: Record<string, { config: Record<string, unknown>; tokenizer: TokenizerShape }> = {
  'smollm2-135m': {
    config: SMOLLM2_135M_INSTRUCT,
    tokenizer: {
      tokens: 49152,
      specials: [
        { id: 0, content: '<|endoftext|>' },
        { id: 1, content: '<|im_start|>' },
        { id: 2, content: '<|im_end|>' },
      ],
    },
  },
  'qwen2.5-0.5b': {
    config: QWEN25_05B_INSTRUCT,
    tokenizer: {
      tokens: 151665,
      // Qwen's 22 added tokens: ChatML's three, then 19 more (tools, vision) named here by number
      specials: [
        { id: 151643, content: '<|endoftext|>' },
        { id: 151644, content: '<|im_start|>' },
        { id: 151645, content: '<|im_end|>' },
        ...Array.from({ length: 19 }, (_, i) => ({ id: 151646 + i, content: `<|extra_${i}|>` })),
      ],
    },
  },
};
