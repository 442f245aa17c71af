// What must hold for Pair: swapping exchanges the responses and flips the winner (a tie stays a tie), and
// toJsonl writes one parseable line per pair with a fixed key order and no undefined fields. Exact checks.
import { describe, expect, it } from 'vitest';
import { swapPair, toJsonl, type Pair } from './pair';

const p: Pair = { id: 'x:1', prompt: 'q', a: 'first', b: 'second', winner: 'A', source: 'x', category: 'chat' };

describe('swapPair', () => {
  it('exchanges a and b and flips A/B, keeps a tie', () => {
    expect(swapPair(p)).toEqual({ ...p, a: 'second', b: 'first', winner: 'B' });
    expect(swapPair({ ...p, winner: 'B' }).winner).toBe('A');
    expect(swapPair({ ...p, winner: 'tie' }).winner).toBe('tie');
    expect(swapPair(swapPair(p))).toEqual(p);
  });
});

describe('toJsonl', () => {
  it('writes one line per pair, newline-terminated, in the documented key order', () => {
    const q: Pair = { ...p, id: 'x:2', subset: 's', difficulty: 'hard', meta: { k: [1, 2] }, prompt: 'a\nb "c"' };
    const text = toJsonl([p, q]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(Object.keys(JSON.parse(lines[1]))).toEqual([
      'id',
      'prompt',
      'a',
      'b',
      'winner',
      'category',
      'subset',
      'source',
      'difficulty',
      'meta',
    ]);
    expect(JSON.parse(lines[1])).toEqual(q);
    expect(Object.keys(JSON.parse(lines[0]))).not.toContain('subset');
  });

  it('writes nothing for no pairs', () => {
    expect(toJsonl([])).toBe('');
  });
});
