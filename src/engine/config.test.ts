// What must hold: our presets and their config.json are what they were (a checkpoint written before the family
// grew loads to the same config); the config.json fields of the real models we target map onto the family's
// switches (biases, q/k norms, head_dim, GQA, tied head, rope scaling); every bad field is refused naming
// the file and the field; unsupported architectures and rope scalings are refused naming them and what is
// supported; RoPE frequencies follow transformers' default, linear and llama3 rules; a huge
// max_position_embeddings loads and nothing is sized by it; a sliding window is refused only past it.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkWithinWindow, headDim, layerFeatures, presetConfig, validateConfig } from './config';
import { generate } from './generate';
import { initParams } from './model';
import { initNodeBackend } from './node_webgpu';
import { countParams } from './param_names';
import { ropeInvFreq } from './rope_tables';

const ids = { vocab_size: 120, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 };

// The fields of these models' config.json on the Hub (ids, sizes, switches; bookkeeping fields left out).
const SMOLLM2_135M = {
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
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
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
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const TINYLLAMA = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_size: 2048,
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
  vocab_size: 32000,
};
const LLAMA3_SCALING = {
  factor: 32.0,
  high_freq_factor: 4.0,
  low_freq_factor: 1.0,
  original_max_position_embeddings: 8192,
  rope_type: 'llama3',
};

describe('presets and our checkpoints', () => {
  it('nano is as it was, and a config.json written before the family grew loads to it unchanged', () => {
    const old = JSON.parse(readFileSync('e2e/fixtures/nano-judge/config.json', 'utf8'));
    const nano = presetConfig('nano', ids);
    expect(nano).toEqual(old); // same fields, same values, nothing added
    expect(validateConfig(old)).toEqual(old);
    expect(layerFeatures(nano)).toEqual({ qkvBias: false, oBias: false, mlpBias: false, qkNorm: false });
    expect(countParams(nano)).toBe(8528);
  });
});

describe('Hugging Face config.json → the family', () => {
  it('SmolLM2-135M: Llama, GQA 3:1, head_dim 64, tied, no biases', () => {
    const c = validateConfig(SMOLLM2_135M);
    expect([c.model_type, headDim(c), c.num_attention_heads / c.num_key_value_heads]).toEqual(['llama', 64, 3]);
    expect([c.tie_word_embeddings, c.rope_theta, c.pad_token_id]).toEqual([true, 100000, 2]);
    expect(layerFeatures(c)).toEqual({ qkvBias: false, oBias: false, mlpBias: false, qkNorm: false });
    expect(countParams(c)).toBe(134515008); // SmolLM2-135M's published parameter count
  });

  it('Qwen2.5-0.5B: q/k/v biases without an o bias, GQA 7:1, no window (use_sliding_window false)', () => {
    const c = validateConfig(QWEN25_05B);
    expect([c.model_type, headDim(c), c.num_attention_heads / c.num_key_value_heads]).toEqual(['qwen2', 64, 7]);
    expect(layerFeatures(c)).toEqual({ qkvBias: true, oBias: false, mlpBias: false, qkNorm: false });
    expect(countParams(c)).toBe(494032768); // Qwen2.5-0.5B's published parameter count
    expect(() => checkWithinWindow(c, 100000, 'generate')).not.toThrow();
    expect(c.pad_token_id).toBe(151645); // no pad_token_id: padding (masked) uses the eos row
  });

  it("Qwen3-0.6B: q/k norms, head_dim 128 ≠ 1024 / 16 (128 also when missing: transformers' default)", () => {
    const c = validateConfig(QWEN3_06B);
    expect([c.model_type, headDim(c), c.hidden_size / c.num_attention_heads]).toEqual(['qwen3', 128, 64]);
    expect(layerFeatures(c)).toEqual({ qkvBias: false, oBias: false, mlpBias: false, qkNorm: true });
    const { head_dim: _, ...noHeadDim } = QWEN3_06B;
    expect(headDim(validateConfig(noHeadDim))).toBe(128);
    expect(countParams(c)).toBe(596049920); // 0.6B with the tied head counted once
  });

  it('TinyLlama: untied head, GQA 8:1; Llama biases and llama3 scaling when set; Mistral; rope_parameters', () => {
    const t = validateConfig(TINYLLAMA);
    expect([t.tie_word_embeddings, t.num_attention_heads / t.num_key_value_heads, t.rms_norm_eps]).toEqual([
      false,
      8,
      1e-5,
    ]);
    const biased = validateConfig({ ...TINYLLAMA, attention_bias: true, mlp_bias: true });
    expect(layerFeatures(biased)).toEqual({ qkvBias: true, oBias: true, mlpBias: true, qkNorm: false });
    expect(validateConfig({ ...TINYLLAMA, rope_scaling: LLAMA3_SCALING }).rope_scaling?.rope_type).toBe('llama3');
    // Qwen2 and Mistral have no such fields in transformers: they are ignored, as there
    expect(layerFeatures(validateConfig({ ...QWEN25_05B, attention_bias: true })).oBias).toBe(false);
    const mistral = validateConfig({ ...TINYLLAMA, architectures: ['MistralForCausalLM'], model_type: 'mistral' });
    expect([mistral.model_type, mistral.sliding_window]).toEqual(['mistral', null]);
    // transformers 5 moves rope_theta and the scaling into rope_parameters
    const v5 = { ...TINYLLAMA, rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 5e5 } };
    expect([validateConfig(v5).rope_theta, validateConfig(v5).rope_scaling]).toEqual([5e5, undefined]);
  });

  it('without architectures, model_type decides', () => {
    const { architectures: _, ...bare } = QWEN3_06B;
    expect(validateConfig(bare).architectures).toEqual(['Qwen3ForCausalLM']);
  });
});

