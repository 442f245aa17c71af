// The URL hash round-trips the page and every changed setting; a link with any bad setting (unknown, mistyped or
// out of range) falls back to the defaults and names each one.
import { describe, expect, it } from 'vitest';
import { applyOverrides, RUN_DEFAULTS } from '../train/run_config';
import { formatHash, parseHash } from './url';

describe('URL hash state', () => {
  it('round-trips the page and the settings that differ from the defaults, seed included', () => {
    const config = applyOverrides(RUN_DEFAULTS, { seed: '7', 'grpo.beta': '0.02', preset: 'nano', noRubric: 'true' });
    const hash = formatHash('groups', config);
    expect(hash).toBe('#/groups?preset=nano&seed=7&noRubric=true&grpo.beta=0.02');
    expect(parseHash(hash)).toEqual({ page: 'groups', config, error: null });
    expect(formatHash('train', RUN_DEFAULTS)).toBe('#/train');
  });
  it('falls back to the defaults on a bad setting and says which, and to the Train page on an unknown page', () => {
    const s = parseHash('#/judge?grpo.beta=lots');
    expect(s.page).toBe('judge');
    expect(s.config).toEqual(RUN_DEFAULTS);
    expect(s.error).toMatch(/"grpo.beta" must be a number/);
    expect(parseHash('#/nowhere').page).toBe('train');
    expect(parseHash('').page).toBe('train');
  });
  it('"Ranges, not only types": an out-of-range, fractional or unknown link setting is refused, each named', () => {
    const s = parseHash('#/train?grpo.steps=1e12&seed=1.5&sft.batchSize=0&grpo.topP=7&world.nEval=-3&sft.lrr=1');
    expect(s.config).toEqual(RUN_DEFAULTS); // not a trillion-step run
    for (const part of [
      'Setting "grpo.steps" must be a whole number from 1 to 10000 (got "1e12")',
      'Setting "seed" must be a whole number from 0 to 4294967295 (got "1.5")',
      'Setting "sft.batchSize" must be a whole number from 1 to 512 (got "0")',
      'Setting "grpo.topP" must be a number from 0.01 to 1 (got "7")',
      'Setting "world.nEval" must be a whole number from 1 to 20000 (got "-3")',
      'Unknown setting "sft.lrr"',
    ])
      expect(s.error).toContain(part);
    expect(parseHash('#/train?world.reasoningTasks=add,count').config.world.reasoningTasks).toBe('add,count');
  });
});
