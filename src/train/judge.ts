// Judging one pair with a trained judge, shared by the CLI (`npm run judge`) and the worker (the Judge
// page): the pair in the order shown AND swapped (the swap check), greedy or N samples with a majority
// vote, each judgement with the exact prompt text and ids fed to the model, the generated ids, the trace,
// its rubric tree and its verdict (swapped verdicts mapped back to the original labels). Input the model
// cannot represent is flagged, not silently mangled: characters outside the vocabulary are reported
// (which, where), so are tags typed in the text (the model reads them as its own tags, not as text), and
// a prompt that leaves no room for a trace is refused naming the lengths.
// Leaves out loading checkpoints (engine/checkpoint.ts) and where results go (the CLI prints them, the
// worker returns them and streams the traces as events).
import type { LlamaConfig } from '../engine/config';
import { generate, type StopReason } from '../engine/generate';
import type { ModelParams } from '../engine/model';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { TAG_TOKENS } from '../engine/tokenizer';
import { parseCor, type CorTree, type Verdict } from '../rm/cor_parser';
import { flipVerdict, judgeStopIds, modelPrompt, type PromptLayout } from '../rm/cor_prompt';
import { majority } from './evaluate';
import { MAX_JUDGEMENT_TOKENS } from './run_config';
import { yieldToMessages } from './yield_to_messages';

export interface JudgeModel {
  params: ModelParams;
  cfg: LlamaConfig;
  tok: TextTokenizer;
}
/** The three texts of a pair; the label (if any) is not the judge's business. */
export interface PairText {
  prompt: string;
  a: string;
  b: string;
}
/** 'shown': A first as given; 'swapped': the responses exchanged (B shown first). */
export type JudgeOrder = 'shown' | 'swapped';
export type InputField = keyof PairText;

export interface JudgeOptions {
  samples: number; // judgements per order; 1 = greedy (temperature ignored), >1 = sampled, majority vote
  temperature: number; // for samples > 1
  topP: number; // nucleus sampling for samples > 1; 1 = off (RM-R1)
  seed: number; // sampling seed: the same seed gives the same samples
  maxNewTokens: number; // trace cap; the context caps it further
  layout: PromptLayout; // 'compact' for our tiny models, 'full' for RM-R1's text
  minTraceTokens: number; // a prompt must leave at least this much context for the trace
  readEvery: number; // tokens per readback while streaming (one readback per token would stall the GPU)
  /** The trace so far of one judgement and how many tokens it holds (the page's tokens/s counts these). */
  onTrace?: (order: JudgeOrder, sample: number, textSoFar: string, tokens: number) => void;
  signal?: AbortSignal; // aborting stops generation at the next readback; judgePair then rejects
}

export const JUDGE_DEFAULTS: Omit<JudgeOptions, 'onTrace' | 'signal'> = {
  samples: 1,
  temperature: 1, // RM-R1 samples at 1 for its voting experiments
  topP: 1, // RM-R1: no nucleus
  seed: 1,
  maxNewTokens: MAX_JUDGEMENT_TOKENS, // the one judgement cap (run_config.ts); the context caps it further
  layout: 'compact',
  minTraceTokens: 32, // the shortest compact oracle trace (a Reasoning one) is ~45 tokens; less is hopeless
  readEvery: 4,
};

export interface UnknownInputChar {
  field: InputField;
  char: string;
  index: number;
} // index: UTF-16 offset in that field
/** A Chain-of-Rubrics tag (`<answer>`) or one of the model's special tokens (`<eos>`, `<|im_end|>`) written in the
 * input: the model reads it as its own. */
export interface InputTag {
  field: InputField;
  tag: string;
  index: number;
}
/** Unknown characters and typed tags listed at most (all are counted): a pasted 5 MB text must not send the
 * page millions of entries. */
export const INPUT_ISSUES_LISTED = 200;
export interface InputCheck {
  unknown: UnknownInputChar[]; // the first INPUT_ISSUES_LISTED, question then A then B
  unknownCount: number;
  tags: InputTag[]; // likewise
  tagCount: number;
  promptTokens: number; // the judge prompt in tokens, <bos> included (the longer order; a too-long one: the shown)
  contextLength: number;
  minTraceTokens: number;
  tooLong: string | null; // why the model cannot judge this pair; null when it fits
}

