// What must hold for the seeded PRNG: a seed fixes the stream, and `state()` saved at any point restores
// it exactly (`createRng(state)` draws what the original draws next, uniform, integer and normal alike),
// which is what resuming a run after a reload relies on; a shuffle from a restored state is the same too.
import { describe, expect, it } from 'vitest';
import { createRng, shuffle, type Rng } from './rng';

/** 30 mixed draws: uniform, integer and normal (which takes two uniforms). */
const draws = (rng: Rng) => Array.from({ length: 10 }, () => [rng.next(), rng.int(1000), rng.normal()]).flat();

describe('createRng', () => {
  it('a seed fixes the stream; another seed gives another', () => {
    expect(draws(createRng(42))).toEqual(draws(createRng(42)));
    expect(draws(createRng(42))).not.toEqual(draws(createRng(43)));
  });

  it('restoring a saved state() reproduces the rest of the sequence exactly, from any point', () => {
    const rng = createRng(7);
    for (const skip of [0, 1, 5, 17]) {
      for (let i = 0; i < skip; i++) rng.normal();
      const saved = rng.state();
      const restored = createRng(saved);
      expect(restored.state()).toBe(saved);
      expect(draws(restored)).toEqual(draws(rng));
    }
    const a = createRng(3);
    a.next();
    const b = createRng(a.state());
    expect(shuffle([...Array(20).keys()], b)).toEqual(shuffle([...Array(20).keys()], a));
  });
});
