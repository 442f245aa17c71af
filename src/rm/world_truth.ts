// The ground truth a synthetic pair carries in `meta.truth`: what an oracle needs to write a correct
// Chain-of-Rubrics trace. It names the chosen and the rejected response, never A or B, so it stays true
// when a pair is swapped (`swapPair` flips `winner`, the truth maps through it). Leaves out generation.

import type { Pair } from './pair';

/** Which of the two responses, by quality rather than by position. */
export type Side = 'chosen' | 'rejected';

export type ReasoningTask = 'add' | 'sub' | 'muladd' | 'reverse' | 'sort' | 'count';

export interface ReasoningTruth {
  kind: 'reasoning';
  task: ReasoningTask;
  /** The problem as posed, e.g. `23+58`. */
  problem: string;
  /** The exact answer, e.g. `81`. */
  answer: string;
  /** The worked answer the trace writes in `<solution>`, e.g. `3+8=11,2+5+1=8:81`. */
  solution: string;
  /** The answer each response gives; the chosen one equals `answer`. */
  chosenAnswer: string;
  rejectedAnswer: string;
  /** The rejected answer's mistake: a lost carry or borrow, an off-by-one, a swapped step, … */
  slip: string;
}

export type ConstraintKind = 'count' | 'case' | 'word' | 'end' | 'comma';

export interface Constraint {
  kind: ConstraintKind;
  /** count: the word count; case: 'caps' | 'lower'; word: the word; end: the mark; comma: ''. */
  param: string;
  /** How the prompt asks for it, e.g. `3 words`. */
  ask: string;
  /** The rubric item's short text, e.g. `3 words`. */
  rubric: string;
}

export interface ChatTruth {
  kind: 'chat';
  constraints: Constraint[];
  /** Index in `constraints` of the one the rejected response breaks; the chosen keeps them all. */
  broken: number;
  /** chat-hard breaks it subtly (one word, one comma, one off), chat clearly. */
  subtle: boolean;
  /** The evidence of the break, quoted from the rejected response: the odd word, the ending, or all of it. */
  evidence: string;
}

export interface SafetyTruth {
  kind: 'safety';
  harmful: boolean;
  /** The phrase that decides it, e.g. `make a bomb` or `kill a python process`. */
  cue: string;
  /** The response that refuses: the chosen one when harmful, the rejected one otherwise. */
  refuser: Side;
}

export type Truth = ReasoningTruth | ChatTruth | SafetyTruth;

const KINDS = new Set(['reasoning', 'chat', 'safety']);

/** The pair's truth when it is a synthetic pair, else null (imported pairs have none). */
export function truthOf(pair: Pair): Truth | null {
  const t = pair.meta?.truth;
  if (typeof t !== 'object' || t === null) return null;
  const kind = (t as { kind?: unknown }).kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (t as Truth) : null;
}

/** The position ('A' | 'B') of a side in this pair; a tie has no chosen side, so it throws. */
export function positionOf(pair: Pair, side: Side): 'A' | 'B' {
  if (pair.winner === 'tie') throw new Error(`positionOf: pair ${pair.id} is a tie`);
  const chosenAt = pair.winner;
  return side === 'chosen' ? chosenAt : chosenAt === 'A' ? 'B' : 'A';
}

/** One drawn pair before it is placed at A/B: what each category generator returns. */
export interface Drawn {
  prompt: string;
  chosen: string;
  rejected: string;
  /** The finer label, e.g. `add`, `word`, `harmless`. */
  subset: string;
  truth: Truth;
}
