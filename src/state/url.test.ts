// The URL hash round-trips the page and every changed setting; bad links fall back with a reason.
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
});
