// The synthetic world: seeded preference pairs in RewardBench's four sections, each carrying `meta.truth`
// for the oracle, and the distill / GRPO / eval splits built from them. Surface cues are balanced: the
// chosen response sits at A in exactly half of each split, and which response is longer is fixed per pair
// so "pick the longer" scores ~50% overall (chat-hard keeps its length trap, the other sections offset it).
// Leaves out the task content (world_chat/_reasoning/_safety.ts) and trace text (oracle.ts).

import { CATEGORIES, type Category, type Pair } from './pair';
import { createRng, shuffle, subSeed, type Rng } from './rng';
import { oracleTrace, type OracleOptions } from './oracle';
import { drawChat } from './world_chat';
import { drawReasoning, REASONING_TASKS } from './world_reasoning';
import { drawSafety } from './world_safety';
import type { Drawn, ReasoningTask } from './world_truth';

export interface WorldKnobs {
  /** Relative share of each section; normalised. */
  mix: Record<Category, number>;
  /** reasoning: digits per operand in add/sub (1–3); letter tasks use digits + 2 letters. */
  digits: number;
  /** reasoning: which tasks to draw. */
  reasoningTasks: readonly ReasoningTask[];
  /** chat: most constraints per instruction (1–3); more is harder. */
  maxConstraints: number;
  /** chat: most words per response; longer responses are harder to count. */
  maxWords: number;
  /** chat-hard: share of pairs whose rejected response is the longer (the length trap); 0.5 = none. */
  hardLongerRate: number;
}

export const DEFAULT_KNOBS: WorldKnobs = {
  mix: { chat: 1, 'chat-hard': 1, safety: 1, reasoning: 1 }, // RewardBench weighs the four sections equally
  // The one default of each knob: the run settings (train/run_config.ts) and the Data page's generator read
  // these. The built-in recipe's easier world: 1-digit operands (2 digits carry often, past what a tiny
  // judge learns to check) and at most 2 constraints per instruction (fewer checks per chat trace).
  digits: 1,
  reasoningTasks: REASONING_TASKS,
  maxConstraints: 2,
  maxWords: 4, // longer responses are harder to count
  hardLongerRate: 0.56, // a mild trap that keeps "pick the longer" within 50±8% on every section
};

export const SOURCE = 'synthetic';

/** Draws of one section per attempt before the world gives up on finding a new prompt. */
const MAX_TRIES = 400;

/** The knobs from options that may carry other fields (seed, sizes): only known keys are taken. */
export function knobsOf(over: Partial<WorldKnobs>): WorldKnobs {
  const k = { ...DEFAULT_KNOBS, mix: { ...DEFAULT_KNOBS.mix, ...over.mix } };
  if (over.digits !== undefined) k.digits = over.digits;
  if (over.reasoningTasks !== undefined) k.reasoningTasks = over.reasoningTasks;
  if (over.maxConstraints !== undefined) k.maxConstraints = over.maxConstraints;
  if (over.maxWords !== undefined) k.maxWords = over.maxWords;
  if (over.hardLongerRate !== undefined) k.hardLongerRate = over.hardLongerRate;
  return k;
}

function drawOne(rng: Rng, c: Category, k: WorldKnobs): Drawn | null {
  switch (c) {
    case 'reasoning':
      return drawReasoning(rng, { digits: k.digits, tasks: k.reasoningTasks });
    case 'chat':
      return drawChat(rng, false, k);
    case 'chat-hard':
      return drawChat(rng, true, k);
    case 'safety':
      return drawSafety(rng);
  }
}

/** Split n by the mix, largest remainder first, so the counts are exact and sum to n. */
export function apportion(n: number, mix: Record<Category, number>): Record<Category, number> {
  const total = CATEGORIES.reduce((s, c) => s + Math.max(0, mix[c]), 0) || 1;
  const exact = CATEGORIES.map((c) => (n * Math.max(0, mix[c])) / total);
  const out = exact.map(Math.floor);
  const order = CATEGORIES.map((_, i) => i).sort((i, j) => exact[j] - out[j] - (exact[i] - out[i]) || i - j);
  for (let r = n - out.reduce((s, x) => s + x, 0), k = 0; r > 0; r--, k++) out[order[k % order.length]]++;
  return Object.fromEntries(CATEGORIES.map((c, i) => [c, out[i]])) as Record<Category, number>;
}

/**
 * Share of a section's pairs whose chosen response is the longer. chat-hard: 1 − hardLongerRate; the
 * others share the offset so the mix-weighted mean is 0.5 (the overall length judge stays at chance).
 */
