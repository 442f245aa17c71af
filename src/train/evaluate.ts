// Evaluation of a judge on pairs: every pair judged in both A/B orders, accuracy over both (a judge that
// follows the position, not the content, scores exactly 50%) and the position-consistency rate; per
// category and subset (RewardBench section weights when the subsets are RewardBench's), RM-Bench's
// easy/normal/hard, unparseable verdicts counted wrong and reported, and majority vote over N samples.
// Results are plain JSON in RewardBench's shape ({model, model_type, <subset>: acc, ...}) plus our
// breakdowns.
import type { LlamaConfig } from '../engine/config';
import { throwIfDeviceError } from '../engine/device_errors';
import { trimGpuPool } from '../engine/gpu_pool';
import { generate } from '../engine/generate';
import { keyedTable } from '../engine/keyed_table';
import type { ModelParams } from '../engine/model';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { flipVerdict, judgeStopIds, modelPrompt } from '../rm/cor_prompt';
import { parseCor, type Verdict } from '../rm/cor_parser';
import { rewardBenchSection, rewardBenchWeight } from '../rm/importers/rewardbench_sections';
import { swapPair, type Pair } from '../rm/pair';
import { RUN_DEFAULTS } from './run_config';

export interface EvalOptions {
  samples: number; // judgements per order; 1 = greedy, >1 = sampled at `temperature` with majority vote
  temperature: number;
  maxCompletionLength: number;
  batchSize: number; // sequences per generate call
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

/** The run defaults' evaluation settings (run_config.ts holds every default, its range and why). */
export const EVAL_DEFAULTS: EvalOptions = { ...RUN_DEFAULTS.eval, seed: RUN_DEFAULTS.seed };

export interface PairResult {
  id: string;
  category?: string;
  subset?: string;
  difficulty?: string;
  winner: Pair['winner'];
  verdict: Verdict | null; // majority over samples, in the original order
  swappedVerdict: Verdict | null; // majority in the swapped order, mapped back to the original labels
  correct: boolean; // the original order's verdict is right (one order, as RM-R1's own evaluation scores)
  swappedCorrect: boolean; // the swapped order's verdict is right
  consistent: boolean;
  unparseable: number; // judgements with no verdict
  voteShare: number; // fraction of samples (original order) agreeing with the majority
  trace: string; // the first original-order judgement
}

/** Right judgements of all made: each pair counts twice, once per A/B order. */
export interface Accuracy {
  correct: number;
  total: number;
  accuracy: number;
}

export interface EvalReport {
  model: string;
  model_type: 'Generative RM';
  overall: Accuracy;
  perCategory: Record<string, Accuracy>;
  perSubset: Record<string, Accuracy>;
  perDifficulty: Record<string, Accuracy>;
  rewardBenchSections?: Record<string, number>;
  positionConsistency: number;
  unparseableRate: number;
  samples: number;
  /** Votes (pair × order) that tied with samples > 1: no majority, counted wrong. */
  tiedVotes: number;
  pairs: PairResult[];
  [subset: string]: unknown;
}

/** Majority over verdicts; ties and all-null give null. */
export function majority(vs: (Verdict | null)[]): { verdict: Verdict | null; share: number } {
  const a = vs.filter((v) => v === 'A').length,
    b = vs.filter((v) => v === 'B').length;
  if (a === b) return { verdict: null, share: vs.length ? Math.max(a, b) / vs.length : 0 };
  return { verdict: a > b ? 'A' : 'B', share: Math.max(a, b) / vs.length };
}

/** Accuracy per key over both orders; keyed by data (subset names come from files), so a Map, then a table
 * without a prototype. */
function tally(rows: PairResult[], key: (r: PairResult) => string | undefined): Record<string, Accuracy> {
  const out = new Map<string, Accuracy>();
  for (const r of rows) {
    const k = key(r);
    if (k === undefined) continue;
    const a = out.get(k) ?? { correct: 0, total: 0, accuracy: 0 };
    a.total += 2;
    a.correct += Number(r.correct) + Number(r.swappedCorrect);
    out.set(k, a);
  }
  for (const a of out.values()) a.accuracy = a.correct / a.total;
  return keyedTable(out);
}

/** RewardBench: section = Σ acc_s·w_s / Σ w_s over its subsets present. */
export function rewardBenchSections(perSubset: Record<string, Accuracy>): Record<string, number> | undefined {
  const sums = new Map<string, { num: number; den: number }>();
  for (const [subset, acc] of Object.entries(perSubset)) {
    const section = rewardBenchSection(subset),
      w = rewardBenchWeight(subset);
    if (!section || !w) continue;
    const s = sums.get(section) ?? { num: 0, den: 0 };
    s.num += acc.accuracy * w;
    s.den += w;
    sums.set(section, s);
  }
  return sums.size ? Object.fromEntries([...sums].map(([s, x]) => [s, x.num / x.den])) : undefined; // our section names
}

/** Evaluation as a steppable job: one `step()` judges one batch of rows (one generate call), so a host
 * can pause between batches and show progress; `report()` scores what has been judged. */
export interface Evaluator {
  /** Judgement rows: pairs × 2 orders × samples (prompts too long for the context are left out). */
  readonly total: number;
  done(): boolean;
  /** Judges the next batch; returns how many rows are done. */
  step(): Promise<number>;
  report(): EvalReport;
}

/** One generate call over judge prompts (token ids): the decoded judgements, greedy at temperature 0. */
export async function judgeBatch(
  params: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  prompts: number[][],
  o: { maxCompletionLength: number; temperature: number; seed: number },
): Promise<string[]> {
  const out = await generate(params, cfg, prompts, {
    maxNewTokens: o.maxCompletionLength,
    temperature: o.temperature,
    seed: o.seed,
    eosIds: judgeStopIds(tok),
    padId: tok.padId,
  });
  return out.tokens.map((t) => tok.decode(t, { skipSpecial: true }));
}

export function createEvaluator(
  params: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  pairs: Pair[],
  o: EvalOptions,
  model = 'rubric-lab',
): Evaluator {
  const judged = pairs.filter((p) => p.winner !== 'tie');
  // one row per (pair, order, sample); prompts too long for the context are judged unparseable
  const rows: { pair: number; swapped: boolean; ids: number[] }[] = [];
  judged.forEach((p, i) => {
    for (const swapped of [false, true]) {
      const ids = modelPrompt(tok, swapped ? swapPair(p) : p).ids;
      if (ids.length >= cfg.max_position_embeddings - 8) continue;
      for (let s = 0; s < o.samples; s++) rows.push({ pair: i, swapped, ids });
    }
  });
  const texts: string[] = new Array(rows.length);
  const greedy = o.samples === 1;
  let next = 0;
  return {
    total: rows.length,
    done: () => next >= rows.length,
    async step() {
      const start = next;
      const chunk = rows.slice(start, start + o.batchSize);
      const judged = await judgeBatch(
        params,
        cfg,
        tok,
        chunk.map((r) => r.ids),
        { ...o, temperature: greedy ? 0 : o.temperature, seed: o.seed + start },
      );
      judged.forEach((text, i) => {
        texts[start + i] = text;
      }); // a cut-off trace has no closed answer: unparseable
      next = start + chunk.length;
      return next;
    },
    report: () => scoreJudgements(judged, rows.slice(0, next), texts, o.samples, model),
  };
}

/** Scores judged rows (texts[i] is row i's judgement): majority per order, correctness in each order,
 * consistency, and every breakdown. */
export function scoreJudgements(
  judged: Pair[],
  rows: { pair: number; swapped: boolean }[],
  texts: string[],
  samples: number,
  model: string,
): EvalReport {
  const results: PairResult[] = judged.map((p) => ({
    id: p.id,
    category: p.category,
    subset: p.subset,
    difficulty: p.difficulty,
    winner: p.winner,
    verdict: null,
    swappedVerdict: null,
    correct: false,
    swappedCorrect: false,
    consistent: false,
    unparseable: 0,
    voteShare: 0,
    trace: '',
  }));
  const byPair = judged.map(() => ({ orig: [] as (Verdict | null)[], swap: [] as (Verdict | null)[] }));
  rows.forEach((r, i) => {
    const v = parseCor(texts[i]).verdict;
    if (v === null) results[r.pair].unparseable++;
    if (r.swapped) byPair[r.pair].swap.push(flipVerdict(v));
    else {
      if (!results[r.pair].trace) results[r.pair].trace = texts[i];
      byPair[r.pair].orig.push(v);
    }
  });
  let tiedVotes = 0;
  results.forEach((res, i) => {
    const { orig, swap } = byPair[i],
      m = majority(orig),
      ms = majority(swap);
    res.verdict = m.verdict;
    res.voteShare = m.share;
    res.swappedVerdict = ms.verdict;
    // a tie: some verdicts, no majority (all unparseable is not a tie)
    if (samples > 1)
      tiedVotes +=
        Number(m.verdict === null && orig.some((v) => v !== null)) +
        Number(ms.verdict === null && swap.some((v) => v !== null));
    res.correct = res.verdict === res.winner;
    res.swappedCorrect = res.swappedVerdict === res.winner;
    res.consistent = res.verdict !== null && res.verdict === res.swappedVerdict;
  });
  const perSubset = tally(results, (r) => r.subset);
  const report: EvalReport = {
    model,
    model_type: 'Generative RM',
    overall: tally(results, () => 'all').all ?? { correct: 0, total: 0, accuracy: 0 },
    perCategory: tally(results, (r) => r.category),
    perSubset,
    perDifficulty: tally(results, (r) => r.difficulty),
    rewardBenchSections: rewardBenchSections(perSubset),
    positionConsistency: results.filter((r) => r.consistent).length / Math.max(results.length, 1),
    unparseableRate: rows.length ? results.reduce((s, r) => s + r.unparseable, 0) / rows.length : 0,
    samples,
    tiedVotes,
    pairs: results,
  };
  // RewardBench's flat shape, as own fields (a subset named "__proto__" too); the report's own fields stay
  for (const [s, a] of Object.entries(perSubset)) {
    if (!Object.hasOwn(report, s))
      Object.defineProperty(report, s, { value: a.accuracy, enumerable: true, writable: true, configurable: true });
  }
  return report;
}

export async function evaluate(
  params: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  pairs: Pair[],
  o: EvalOptions,
  model = 'rubric-lab',
): Promise<EvalReport> {
  const e = createEvaluator(params, cfg, tok, pairs, o, model);
  while (!e.done()) {
    const done = await e.step(); // not inside `onProgress?.(…)`: an absent callback would skip the step
    throwIfDeviceError(`evaluation, ${done} of ${e.total} judgements`);
    trimGpuPool();
    o.onProgress?.(done, e.total);
  }
  return e.report();
}
