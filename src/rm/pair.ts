// The preference pair: one prompt, two responses shown as A and B, and which one is better. Every dataset
// importer produces Pairs and every judge consumes them. Leaves out parsing (importers/) and prompt layout.
//
// `prompt` is one string. A multi-turn context is flattened the way RM-R1 does (spec/rm-r1.md §1): one
// `User: …` / `Chatbot: …` line per earlier turn, and `a`/`b` hold only the final responses.

export type Winner = 'A' | 'B' | 'tie';
/** RewardBench's four sections; the category of a pair where the source says it. */
export type Category = 'chat' | 'chat-hard' | 'safety' | 'reasoning';
/** RM-Bench's style matrix: easy = chosen fancier than rejected, normal = same style, hard = plainer. */
export type Difficulty = 'easy' | 'normal' | 'hard';

export const WINNERS: readonly Winner[] = ['A', 'B', 'tie'];
export const CATEGORIES: readonly Category[] = ['chat', 'chat-hard', 'safety', 'reasoning'];
export const DIFFICULTIES: readonly Difficulty[] = ['easy', 'normal', 'hard'];

export interface Pair {
  /** Unique within a dataset, prefixed by source, e.g. `judgebench:b5ce…`, `rm-bench:8:c0r2`. */
  id: string;
  prompt: string;
  a: string;
  b: string;
  winner: Winner;
  category?: Category;
  /** The source's finer label: RewardBench subset, JudgeBench source, PandaLM app, … */
  subset?: string;
  /** Dataset the pair came from: rewardbench, rm-r1, rm-bench, judgebench, pandalm, or a user's name. */
  source: string;
  difficulty?: Difficulty;
  /** Source fields worth keeping (model names, annotator votes, RM-Bench styles); JSON-serialisable. */
  meta?: Record<string, unknown>;
}

/** The same pair with A and B exchanged: the swap test of position bias. */
export function swapPair(p: Pair): Pair {
  const winner: Winner = p.winner === 'A' ? 'B' : p.winner === 'B' ? 'A' : 'tie';
  return { ...p, a: p.b, b: p.a, winner };
}

/** One pair as a plain object with a fixed key order and no undefined fields. */
function ordered(p: Pair): Record<string, unknown> {
  const out: Record<string, unknown> = { id: p.id, prompt: p.prompt, a: p.a, b: p.b, winner: p.winner };
  if (p.category !== undefined) out.category = p.category;
  if (p.subset !== undefined) out.subset = p.subset;
  out.source = p.source;
  if (p.difficulty !== undefined) out.difficulty = p.difficulty;
  if (p.meta !== undefined) out.meta = p.meta;
  return out;
}

/** Pairs as JSONL, one Pair per line with a trailing newline; `importDataset` reads it back ("pairs"). */
export function toJsonl(pairs: readonly Pair[]): string {
  return pairs.map((p) => `${JSON.stringify(ordered(p))}\n`).join('');
}
