// Axis ticks must fit the 48-pixel axis (about 6 characters) at every scale a metric lives on.
import { describe, expect, it } from 'vitest';
import { tick } from './MetricChart';

describe('metric chart ticks', () => {
  it('keep the digits that matter in at most 6 characters, from KL (1e-4) to tokens/s (1e4)', () => {
    expect([0, 0.00016, 0.004, 0.05, 0.25, 1, 2.5, 56, 84.25, 184, 4321, 25_000].map(tick)).toEqual([
      '0',
      '1.6e−4',
      '4.0e−3',
      '0.05',
      '0.25',
      '1',
      '2.5',
      '56',
      '84.3',
      '184',
      '4321',
      '25k',
    ]);
    for (const v of [-0.00016, -1.25, 123456, 0.123456])
      expect(tick(v).replace(/^-/, '').length, String(v)).toBeLessThanOrEqual(6); // plus a sign
  });
});