describe('refusals name the file and the field', () => {
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['a negative size', { hidden_size: -576 }, /config.json: "hidden_size" must be a positive integer \(got -576\)/],
    ['a missing size', { num_hidden_layers: undefined }, /"num_hidden_layers" must be a positive integer/],
    ['a fractional size', { intermediate_size: 1536.5 }, /"intermediate_size" must be a positive integer/],
    ['heads that do not divide the width', { num_attention_heads: 7 }, /hidden_size 576 is not divisible by/],
    ['kv heads that do not divide the heads', { num_key_value_heads: 2 }, /num_attention_heads 9 is not divisible/],
    ['an odd head dimension', { head_dim: 63 }, /head dimension 63 must be even/],
    ['a size past any model', { vocab_size: 1e9 }, /"vocab_size" is 1000000000, past any model's size/],
    ['a zero epsilon', { rms_norm_eps: 0 }, /"rms_norm_eps" must be a positive number/],
    ['a rope_theta that is text', { rope_theta: '1e4' }, /"rope_theta" must be a positive number/],
    ['a tie flag that is text', { tie_word_embeddings: 'yes' }, /"tie_word_embeddings" must be true or false/],
    [
      'an eos id past the vocabulary',
      { eos_token_id: [2, 49152] },
      /"eos_token_id" must be a token id below vocab_size/,
    ],
    ['another activation', { hidden_act: 'gelu' }, /hidden_act "gelu" is not supported \(only "silu"\)/],
    ['partial rotary embeddings', { partial_rotary_factor: 0.5 }, /partial_rotary_factor 0.5 is not supported/],
    [
      'an unsupported architecture',
      { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' },
      new RegExp(
        'config.json: architecture "GPT2LMHeadModel" is not supported ' +
          '\\(supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM\\)',
      ),
    ],
    [
      'an unsupported model_type without architectures',
      { architectures: undefined, model_type: 'gemma' },
      /model_type "gemma" is not supported \(supported: LlamaForCausalLM/,
    ],
    ['a model_type that contradicts the architecture', { model_type: 'qwen2' }, /model_type "qwen2" does not match/],
    [
      'an unsupported rope scaling',
      { rope_scaling: { rope_type: 'yarn', factor: 4 } },
      /rope_scaling type "yarn" is not supported \(supported: llama3, linear\)/,
    ],
    [
      'a llama3 scaling without its fields',
      { rope_scaling: { rope_type: 'llama3', factor: 8 } },
      /rope_scaling.low_freq_factor must be a positive number/,
    ],
    [
      'a llama3 scaling whose bands are upside down',
      { rope_scaling: { ...LLAMA3_SCALING, high_freq_factor: 1, low_freq_factor: 4 } },
      /high_freq_factor 1 must exceed low_freq_factor 4/,
    ],
    ['a linear scaling without a factor', { rope_scaling: { type: 'linear' } }, /rope_scaling.factor must be/],
  ];
  for (const [what, change, msg] of refused)
    it(`refuses ${what}`, () => {
      expect(() => validateConfig({ ...SMOLLM2_135M, ...change })).toThrow(msg);
    });

  it('names the file it was given, and refuses what is not an object', () => {
    expect(() => validateConfig({ ...SMOLLM2_135M, hidden_size: 0 }, 'models/x/config.json')).toThrow(
      /^models\/x\/config.json: "hidden_size"/,
    );
    expect(() => validateConfig([1, 2])).toThrow('config.json: expected a JSON object');
  });
});

describe('RoPE frequencies', () => {
  const cfg = (rope_scaling: unknown, D = 64) =>
    validateConfig({ ...TINYLLAMA, hidden_size: 32 * D, rope_theta: 500000, rope_scaling });

  it('default θ^(−2i/D); linear divides each by the factor; llama3 keeps high, divides low, blends between', () => {
    const base = ropeInvFreq(cfg(null));
    base.forEach((f, i) => expect(f).toBeCloseTo(500000 ** (-(2 * i) / 64), 15));
    ropeInvFreq(cfg({ type: 'linear', factor: 4 })).forEach((f, i) => expect(f).toBe(base[i] / 4));
    const scaled = ropeInvFreq(cfg(LLAMA3_SCALING));
    let kept = 0,
      divided = 0,
      blended = 0;
    base.forEach((f, i) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < 8192 / 4) {
        expect(scaled[i]).toBe(f);
        kept++;
      } else if (wavelen > 8192 / 1) {
        expect(scaled[i]).toBe(f / 32);
        divided++;
      } else {
        // smooth = (8192 / wavelen − 1) / 3, between the divided and the kept value
        const smooth = (8192 / wavelen - 1) / 3;
        expect(scaled[i]).toBeCloseTo((1 - smooth) * (f / 32) + smooth * f, 15);
        expect(scaled[i] > f / 32 && scaled[i] < f).toBe(true);
        blended++;
      }
    });
    expect([kept > 0, divided > 0, blended > 0]).toEqual([true, true, true]);
  });
});

