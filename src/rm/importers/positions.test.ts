// What must hold for A/B placement: |#A − #B| ≤ 1 for every n, the same seed gives the same order, and
// the order is shuffled (not alternating or blocked). Exact checks.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/rng';
import { balancedPositions } from './positions';

describe('balancedPositions', () => {
  it('is balanced to within one for n = 0..41', () => {
    for (let n = 0; n <= 41; n++) {
      const pos = balancedPositions(n, createRng(n));
      const nA = pos.filter((x) => x === 'A').length;
      expect(pos).toHaveLength(n);
      expect(Math.abs(nA - (n - nA))).toBeLessThanOrEqual(1);
    }
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(balancedPositions(64, createRng(3))).toEqual(balancedPositions(64, createRng(3)));
    expect(balancedPositions(64, createRng(3))).not.toEqual(balancedPositions(64, createRng(4)));
  });

  it('is shuffled: neither all A first nor strict alternation', () => {
    const pos = balancedPositions(64, createRng(1)).join('');
    expect(pos).not.toBe('A'.repeat(32) + 'B'.repeat(32));
    expect(pos).not.toBe('AB'.repeat(32));
    expect(pos).not.toBe('BA'.repeat(32));
  });
});
