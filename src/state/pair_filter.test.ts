// What must hold for the Data page's filters: each field filter keeps exactly the pairs with that value
// (NONE: those without it), the text search needs every term somewhere in prompt, A or B, case aside,
// and not across the A/B boundary; no filter returns the same array; facets count every value.
import { describe, expect, it } from 'vitest';
import type { Pair } from '../rm/pair';
import { ANY_FILTER, facetsOf, filterPairs, isFiltering, NONE, searchTerms } from './pair_filter';

const pair = (id: string, over: Partial<Pair>): Pair => ({
  id,
  prompt: 'p',
  a: 'x',
  b: 'y',
  winner: 'A',
  source: 'rewardbench',
  ...over,
});

const PAIRS: Pair[] = [
  pair('1', { category: 'chat', subset: 'alpacaeval-easy', prompt: 'Name a Primary colour.', a: 'Red.', b: 'Green' }),
  pair('2', { category: 'reasoning', subset: 'math-prm', winner: 'B', prompt: 'What is 12+30?', a: '41', b: '42' }),
  pair('3', {
    category: 'safety',
    subset: 'refusals-dangerous',
    winner: 'tie',
    source: 'pandalm',
    a: 'I cannot help with that.',
  }),
  pair('4', { prompt: 'Untagged question', a: 'ab', b: 'cd', source: 'pandalm' }),
];
const ids = (xs: readonly Pair[]) => xs.map((p) => p.id);

describe('filterPairs', () => {
  it('returns the very same array when no filter is set (no copy of 20,000 rows per render)', () => {
    expect(filterPairs(PAIRS, ANY_FILTER)).toBe(PAIRS);
    expect(filterPairs(PAIRS, { ...ANY_FILTER, text: '   ' })).toBe(PAIRS);
  });

  it('keeps exactly the pairs with the chosen category, subset, winner or source', () => {
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, category: 'reasoning' }))).toEqual(['2']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, subset: 'alpacaeval-easy' }))).toEqual(['1']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, winner: 'tie' }))).toEqual(['3']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, source: 'pandalm' }))).toEqual(['3', '4']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, source: 'pandalm', winner: 'A' }))).toEqual(['4']);
  });

  it('NONE picks the pairs that lack the field', () => {
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, category: NONE }))).toEqual(['4']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, subset: NONE }))).toEqual(['4']);
  });

  it('searches prompt, A and B case-insensitively and needs every term', () => {
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'primary' }))).toEqual(['1']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'RED' }))).toEqual(['1']); // in A
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: '42' }))).toEqual(['2']); // in B
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'cannot help' }))).toEqual(['3']);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'cannot banana' }))).toEqual([]);
  });

  it('does not match a term that only exists across the end of A and the start of B', () => {
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'abcd' }))).toEqual([]);
    expect(ids(filterPairs(PAIRS, { ...ANY_FILTER, text: 'ab' }))).toEqual(['4']);
  });
});

describe('facetsOf / searchTerms / isFiltering', () => {
  it('counts every value of each field, with NONE for missing ones', () => {
    const f = facetsOf(PAIRS);
    expect(f.category).toEqual([
      { value: NONE, count: 1 },
      { value: 'chat', count: 1 },
      { value: 'reasoning', count: 1 },
      { value: 'safety', count: 1 },
    ]);
    expect(f.source).toEqual([
      { value: 'pandalm', count: 2 },
      { value: 'rewardbench', count: 2 },
    ]);
    expect(f.winner.map((x) => [x.value, x.count])).toEqual([
      ['A', 2],
      ['B', 1],
      ['tie', 1],
    ]);
  });
  it('counts and filters subsets and sources named after object keys like any other value', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const odd = names.flatMap((n, i) => names.slice(i).map((_, k) => pair(`${n}${k}`, { subset: n, source: n })));
    const f = facetsOf(odd);
    const want = names.map((n, i) => ({ value: n, count: 4 - i })).sort((x, y) => x.value.localeCompare(y.value));
    expect([f.subset, f.source]).toEqual([want, want]);
    for (const n of names)
      expect(filterPairs(odd, { ...ANY_FILTER, subset: n, source: n }).length, n).toBe(4 - names.indexOf(n));
  });
  it('splits search text on whitespace and lower-cases it', () => {
    expect(searchTerms('  Foo\tBAR  baz ')).toEqual(['foo', 'bar', 'baz']);
  });
  it('says whether any filter is set', () => {
    expect(isFiltering(ANY_FILTER)).toBe(false);
    expect(isFiltering({ ...ANY_FILTER, text: ' ' })).toBe(false);
    expect(isFiltering({ ...ANY_FILTER, winner: 'B' })).toBe(true);
  });
});
