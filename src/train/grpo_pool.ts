// The pairs a run's GRPO draws from, and the record of them kept with the run (RunRecord.grpoPool): which
// pairs of the chosen categories were left out as too long, how many were used and a content hash. An
// export (train/export/) rebuilds the pairs from the world or the dataset and refuses when the hash says
// they changed. Leaves out batching and sampling (grpo_run.ts).
import type { TextTokenizer } from '../engine/text_tokenizer';
import { modelPrompt } from '../rm/cor_prompt';
import type { Pair } from '../rm/pair';

/** What a run record keeps of its GRPO pairs. */
export interface GrpoPoolRecord {
  /** Indexes, among the pairs of the chosen categories, of those whose prompt left too little room to judge. */
  leftOut: number[];
  /** Pairs GRPO drew from: the rest, labelled A or B. */
  count: number;
  /** fnv1a64 of those pairs (`poolHash`). */
  hash: string;
}

/** The pairs whose category or `category/subset` is listed (comma-separated); all when the list is empty.
 * A name no pair carries is refused, naming the ones there are. */
export function selectCategories(pairs: Pair[], list: string): Pair[] {
  const names = list
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (!names.length) return pairs;
  const namesOf = (p: Pair) => (p.category ? [p.category, ...(p.subset ? [`${p.category}/${p.subset}`] : [])] : []);
  const known = new Set(pairs.flatMap(namesOf));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length)
    throw new Error(
      `grpo.categories: no GRPO pair is in ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
        `there are ${[...known].sort().join(', ')}`,
    );
  return pairs.filter((p) => namesOf(p).some((n) => names.includes(n)));
}

/** Tokens a GRPO prompt must leave free in the context (at most the completion cap). */
export const judgeRoom = (maxCompletionLength: number) => Math.min(32, maxCompletionLength);

export interface GrpoPool {
  /** The pairs of the chosen categories that fit: what GRPO batches are drawn from (ties are skipped there). */
  fitting: Pair[];
  /** The chosen categories' pairs (before the length filter) and the indexes left out of them. */
  chosen: Pair[];
  leftOut: number[];
}

/** GRPO's pairs: those of `categories` whose prompt, as the model reads it, leaves `room` tokens of the context. */
export function grpoPool(pairs: Pair[], categories: string, tok: TextTokenizer, context: number, room: number) {
  const chosen = selectCategories(pairs, categories);
  const leftOut: number[] = [];
  const fitting = chosen.filter((p, i) => {
    const fits = modelPrompt(tok, p).ids.length + room <= context;
    if (!fits) leftOut.push(i);
    return fits;
  });
  return { fitting, chosen, leftOut } satisfies GrpoPool;
}

/** The pairs GRPO draws batches from: labelled A or B (grpo_run.ts skips ties). */
export const labelled = (pairs: Pair[]) => pairs.filter((p) => p.winner === 'A' || p.winner === 'B');

/** The record of a pool, to keep with the run. */
export function poolRecord(pool: GrpoPool): GrpoPoolRecord {
  const used = labelled(pool.fitting);
  return { leftOut: pool.leftOut, count: used.length, hash: poolHash(used) };
}

/** A content hash of pairs: the fields an export writes, in order. */
export function poolHash(pairs: readonly Pair[]): string {
  const rows = pairs.map((p) => [p.id, p.prompt, p.a, p.b, p.winner, p.category ?? null, p.subset ?? null]);
  return fnv1a64(JSON.stringify(rows));
}

/** FNV-1a, 64 bits, over the UTF-8 bytes of `text`, as 16 hex digits. Four 16-bit limbs keep it exact in
 * doubles; the prime 2^40 + 0x1b3 multiplies as (h · 0x1b3) + (h << 40). */
export function fnv1a64(text: string): string {
  const h = [0x2325, 0x8422, 0x9ce4, 0xcbf2]; // offset basis 0xcbf29ce484222325, low limb first
  for (const byte of new TextEncoder().encode(text)) {
    h[0] ^= byte;
    const m = h.map((x) => x * 0x1b3); // each < 2^25
    // h << 40 moves limb 0 to limb 2 (shifted left by 8) and limb 1 to limb 3; higher bits fall off
    const s2 = m[2] + (h[0] << 8);
    const s3 = m[3] + (h[1] << 8);
    const c0 = m[0];
    const c1 = m[1] + (c0 >>> 16);
    const c2 = s2 + (c1 >>> 16);
    const c3 = s3 + (c2 >>> 16);
    h[0] = c0 & 0xffff;
    h[1] = c1 & 0xffff;
    h[2] = c2 & 0xffff;
    h[3] = c3 & 0xffff;
  }
  return h
    .reverse()
    .map((x) => x.toString(16).padStart(4, '0'))
    .join('');
}