export interface Judgement {
  order: JudgeOrder;
  sample: number;
  promptText: string; // exactly what the model read: after <bos> (our models), or the chat template's text
  promptIds: number[]; // <bos> included (our models)
  generatedIds: number[]; // <eos> included when it stopped there
  trace: string;
  stopReason: StopReason;
  tree: CorTree;
  writtenVerdict: Verdict | null; // as the model wrote it: [[A]] names the response it saw first
  verdict: Verdict | null; // in the original labels (a swapped judgement's verdict is flipped back)
}

export interface VoteCount {
  A: number;
  B: number;
  none: number;
}

export interface JudgeResult {
  samples: number;
  greedy: boolean;
  temperature: number; // 0 when greedy
  topP: number; // 1 when greedy or off
  seed: number;
  maxNewTokens: number; // the cap that applied (the context may cut the requested one)
  input: InputCheck;
  shown: Judgement[];
  swapped: Judgement[];
  verdict: Verdict | null; // majority over the shown order's samples; a tie or no verdict at all → null
  voteShare: number; // fraction of the shown order's samples agreeing with `verdict`
  votes: VoteCount;
  swappedVerdict: Verdict | null; // the same over the swapped order, in the original labels
  swappedVoteShare: number;
  swappedVotes: VoteCount;
  positionConsistent: boolean; // both orders name the same response
}

/** Thrown when the pair cannot be judged by this model (too long for its context). */
export class JudgeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JudgeInputError';
  }
}

export const swapText = (p: PairText): PairText => ({ prompt: p.prompt, a: p.b, b: p.a });
const promptFor = (tok: TextTokenizer, p: PairText, order: JudgeOrder, layout: PromptLayout) =>
  modelPrompt(tok, order === 'shown' ? p : swapText(p), layout);

/** Chain-of-Rubrics tags, whatever the tokenizer, and the model's own special tokens (our <eos>, Qwen's
 * <|im_end|>, which HF tokenizers match inside any text): typed in a field, the model reads them as its own.
 * Its other multi-character tokens (the world tokenizer's words: " the", "ok") are ordinary text. */
