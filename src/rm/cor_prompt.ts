// The judge prompt in RM-R1's layout (spec/rm-r1.md §1): `[Client Question]`, then each response between
// `[The Start of Chatbot X's Response]` and `[The End of …]`, after a system instruction paraphrased from
// RM-R1's Chain-of-Rubrics prompt. `compact` keeps the block order with one-letter markers so a prompt fits
// a 256-token model. A model with a chat template (a real instruct model) reads RM-R1's instruct prompt
// instead: the system and user messages through its template, with the generation prompt. Also the A/B swap
// for position checks. Leaves out multi-turn conversations (RM-R1's conversation blocks).

import type { TextTokenizer } from '../engine/text_tokenizer';
import { swapPair, type Pair } from './pair';

/** 'full': RM-R1's text, for real models. 'compact': `Q: …\nA: …\nB: …\n`, for our tiny models. */
export type PromptLayout = 'full' | 'compact';
export type Verdict = 'A' | 'B';

export interface JudgePrompt {
  layout: PromptLayout;
  /** The system instruction (full layout); null in compact, which has no room for one. */
  system: string | null;
  /** The user message: question and both responses. */
  user: string;
  /** What a model without a chat template reads; its trace follows directly. */
  text: string;
}

/** RM-R1's system instruction, paraphrased; same branches, tags and output skeletons. */
export const COR_SYSTEM_PROMPT = [
  "Please act as an impartial judge and evaluate the responses of two AI Chatbots to the Client's question.",
  'First classify the task: output <type>Reasoning</type> for math, coding, domain knowledge or multi-step logic,',
  'and <type>Chat</type> for open-ended or factual conversation, rewriting, safety and general help.',
  'If Reasoning: solve the problem yourself inside <solution>...</solution>, then judge each response against',
  'your solution for correctness and completeness inside <eval>...</eval>.',
  'If Chat: write a rubric of weighted criteria inside <rubric>...</rubric>, with a <justify>...</justify> block',
  'inside it explaining why these criteria and weights, then ' +
    'judge both responses by the rubric inside <eval>...</eval>.',
  'In <eval>, back every claim with evidence: quote with <quote_A>...</quote_A> and <quote_B>...</quote_B>,',
  'or summarize with <summary_A>...</summary_A> and <summary_B>...</summary_B>.',
  'Do not let the order of the responses, their length or the names of the chatbots influence you; be as ' +
    'objective as possible.',
  'Finish with your verdict: <answer>[[A]]</answer> if Chatbot A is better, <answer>[[B]]</answer> if Chatbot B ' +
    'is better.',
  '',
  'Output format for Reasoning:',
  '<type>Reasoning</type>',
  '<solution>your own solution</solution>',
  '<eval>comparison of both responses with your solution, with quotes or summaries</eval>',
  '<answer>[[A]] or [[B]]</answer>',
  '',
  'Output format for Chat:',
  '<type>Chat</type>',
  '<rubric>weighted criteria <justify>why these criteria and weights</justify></rubric>',
  '<eval>evaluation of both responses by the rubric, with quotes or summaries</eval>',
  '<answer>[[A]] or [[B]]</answer>',
].join('\n');

/** The compact markers, in order: question, response A, response B. */
export const COMPACT_MARKERS = { question: 'Q: ', a: 'A: ', b: 'B: ' } as const;

function fullUser(prompt: string, a: string, b: string): string {
  return [
    '[Client Question]',
    prompt,
    '',
    "[The Start of Chatbot A's Response]",
    a,
    "[The End of Chatbot A's Response]",
    '',
    "[The Start of Chatbot B's Response]",
    b,
    "[The End of Chatbot B's Response]",
  ].join('\n');
}

/** The judge prompt for a pair as it stands (A shown first). Text is kept as is, newlines included. */
export function judgePrompt(pair: Pick<Pair, 'prompt' | 'a' | 'b'>, layout: PromptLayout = 'compact'): JudgePrompt {
  if (layout === 'compact') {
    const m = COMPACT_MARKERS;
    const user = `${m.question}${pair.prompt}\n${m.a}${pair.a}\n${m.b}${pair.b}\n`;
    return { layout, system: null, user, text: user };
  }
  const user = fullUser(pair.prompt, pair.a, pair.b);
  return { layout, system: COR_SYSTEM_PROMPT, user, text: `${COR_SYSTEM_PROMPT}\n\n${user}\n` };
}

/** The judge prompt exactly as `tok`'s model reads it: text and ids. */
export interface ModelPrompt {
  text: string;
  ids: number[];
}

/** With a chat template: RM-R1's system and user messages rendered through it with the generation prompt,
 * `layout` ignored, encoded as is (the template writes the model's own start tokens; Chain-of-Rubrics tags
 * are plain text). Without one (our models): the layout's text after <bos>. */
export function modelPrompt(
  tok: TextTokenizer,
  pair: Pick<Pair, 'prompt' | 'a' | 'b'>,
  layout: PromptLayout = 'compact',
): ModelPrompt {
  if (!tok.chatTemplate) {
    const text = judgePrompt(pair, layout).text;
    return { text, ids: tok.encode(text, { bos: true }).ids };
  }
  const { system, user } = judgePrompt(pair, 'full');
  const text = tok.chatTemplate.render(
    [
      { role: 'system', content: system! },
      { role: 'user', content: user },
    ],
    { addGenerationPrompt: true },
  );
  return { text, ids: tok.encode(text).ids };
}

/** The token that ends the model's answer: where the chat template closes an assistant turn (ChatML's
 * <|im_end|>, also for a base model whose eos is <|endoftext|>) when that is one of its special tokens; else the
 * eos (our models). A distillation target ends with it, and sampling stops on it. */
export function endOfTurnId(tok: TextTokenizer): number {
  if (!tok.chatTemplate) return tok.eosId;
  const mark = '\u0000';
  const text = tok.chatTemplate.render(
    [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: mark },
    ],
    { addGenerationPrompt: false },
  );
  const after = text.slice(text.lastIndexOf(mark) + mark.length);
  const closer = tok.specialTokens.find((t) => after.startsWith(t));
  return closer === undefined ? tok.eosId : (tok.tokenToId(closer) ?? tok.eosId);
}

/** The ids a judgement stops on: the model's eos ids and its end of turn. */
export function judgeStopIds(tok: TextTokenizer): number[] {
  return [...new Set([...tok.eosIds, endOfTurnId(tok)])];
}

/** The prompt with A and B exchanged: a position-consistent judge flips its verdict on it. */
export function swappedJudgePrompt(pair: Pair, layout: PromptLayout = 'compact'): JudgePrompt {
  return judgePrompt(swapPair(pair), layout);
}

/** A verdict read in the other order: the verdict on a swapped prompt, mapped back to the original. */
export function flipVerdict(v: Verdict | null): Verdict | null {
  return v === 'A' ? 'B' : v === 'B' ? 'A' : null;
}

/** Whether the verdicts on the original and the swapped prompt name the same response. */
export function positionConsistent(original: Verdict | null, swapped: Verdict | null): boolean {
  return original !== null && original === flipVerdict(swapped);
}
