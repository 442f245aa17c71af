// Filtering a dataset's pairs on the Data page: by category, subset, winner and source, and a text search
// over prompt, A and B. Also the facets (each value present, with its count) that fill the filter menus.
// Pure and framework-free; leaves out paging and rendering (the table virtualises whatever this returns).
import type { Category, Pair, Winner } from '../rm/pair';

/** '' means "any". NONE picks pairs that lack the field (imports of unknown subsets have no category). */
export interface PairFilter {
  category: '' | Category | typeof NONE;
  subset: string;
  winner: '' | Winner;
  source: string;
  text: string;
}

export const NONE = '(none)';
export const ANY_FILTER: PairFilter = { category: '', subset: '', winner: '', source: '', text: '' };

/** Lower-cased prompt, A and B per pair, built once per pairs array: typing must not redo 3×N lowercases. */
const haystacks = new WeakMap<readonly Pair[], string[]>();

function haystackOf(pairs: readonly Pair[]): string[] {
  let h = haystacks.get(pairs);
  if (!h) {
    // \u0000 between fields so a term cannot match across the end of A and the start of B
    h = pairs.map((p) => `${p.prompt}\u0000${p.a}\u0000${p.b}`.toLowerCase());
    haystacks.set(pairs, h);
  }
  return h;
}

/** Search terms: whitespace-separated, lower-cased; a pair matches when it holds every term. */
export function searchTerms(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '');
}

const fieldMatches = (want: string, got: string | undefined) =>
  want === '' || (want === NONE ? got === undefined : got === want);

/** The pairs passing every set filter, in dataset order. Returns `pairs` itself when nothing is set. */
export function filterPairs(pairs: readonly Pair[], f: PairFilter): readonly Pair[] {
  const terms = searchTerms(f.text);
  if (!f.category && !f.subset && !f.winner && !f.source && terms.length === 0) return pairs;
  const hay = terms.length > 0 ? haystackOf(pairs) : null;
  return pairs.filter(
    (p, i) =>
      fieldMatches(f.category, p.category) &&
      fieldMatches(f.subset, p.subset) &&
      fieldMatches(f.source, p.source) &&
      (f.winner === '' || p.winner === f.winner) &&
      (hay === null || terms.every((t) => hay[i].includes(t))),
  );
}

export interface Facet {
  value: string;
  count: number;
}
export interface Facets {
  category: Facet[];
  subset: Facet[];
  winner: Facet[];
  source: Facet[];
}

function tally(values: (string | undefined)[]): Facet[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v ?? NONE, (counts.get(v ?? NONE) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((x, y) => x.value.localeCompare(y.value));
}

/** Every value each filterable field takes in `pairs`, with counts, sorted by value (NONE for missing). */
export function facetsOf(pairs: readonly Pair[]): Facets {
  return {
    category: tally(pairs.map((p) => p.category)),
    subset: tally(pairs.map((p) => p.subset)),
    winner: tally(pairs.map((p) => p.winner)),
    source: tally(pairs.map((p) => p.source)),
  };
}

/** True when some filter is set (the page offers "clear filters"). */
export const isFiltering = (f: PairFilter) =>
  f.category !== '' || f.subset !== '' || f.winner !== '' || f.source !== '' || f.text.trim() !== '';