describe('what the context sizes', () => {
  beforeAll(() => initNodeBackend('cpu'));

  it('max_position_embeddings 1e9 loads, and generation allocates by prompt + new tokens, not by it', async () => {
    const cfg = validateConfig({ ...presetConfig('nano', ids), max_position_embeddings: 1e9 });
    expect(cfg.max_position_embeddings).toBe(1e9);
    const params = initParams(cfg, 1);
    const before = tf.memory().numBytes;
    let peak = 0;
    const out = await generate(params, cfg, [[1, 5, 9]], {
      maxNewTokens: 4,
      temperature: 0,
      seed: 1,
      eosIds: [],
      padId: 0,
      readEvery: 1,
      onTokens: () => {
        peak = Math.max(peak, tf.memory().numBytes - before);
      },
    });
    expect(out.tokens[0]).toHaveLength(4);
    // the KV cache for 3 + 4 slots: 2 layers × k, v × [1, 1, 7, 8] floats, plus the step's small tensors
    expect(peak).toBeLessThan(10_000);
    tf.dispose(Object.values(params));
  });

  it('a sliding window: refused past it (naming sliding_window), ignored where transformers ignores it', () => {
    const mistral = validateConfig({
      ...TINYLLAMA,
      architectures: ['MistralForCausalLM'],
      model_type: 'mistral',
      sliding_window: 8,
    });
    expect(() => checkWithinWindow(mistral, 8, 'generate')).not.toThrow();
    expect(() => checkWithinWindow(mistral, 9, 'generate')).toThrow(
      /generate: 9 tokens pass config.json's sliding_window of 8/,
    );
    const qwen = validateConfig({ ...QWEN25_05B, sliding_window: 8 }); // use_sliding_window: false
    expect(() => checkWithinWindow(qwen, 9, 'forward')).not.toThrow();
    const windowed = validateConfig({ ...QWEN25_05B, sliding_window: 8, use_sliding_window: true });
    expect(() => checkWithinWindow(windowed, 9, 'forward')).toThrow(/sliding_window of 8/);
  });
});
