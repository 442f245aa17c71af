// The card of a judge shipped with the app (public/judges/<name>/card.json): what it was trained on, the
// command, and its held-out accuracy as shipped (f16 weights), measured by `npm run ship-judge` with the
// training's own evaluation (both A/B orders, greedy). MODEL_CARD.md's table is rendered from the card
// (`cardTable`), and a test re-measures the subset's figure from the shipped files, so neither can go stale.
import type { Pair } from '../rm/pair';
import { makeSplits } from '../rm/world';
import type { Accuracy, EvalReport } from './evaluate';
import { worldOptions } from './pipeline';
import { diffFromDefaults, type RunConfig } from './run_config';

/** The held-out figures of one evaluation, as the card keeps them. */
export interface CardFigures {
  overall: Accuracy; // judgements: each pair in both A/B orders
  perCategory: Record<string, Accuracy>;
  positionConsistency: number; // pairs whose verdict survives the swap
  unparseableRate: number;
}

/** One shipped checkpoint: which stage of the run it is, its size, and its figures. */
export interface CardCheckpoint {
  dir: 'distilled' | 'judge'; // the folder beside card.json
  stage: 'sft' | 'grpo'; // the run's checkpoint it was made from
  parameters: number;
  bytes: number; // the three files as shipped
  asTrained: CardFigures | null; // the run's own evaluation (f32 weights), when the run folder had it
  asShipped: CardFigures; // the run's whole held-out set, f16 weights
  subset: CardFigures; // the test's subset, f16 weights
}

export interface JudgeCard {
  version: 1;
  name: string;
  command: string; // the training command, reproducible as written
  changed: Record<string, string>; // the run's settings that differ from the defaults
  seed: number;
  heldOutPairs: number;
  subsetPairs: number; // the first subsetPairs / 4 held-out pairs of each category (`subsetOf`)
  backend: string; // where the figures were measured
  checkpoints: CardCheckpoint[];
}

export const CATEGORY_ORDER = ['chat', 'chat-hard', 'safety', 'reasoning'];

export function figuresOf(r: EvalReport): CardFigures {
  return {
    overall: r.overall,
    perCategory: r.perCategory,
    positionConsistency: r.positionConsistency,
    unparseableRate: r.unparseableRate,
  };
}

/** The held-out pairs of a run's world: the pairs its evaluations judged (drawn before the other splits, so
 * they do not depend on the split sizes). */
export function heldOutPairs(run: RunConfig): Pair[] {
  return makeSplits({ ...worldOptions(run), nDistill: 0, nGrpo: 0 }).eval;
}

/** A fixed subset: the first n / 4 pairs of each category, in the held-out order. */
export function subsetOf(pairs: Pair[], n: number): Pair[] {
  const per = Math.floor(n / CATEGORY_ORDER.length);
  const taken = new Map<string, number>();
  return pairs.filter((p) => {
    const k = taken.get(p.category ?? '') ?? 0;
    taken.set(p.category ?? '', k + 1);
    return CATEGORY_ORDER.includes(p.category ?? '') && k < per;
  });
}

/** One standard error of an accuracy p measured on n judgements. */
export const standardError = (p: number, n: number): number => Math.sqrt((p * (1 - p)) / n);

/** The command that trained the run (preset and stage always named, the other settings where changed). */
export function trainCommand(run: RunConfig): string {
  const changed = Object.entries(diffFromDefaults(run)).filter(([k]) => k !== 'preset' && k !== 'stage');
  const flags = [['preset', run.preset], ['stage', run.stage], ...changed].map(([k, v]) => `--${k} ${v}`);
  return `npm run train -- ${flags.join(' ')}`;
}

const pct = (x: number) => (100 * x).toFixed(1);
const STAGE_NAMES: Record<CardCheckpoint['dir'], string> = { distilled: 'distilled (SFT)', judge: 'after GRPO' };

/** MODEL_CARD.md's table, one row per checkpoint and measurement; the card test checks the file holds it. */
export function cardTable(card: JudgeCard): string {
  const head = ['checkpoint', 'weights', 'pairs', 'overall', ...CATEGORY_ORDER, 'position-consistent', 'unparseable'];
  const row = (c: CardCheckpoint, weights: string, pairs: number, f: CardFigures) =>
    [
      `\`${c.dir}\` ${STAGE_NAMES[c.dir]}`,
      weights,
      String(pairs),
      `**${pct(f.overall.accuracy)}**`,
      ...CATEGORY_ORDER.map((k) => (f.perCategory[k] ? pct(f.perCategory[k].accuracy) : '–')),
      pct(f.positionConsistency),
      pct(f.unparseableRate),
    ].join(' | ');
  const rows = card.checkpoints.flatMap((c) => [
    ...(c.asTrained ? [row(c, 'f32, as trained', card.heldOutPairs, c.asTrained)] : []),
    row(c, 'f16, as shipped', card.heldOutPairs, c.asShipped),
    row(c, 'f16, the test subset', card.subsetPairs, c.subset),
  ]);
  return [head, head.map(() => '---'), ...rows.map((r) => [r])].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
