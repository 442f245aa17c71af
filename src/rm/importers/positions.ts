// Seeded, balanced A/B placement for sources that only say chosen/rejected (RewardBench, RM-Bench): exactly
// half the chosen responses go to A (one more on either side when the count is odd), in a shuffled order.
// A judge with a position bias then gains nothing. Leaves out sources whose files fix A and B already.

import { shuffle, type Rng } from '../../engine/rng';

/** Where the chosen response goes for each of n pairs: `'A'` or `'B'`, |#A − #B| ≤ 1. */
export function balancedPositions(n: number, rng: Rng): ('A' | 'B')[] {
  const half = Math.floor(n / 2);
  const extraAtA = n % 2 === 1 && rng.next() < 0.5;
  const nA = half + (extraAtA ? 1 : 0);
  const slots: ('A' | 'B')[] = Array.from({ length: n }, (_, i) => (i < nA ? 'A' : 'B'));
  return shuffle(slots, rng);
}
