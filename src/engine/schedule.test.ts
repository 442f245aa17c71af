// What must hold for the learning-rate schedule: linear warmup from peak/W to peak, cosine from peak
// at step W to minLr at step S (peak/2 + minLr/2 halfway), minLr after, constant after warmup when asked.
// Tolerance 1e-12 relative (float64 arithmetic).
import { describe, expect, it } from 'vitest';
import { learningRateAt, type LrSchedule } from './schedule';

const cfg: LrSchedule = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 110, schedule: 'cosine', minLrRatio: 0.1 };

describe('learningRateAt', () => {
  it('warms up linearly and never returns 0', () => {
    expect(learningRateAt(0, cfg)).toBeCloseTo(1e-4, 15);
    expect(learningRateAt(4, cfg)).toBeCloseTo(5e-4, 15);
    expect(learningRateAt(9, cfg)).toBeCloseTo(1e-3, 15);
  });

  it('follows the cosine from peak to minLr', () => {
    expect(learningRateAt(10, cfg)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(60, cfg)).toBeCloseTo(0.55e-3, 15); // halfway: (peak + min) / 2
    expect(learningRateAt(35, cfg)).toBeCloseTo(1e-4 + 0.5 * 9e-4 * (1 + Math.cos(Math.PI / 4)), 15);
    expect(learningRateAt(110, cfg)).toBeCloseTo(1e-4, 15);
    expect(learningRateAt(500, cfg)).toBeCloseTo(1e-4, 15);
  });

  it('is monotone non-increasing after warmup', () => {
    for (let s = 10; s < 120; s++) expect(learningRateAt(s + 1, cfg)).toBeLessThanOrEqual(learningRateAt(s, cfg));
  });

  it('stays at peak after warmup with the constant schedule, and has no warmup when W = 0', () => {
    const c: LrSchedule = { ...cfg, schedule: 'constant' };
    expect(learningRateAt(9, c)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(10, c)).toBe(1e-3);
    expect(learningRateAt(1000, c)).toBe(1e-3);
    expect(learningRateAt(0, { ...cfg, warmupSteps: 0 })).toBe(1e-3);
  });
});
