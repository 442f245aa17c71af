// GRPO's pool record: fnv1a64 matches FNV-1a's published vectors and a BigInt reference on mixed text (the
// limb arithmetic is exact), and the hash changes with any exported field of any pair.
import { describe, expect, it } from 'vitest';
import { createRng } from '../engine/rng';
import type { Pair } from '../rm/pair';
import { fnv1a64, poolHash } from './grpo_pool';

/** The textbook definition, in BigInt. */
function fnvReference(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('fnv1a64 and poolHash', () => {
  it('gives the published FNV-1a 64 vectors and the BigInt reference on 200 random strings', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
    const rng = createRng(3);
    const alphabet = 'ab Z9\n<>[]é漢😀';
    for (let i = 0; i < 200; i++) {
      const s = Array.from({ length: Math.floor(rng.next() * 60) }, () => [...alphabet][Math.floor(rng.next() * 13)]);
      expect(fnv1a64(s.join(''))).toBe(fnvReference(s.join('')));
    }
  });

  it('changes when any exported field of a pair changes', () => {
    const p: Pair = { id: 'x', prompt: 'q', a: 'a', b: 'b', winner: 'A', category: 'chat', subset: 's', source: 't' };
    const base = poolHash([p]);
    const edits: Partial<Pair>[] = [{ id: 'y' }, { prompt: 'q2' }, { a: 'a2' }, { b: 'b2' }, { winner: 'B' }];
    for (const e of [...edits, { category: 'safety' as const }, { subset: 'u' }])
      expect(poolHash([{ ...p, ...e }])).not.toBe(base);
    expect(poolHash([{ ...p, source: 'other' }])).toBe(base); // not exported: not hashed
  });
});
