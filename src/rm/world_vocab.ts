// The built-in world's tokenizer: the character tokenizer plus one token per word the world and its
// oracle write (with and without a leading space, as BPE vocabularies hold " apple" and "apple"; chat
// words in all three casings). A 2-layer model then reads a response as a handful of word tokens, so
// "how many words", "which case", "is lemon there" become questions about a few positions instead of
// spans of letters it has to assemble first. Letters and digits stay single characters, so the reasoning
// tasks (sort, reverse, count letters, sums) still work symbol by symbol: a word spelled only from the
// task alphabet ("bee"; "fig" is fine) is left out. (With the numbers 10–99 as tokens too, two
// distillation runs scored 64.3% and 59.3% against 70.0% without, first A/B order only.) Real text
// encodes too: unknown words fall back to characters. Leaves out merges: these are added tokens,
// matched greedily, longest first.

import { CHAR_TOKENS, CONTROL_TOKENS, defaultTokenizer, TAG_TOKENS, Tokenizer } from '../engine/tokenizer';
import { TOPICS } from './world_chat';
import { GENERIC, HARMFUL, HARMLESS, OPENERS, PREFIXES, REFUSALS, SUFFIXES } from './world_safety';

/** Words in the fixed phrases of the chat asks, the reasoning questions and the compact oracle traces. */
const PHRASE_WORDS = [
  // chat asks and rubric items (world_chat.ts constraintOf)
  'words',
  'all',
  'caps',
  'lowercase',
  'use',
  'has',
  'end',
  'ends',
  'with',
  'comma',
  'list',
  'commas',
  // reasoning questions and answers (world_reasoning.ts)
  'What',
  'is',
  'Compute',
  'Sort',
  'sort',
  'Reverse',
  'reverse',
  'the',
  'letters',
  'Count',
  'How',
  'many',
  'in',
  'It',
  'Answer',
  // compact traces (oracle.ts)
  'Chat',
  'Reasoning',
  'from',
  'refuses',
  'helps',
  'harmful',
  'harmless',
  'ok',
  'no',
  'right',
  'wrong',
];

/** Reasoning strings are drawn from these letters (world_reasoning.ts); words spelled from them only stay out. */
const TASK_LETTERS = /^[a-h]+$/i;

function wordsIn(texts: readonly string[]): string[] {
  return texts.flatMap((t) => t.match(/[A-Za-z]+/g) ?? []);
}

function casings(w: string): string[] {
  return [w.toLowerCase(), w[0].toUpperCase() + w.slice(1).toLowerCase(), w.toUpperCase()];
}

/** Every word the world writes, sorted; one-letter words and task-alphabet spellings left out. */
export function worldWords(): string[] {
  const chat = TOPICS.flatMap((t) => t.words.flatMap(casings));
  const texts = [
    ...TOPICS.map((t) => t.task),
    ...HARMFUL,
    ...HARMLESS.flat(),
    ...PREFIXES,
    ...SUFFIXES,
    ...REFUSALS,
    ...OPENERS,
    ...GENERIC,
  ];
  const all = new Set([...chat, ...wordsIn(texts), ...PHRASE_WORDS]);
  return [...all].filter((w) => w.length >= 2 && !TASK_LETTERS.test(w)).sort();
}

let instance: Tokenizer | null = null;

/** The character tokenizer's ids unchanged (0..119), then the world's words, bare and with a leading space. */
export function worldTokenizer(): Tokenizer {
  if (instance) return instance;
  const words = worldWords().flatMap((w) => [w, ` ${w}`]);
  instance = new Tokenizer(
    [...CONTROL_TOKENS, ...TAG_TOKENS, ...CHAR_TOKENS, ...words],
    [
      ...[...CONTROL_TOKENS, ...TAG_TOKENS].map((content) => ({ content, special: true })),
      ...words.map((content) => ({ content, special: false })),
    ],
  );
  return instance;
}

export type TokenizerName = 'world' | 'char';

/** The tokenizer a run gives a new model. */
export function namedTokenizer(name: TokenizerName): Tokenizer {
  return name === 'world' ? worldTokenizer() : defaultTokenizer();
}