export function chosenLongerRate(c: Category, k: WorldKnobs): number {
  const total = CATEGORIES.reduce((s, x) => s + Math.max(0, k.mix[x]), 0) || 1;
  const wHard = Math.max(0, k.mix['chat-hard']) / total;
  if (c === 'chat-hard') return 1 - k.hardLongerRate;
  if (wHard >= 1) return 0.5;
  return Math.min(1, Math.max(0, (0.5 - wHard * (1 - k.hardLongerRate)) / (1 - wHard)));
}

/** A drawn pair with a prompt not in `seen` and, when it can be had, the asked-for longer side. */
function drawUnique(rng: Rng, c: Category, k: WorldKnobs, seen: Set<string>, chosenLonger: boolean): Drawn {
  let fallback: Drawn | null = null;
  for (let t = 0; t < MAX_TRIES; t++) {
    const d = drawOne(rng, c, k);
    if (d === null || seen.has(d.prompt)) continue;
    const diff = d.chosen.length - d.rejected.length;
    if (chosenLonger ? diff > 0 : diff < 0) {
      seen.add(d.prompt);
      return d;
    }
    fallback ??= d;
  }
  if (fallback === null)
    throw new Error(
      `world: no new ${c} prompt in ${MAX_TRIES} draws; ask for fewer pairs or raise digits/maxConstraints`,
    );
  seen.add(fallback.prompt);
  return fallback;
}

function place(d: Drawn, c: Category, chosenAt: 'A' | 'B'): Omit<Pair, 'id'> {
  const [a, b] = chosenAt === 'A' ? [d.chosen, d.rejected] : [d.rejected, d.chosen];
  return {
    prompt: d.prompt,
    a,
    b,
    winner: chosenAt,
    category: c,
    subset: d.subset,
    source: SOURCE,
    meta: { truth: d.truth },
  };
}

/** n pairs with prompts new to `seen` (which it extends). Ids: `synthetic:<seed>:<label>:<i>`. */
function drawSet(label: string, n: number, seed: number, k: WorldKnobs, seen: Set<string>): Pair[] {
  const rng = createRng(subSeed(seed, label));
  const counts = apportion(n, k.mix);
  const placed: Omit<Pair, 'id'>[] = [];
  for (const c of CATEGORIES) {
    const m = counts[c];
    const nLonger = Math.round(m * chosenLongerRate(c, k));
    const longer = shuffle(
      Array.from({ length: m }, (_, i) => i < nLonger),
      rng,
    );
    // One counter across sections: each section alternates A/B, the whole set is exactly half A when n is even.
    for (let j = 0; j < m; j++)
      placed.push(place(drawUnique(rng, c, k, seen, longer[j]), c, placed.length % 2 === 0 ? 'A' : 'B'));
  }
  return shuffle(placed, rng).map((p, i) => ({ id: `${SOURCE}:${seed}:${label}:${i}`, ...p }));
}

export interface WorldOptions extends Partial<WorldKnobs> {
  seed: number;
}

/** One set of n synthetic pairs (no splits). */
export function generatePairs(opts: WorldOptions & { n: number }): Pair[] {
  return drawSet('pairs', opts.n, opts.seed, knobsOf(opts), new Set());
}

export interface SplitOptions extends WorldOptions {
  /** Pairs with oracle traces, for stage-1 distillation (RM-R1 traced ~12% of its data). */
  nDistill: number;
  /** Label-only pairs for GRPO. */
  nGrpo: number;
  /** Held-out pairs for evaluation. */
  nEval: number;
  /** How the distillation traces are written. */
  trace?: OracleOptions;
}

export interface TracedPair {
  pair: Pair;
  trace: string;
}

export interface Splits {
  distill: TracedPair[];
  grpo: Pair[];
  eval: Pair[];
  knobs: WorldKnobs;
}

/**
 * Disjoint splits: no prompt text appears in two of them. The eval set is drawn first from its own
 * sub-seed, so it depends only on seed, knobs and nEval: runs with other training sizes share it.
 */
export function makeSplits(opts: SplitOptions): Splits {
  const knobs = knobsOf(opts);
  const seen = new Set<string>();
  const evalSet = drawSet('eval', opts.nEval, opts.seed, knobs, seen);
  const distill = drawSet('distill', opts.nDistill, opts.seed, knobs, seen);
  const grpo = drawSet('grpo', opts.nGrpo, opts.seed, knobs, seen);
  return {
    distill: distill.map((pair) => ({ pair, trace: oracleTrace(pair, opts.trace) })),
    grpo,
    eval: evalSet,
    knobs,
  };
}
