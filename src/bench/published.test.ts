// Other runtimes' published figures (published.ts) stand beside a checkpoint of the same shape and no other: the
// real configs (and random checkpoints of their shape) match their model, a config one size off or of another
// architecture matches none, and every figure names its runtime and source.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../engine/config';
import { QWEN25_05B_INSTRUCT, QWEN3_06B, SMOLLM2_135M_INSTRUCT } from '../engine/hf/known_configs';
import { knownModelOf, PUBLISHED, publishedFor } from './published';

describe('published figures', () => {
  it('match a config of the model they were published for', () => {
    expect(knownModelOf(validateConfig(SMOLLM2_135M_INSTRUCT))).toBe('SmolLM2-135M-Instruct');
    expect(knownModelOf(validateConfig(QWEN25_05B_INSTRUCT))).toBe('Qwen2.5-0.5B-Instruct');
    const qwen = publishedFor(validateConfig(QWEN25_05B_INSTRUCT));
    expect(qwen.length).toBeGreaterThan(0);
    expect(new Set(qwen.map((p) => p.model))).toEqual(new Set(['Qwen2.5-0.5B-Instruct']));
    expect(qwen.some((p) => p.runtime.startsWith('WebLLM') && p.weights === 'q4f16_1')).toBe(true);
  });

  it('match no other shape', () => {
    expect(knownModelOf(validateConfig({ ...QWEN25_05B_INSTRUCT, num_hidden_layers: 2 }))).toBeNull();
    expect(knownModelOf(validateConfig({ ...SMOLLM2_135M_INSTRUCT, tie_word_embeddings: false }))).toBeNull();
    // Qwen2's shape as a Llama (no q/k/v biases) is another model
    const asLlama = { ...QWEN25_05B_INSTRUCT, architectures: ['LlamaForCausalLM'], model_type: 'llama' };
    expect(knownModelOf(validateConfig(asLlama))).toBeNull();
    expect(publishedFor(validateConfig(QWEN3_06B))).toEqual([]);
  });

  it('each says whose it is and where it was published', () => {
    for (const p of PUBLISHED) {
      expect(p.runtime.length).toBeGreaterThan(0);
      expect(p.source).toMatch(/github\.com|arXiv \d{4}\.\d{5}|\.\w+\//);
      expect(p.decode !== '-' || p.memoryMB !== '-').toBe(true); // a row that states nothing has no place
    }
  });
});
