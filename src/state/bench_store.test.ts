// The bench page's options from a URL query (shareable links to a configured run).
import { describe, expect, it } from 'vitest';
import { BENCH_DEFAULTS, optionsFromQuery } from './bench_store';

describe('bench options', () => {
  it('reads the page options from a URL query, defaults for the rest', () => {
    expect(optionsFromQuery('?backends=webgpu&presets=nano,tiny&steps=1&compare=0&submitBatches=1,64')).toEqual({
      ...BENCH_DEFAULTS,
      backends: ['webgpu'],
      presets: ['nano', 'tiny'],
      steps: 1,
      compare: false,
      submitBatches: [1, 64],
    });
    expect(optionsFromQuery('')).toEqual(BENCH_DEFAULTS);
  });
});
