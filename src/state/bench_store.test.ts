// The bench page's options from a URL query (shareable links to a configured run): every option is checked
// by the suite's options table, the real model's (model.*) by the model suite's; a bad or unknown one keeps its
// default and is named, the others apply.
import { describe, expect, it } from 'vitest';
import { modelSuiteOptions } from '../bench/model_suite';
import { BENCH_DEFAULTS, optionsFromQuery } from './bench_store';

const MODEL_DEFAULTS = modelSuiteOptions({});

describe('bench options', () => {
  it('reads the page options from a URL query, defaults for the rest', () => {
    expect(optionsFromQuery('?backends=webgpu&presets=nano,tiny&steps=1&compare=0&submitBatches=1,64')).toEqual({
      options: {
        ...BENCH_DEFAULTS,
        backends: ['webgpu'],
        presets: ['nano', 'tiny'],
        steps: 1,
        compare: false,
        submitBatches: [1, 64],
      },
      model: MODEL_DEFAULTS,
      error: null,
    });
    expect(optionsFromQuery('')).toEqual({ options: BENCH_DEFAULTS, model: MODEL_DEFAULTS, error: null });
    expect(optionsFromQuery('?kernels=stock').options.kernels).toBe('stock');
  });

  it('steps=abc, a backend tpu, a submit batch of -1, an unknown option: each named, the rest applied', () => {
    const bad = optionsFromQuery('?steps=abc&backends=webgpu,tpu&submitBatches=1,-1&presets=tiny&kernels=fastest&x=1');
    expect(bad.options).toEqual({ ...BENCH_DEFAULTS, presets: ['tiny'] }); // not NaN steps or a "tpu" backend
    expect(bad.error).toContain('steps must be a whole number from 1 to 50 (got "abc")');
    expect(bad.error).toContain('backends must be a comma-separated list of webgpu, wasm, webgl, cpu');
    expect(bad.error).toContain('unknown "tpu"');
    expect(bad.error).toContain('submitBatches must be a comma-separated list of whole numbers from 1 to 1024');
    expect(bad.error).toContain('kernels must be one of auto, fused, stock (got "fastest")');
    expect(bad.error).toContain('Unknown option x');
    expect(optionsFromQuery('?steps=0').error).toContain('(got "0")');
  });

  it("reads the real model's options under model.*, each checked by the model suite's table", () => {
    const q = optionsFromQuery('?model.weights=f16&model.newTokens=64&model.train=lora16f16,lora16&model.grpo=1');
    expect(q.error).toBeNull();
    expect(q.options).toEqual(BENCH_DEFAULTS);
    expect(q.model).toEqual({
      ...MODEL_DEFAULTS,
      weights: ['f16'],
      newTokens: 64,
      train: ['lora16f16', 'lora16'],
      grpo: true,
    });
    const bad = optionsFromQuery('?model.newTokens=1&model.train=lora&model.weights=f8&steps=1');
    expect(bad.model).toEqual(MODEL_DEFAULTS);
    expect(bad.options.steps).toBe(1);
    expect(bad.error).toContain('model.newTokens must be a whole number from 2 to 4096 (got "1")');
    expect(bad.error).toContain('"lora" is not full, lora<rank> or lora<rank>f16');
    expect(bad.error).toContain('model.weights must be');
  });
});
