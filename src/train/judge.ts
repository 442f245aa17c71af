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
import type { Encoding, Tokenizer } from '../engine/tokenizer';
import { parseCor, type CorTree, type Verdict } from '../rm/cor_parser';
import { flipVerdict, judgePrompt, type PromptLayout } from '../rm/cor_prompt';
import { majority } from './evaluate';
import { yieldToMessages } from './yield_to_messages';

export interface JudgeModel {
  params: ModelParams;
  cfg: LlamaConfig;
  tok: Tokenizer;
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
  seed: number; // sampling seed: the same seed gives the same samples
  maxNewTokens: number; // trace cap; the context caps it further
  layout: PromptLayout; // 'compact' for our tiny models, 'full' for RM-R1's text
  minTraceTokens: number; // a prompt must leave at least this much context for the trace
  readEvery: number; // tokens per readback while streaming (one readback per token would stall the GPU)
  onTrace?: (order: JudgeOrder, sample: number, textSoFar: string) => void;
  signal?: AbortSignal; // aborting stops generation at the next readback; judgePair then rejects
}

export const JUDGE_DEFAULTS: Omit<JudgeOptions, 'onTrace' | 'signal'> = {
  samples: 1,
  temperature: 1, // RM-R1 samples at 1 for its voting experiments
  seed: 1,
  maxNewTokens: 200, // the oracle's compact traces are 40–120 tokens; room for a verbose one
  layout: 'compact',
  minTraceTokens: 32, // the shortest compact oracle trace (a Reasoning one) is ~45 tokens; less is hopeless
  readEvery: 4,
};

export interface UnknownInputChar {
  field: InputField;
  char: string;
  index: number;
} // index: UTF-16 offset in that field
/** A special token (a CoR tag like `<answer>`, or `<eos>`) written in the input: the model reads it as its own. */
export interface InputTag {
  field: InputField;
  tag: string;
  index: number;
}
export interface InputCheck {
  unknown: UnknownInputChar[];
  tags: InputTag[];
  promptTokens: number; // the judge prompt in tokens, <bos> included (both orders have the same length)
  contextLength: number;
  minTraceTokens: number;
  tooLong: string | null; // why the model cannot judge this pair; null when it fits
}

export interface Judgement {
  order: JudgeOrder;
  sample: number;
  promptText: string; // exactly what the model read after <bos>
  promptIds: number[]; // <bos> included
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
const promptFor = (p: PairText, order: JudgeOrder, layout: PromptLayout) =>
  judgePrompt(order === 'shown' ? p : swapText(p), layout).text;

/** The special tokens a text encodes to, with their offsets. Walks the ids: an <unk> stands for the
 * unknown character there, unless "<unk>" itself was typed (an unknown character is never a '<'). */
function tagsIn(tok: Tokenizer, field: InputField, text: string, enc: Encoding): InputTag[] {
  const tags: InputTag[] = [];
  let at = 0;
  for (const id of enc.ids) {
    const token = tok.idToToken(id)!;
    const typed = text.startsWith(token, at);
    if (typed && [...token].length > 1) tags.push({ field, tag: token, index: at });
    at += typed ? token.length : String.fromCodePoint(text.codePointAt(at)!).length;
  }
  return tags;
}

/** What the model can and cannot represent of a pair: unknown characters and tags per field, and the length. */
export function checkJudgeInput(
  tok: Tokenizer,
  contextLength: number,
  pair: PairText,
  o: Pick<JudgeOptions, 'layout' | 'minTraceTokens'> = JUDGE_DEFAULTS,
): InputCheck {
  // Fields encode alone so positions are the user's; tags cannot straddle a field's edge (markers follow).
  const fields = (['prompt', 'a', 'b'] as const).map((field) => ({ field, enc: tok.encode(pair[field]) }));
  const unknown = fields.flatMap(({ field, enc }) => enc.unknown.map((u) => ({ field, ...u })));
  const tags = fields.flatMap(({ field, enc }) => tagsIn(tok, field, pair[field], enc));
  const promptTokens = Math.max(
    ...(['shown', 'swapped'] as const).map(
      (order) => tok.encode(promptFor(pair, order, o.layout), { bos: true }).ids.length,
    ),
  );
  const room = contextLength - promptTokens;
  const tooLong =
    room >= o.minTraceTokens
      ? null
      : `The judge prompt is ${promptTokens} tokens and this model's context is ${contextLength}, which leaves ` +
        `${Math.max(0, room)} for the trace; ` +
        `a judgement needs at least ${o.minTraceTokens}. Shorten the question or the responses by at least ` +
        `${o.minTraceTokens - room} tokens.`;
  return { unknown, tags, promptTokens, contextLength, minTraceTokens: o.minTraceTokens, tooLong };
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
    const text = promptFor(pair, order, o.layout);
    return { order, text, ids: m.tok.encode(text, { bos: true }).ids };
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
      seed: o.seed,
      eosId: m.tok.eosId,
      padId: m.tok.padId,
      readEvery: o.readEvery,
      onTokens: async (fresh) => {
        // Throwing here ends generate at this readback; it frees its tensors on the way out.
        if (o.signal) await yieldToMessages(); // a cancel sent by the page is heard here even on WASM
        o.signal?.throwIfAborted();
        fresh.forEach((ids, i) => {
          if (ids.length === 0) return;
          sofar[i].push(...ids);
          o.onTrace?.(rows[i].order, rows[i].sample, m.tok.decode(sofar[i], { skipSpecial: true }));
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
    seed: o.seed,
    maxNewTokens,
    input,
    shown,
    swapped,
    ...summarize(shown, swapped),
  };
}
