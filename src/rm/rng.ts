// Seeded draws for the synthetic world: the engine's mulberry32 stream (engine/rng.ts) plus the few
// picking helpers the generators share. Leaves out distributions the world does not use.

import { createRng, shuffle, type Rng } from '../engine/rng';

export { createRng, shuffle, type Rng };

/** One element of a non-empty list, uniformly. */
export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** Integer in [lo, hi], both ends included. */
export function intIn(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

/** k distinct elements of xs (k ≤ xs.length), in random order. */
export function sample<T>(rng: Rng, xs: readonly T[], k: number): T[] {
  return shuffle([...xs], rng).slice(0, k);
}

/** A seed for a named sub-stream, so one split's draws do not depend on another split's size. */
export function subSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