const modelTags = new WeakMap<TextTokenizer, RegExp>();
function modelTagsOf(tok: TextTokenizer): RegExp {
  let re = modelTags.get(tok);
  if (!re) {
    const names = [...new Set([...TAG_TOKENS, ...tok.specialTokens])].sort((x, y) => y.length - x.length);
    re = new RegExp(names.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    modelTags.set(tok, re);
  }
  return re;
}

const tagsIn = (tok: TextTokenizer, field: InputField, text: string): InputTag[] =>
  [...text.matchAll(modelTagsOf(tok))].map((m) => ({ field, tag: m[0], index: m.index }));

/** Why a prompt of `promptTokens` cannot be judged by a model reading `contextLength`; null when it can. */
function tooLongReason(promptTokens: number, contextLength: number, minTraceTokens: number): string | null {
  const room = contextLength - promptTokens;
  if (room >= minTraceTokens) return null;
  return (
    `Too long for the context (${promptTokens} tokens, the model reads ${contextLength}): that leaves ` +
    `${Math.max(0, room)} for the trace, and a judgement needs at least ${minTraceTokens}. Shorten the question ` +
    `or the responses by at least ${minTraceTokens - room} tokens.`
  );
}

/** What the model can and cannot represent of a pair: unknown characters and tags per field, and the length. */
export function checkJudgeInput(
  tok: TextTokenizer,
  contextLength: number,
  pair: PairText,
  o: Pick<JudgeOptions, 'layout' | 'minTraceTokens'> = JUDGE_DEFAULTS,
): InputCheck {
  // Fields encode alone so positions are the user's; tags cannot straddle a field's edge (markers follow).
  const fields = (['prompt', 'a', 'b'] as const).map((field) => ({ field, enc: tok.encode(pair[field]) }));
  const unknown = fields.flatMap(({ field, enc }) => enc.unknown.map((u) => ({ field, ...u })));
  const tags = fields.flatMap(({ field }) => tagsIn(tok, field, pair[field]));
  // The swapped order is encoded only when the shown one fits: a pair too long in one order is refused.
  let promptTokens = promptFor(tok, pair, 'shown', o.layout).ids.length;
  if (!tooLongReason(promptTokens, contextLength, o.minTraceTokens))
    promptTokens = Math.max(promptTokens, promptFor(tok, pair, 'swapped', o.layout).ids.length);
  return {
    unknown: unknown.slice(0, INPUT_ISSUES_LISTED),
    unknownCount: unknown.length,
    tags: tags.slice(0, INPUT_ISSUES_LISTED),
    tagCount: tags.length,
    promptTokens,
    contextLength,
    minTraceTokens: o.minTraceTokens,
    tooLong: tooLongReason(promptTokens, contextLength, o.minTraceTokens),
  };
}

function votesOf(vs: (Verdict | null)[]): VoteCount {
  return {
    A: vs.filter((v) => v === 'A').length,
    B: vs.filter((v) => v === 'B').length,
    none: vs.filter((v) => v === null).length,
  };
}

/** The verdict, vote share and swap check of judgements already made (also what the tests recompute). */
export function summarize(shown: Judgement[], swapped: Judgement[]) {
  const a = majority(shown.map((j) => j.verdict)),
    b = majority(swapped.map((j) => j.verdict));
  return {
    verdict: a.verdict,
    voteShare: a.share,
    votes: votesOf(shown.map((j) => j.verdict)),
    swappedVerdict: b.verdict,
    swappedVoteShare: b.share,
    swappedVotes: votesOf(swapped.map((j) => j.verdict)),
    positionConsistent: a.verdict !== null && a.verdict === b.verdict,
  };
}

export interface JudgeDeps {
  generate: typeof generate;
} // tests script the model's output

/**
 * Judges a pair in both orders with one generate call: rows [shown × N, swapped × N], so the swap check
 * streams beside the verdict and costs no second pass. Throws JudgeInputError when the prompt leaves
 * less than `minTraceTokens` of context; rejects with an AbortError when `signal` is aborted.
 */
export async function judgePair(
  m: JudgeModel,
  pair: PairText,
  opts: Partial<JudgeOptions> = {},
  deps: JudgeDeps = { generate },
): Promise<JudgeResult> {
  const o = { ...JUDGE_DEFAULTS, ...opts };
  if (!Number.isInteger(o.samples) || o.samples < 1)
    throw new Error(`judge: samples must be a positive integer (got ${o.samples})`);
  const ctx = m.cfg.max_position_embeddings;
  const input = checkJudgeInput(m.tok, ctx, pair, o);
  if (input.tooLong) throw new JudgeInputError(input.tooLong);
  const greedy = o.samples === 1;
  const orders = ['shown', 'swapped'] as const;
  const prompts = orders.map((order) => {
    const { text, ids } = promptFor(m.tok, pair, order, o.layout);
    return { order, text, ids };
  });
  const rows = prompts.flatMap((p) => Array.from({ length: o.samples }, (_, sample) => ({ ...p, sample })));
  const maxNewTokens = Math.min(o.maxNewTokens, ctx - input.promptTokens);
  const sofar: number[][] = rows.map(() => []);
  o.signal?.throwIfAborted();
  const out = await deps.generate(
    m.params,
    m.cfg,
    rows.map((r) => r.ids),
    {
      maxNewTokens,
      temperature: greedy ? 0 : o.temperature,
      ...(greedy || o.topP >= 1 ? {} : { topP: o.topP }),
      seed: o.seed,
      eosIds: judgeStopIds(m.tok),
      padId: m.tok.padId,
      readEvery: o.readEvery,
      onTokens: async (fresh) => {
        // Throwing here ends generate at this readback; it frees its tensors on the way out.
        if (o.signal) await yieldToMessages(); // a cancel sent by the page is heard here even on WASM
        o.signal?.throwIfAborted();
        fresh.forEach((ids, i) => {
          if (ids.length === 0) return;
          sofar[i].push(...ids);
          const text = m.tok.decode(sofar[i], { skipSpecial: true });
          o.onTrace?.(rows[i].order, rows[i].sample, text, sofar[i].length);
        });
      },
    },
  );
  const judgements = rows.map((r, i): Judgement => {
    const trace = m.tok.decode(out.tokens[i], { skipSpecial: true });
    const tree = parseCor(trace);
    return {
      order: r.order,
      sample: r.sample,
      promptText: r.text,
      promptIds: r.ids,
      generatedIds: out.tokens[i],
      trace,
      stopReason: out.stopReasons[i],
      tree,
      writtenVerdict: tree.verdict,
      verdict: r.order === 'shown' ? tree.verdict : flipVerdict(tree.verdict),
    };
  });
  const shown = judgements.filter((j) => j.order === 'shown'),
    swapped = judgements.filter((j) => j.order === 'swapped');
  return {
    samples: o.samples,
    greedy,
    temperature: greedy ? 0 : o.temperature,
    topP: greedy ? 1 : o.topP,
    seed: o.seed,
    maxNewTokens,
    input,
    shown,
    swapped,
    ...summarize(shown, swapped),
  };
}
