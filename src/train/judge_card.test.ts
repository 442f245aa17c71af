// The shipped judge against its card (public/judges/tiny): each shipped checkpoint, loaded from the files
// the app serves, judges the card's fixed subset of held-out world pairs with the training's evaluation,
// and its accuracy must equal the card's within one standard error (√(p(1−p)/n)); MODEL_CARD.md must hold
// the table rendered from card.json. Editing a figure in either, or shipping other weights, fails here.
// Also: the subset is the first pairs of each category, the command names the changed settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { switchTestBackend } from '../engine/test_backends';
import type { Pair } from '../rm/pair';
import { evaluate } from './evaluate';
import { cardTable, heldOutPairs, type JudgeCard, standardError, subsetOf, trainCommand } from './judge_card';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from './run_config';

const DIR = join('public', 'judges', 'tiny');
const card: JudgeCard = JSON.parse(readFileSync(join(DIR, 'card.json'), 'utf8'));
const run = applyOverrides(
  RUN_DEFAULTS,
  diffFromDefaults(JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')) as RunConfig),
);

describe('the shipped judge matches its card', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('MODEL_CARD.md holds the table rendered from card.json', () => {
    const md = readFileSync(join(DIR, 'MODEL_CARD.md'), 'utf8');
    expect(md).toContain(cardTable(card));
    expect(md).toContain(card.command);
  });

  it("the card's command and held-out set are the shipped run's", () => {
    expect(card.command).toBe(trainCommand(run));
    expect(card.heldOutPairs).toBe(heldOutPairs(run).length);
  });

  for (const c of card.checkpoints) {
    it(`${c.dir}: accuracy on the card's ${card.subsetPairs} held-out pairs is the card's, within one SE`, async () => {
      const pairs = subsetOf(heldOutPairs(run), card.subsetPairs);
      expect(pairs).toHaveLength(card.subsetPairs);
      const { params, cfg, tok } = modelFromFiles(await loadCheckpointDir(join(DIR, c.dir)));
      const report = await evaluate(params, cfg, tok, pairs, { ...run.eval, seed: run.seed });
      for (const p of Object.values(params)) p.dispose();
      const want = c.subset.overall;
      const se = standardError(want.accuracy, want.total);
      console.log(
        `${c.dir}: measured ${report.overall.correct}/${report.overall.total}, card ${want.correct}/${want.total}` +
          ` (±${(100 * se).toFixed(1)} points)`,
      );
      expect(report.overall.total).toBe(want.total);
      expect(Math.abs(report.overall.accuracy - want.accuracy)).toBeLessThanOrEqual(se);
    });
  }
});

describe('card helpers', () => {
  const pair = (category: string, i: number): Pair => ({
    id: `${category}${i}`,
    prompt: 'q',
    a: 'x',
    b: 'y',
    winner: 'A',
    category: category as Pair['category'],
    source: 'test',
  });

  it('the subset is the first n/4 pairs of each category, in order', () => {
    const pairs = ['chat', 'safety', 'chat', 'reasoning', 'chat', 'chat-hard', 'safety', 'reasoning', 'chat-hard'].map(
      pair,
    );
    expect(subsetOf(pairs, 8).map((p) => p.id)).toEqual([
      'chat0',
      'safety1',
      'chat2',
      'reasoning3',
      'chat-hard5',
      'safety6',
      'reasoning7',
      'chat-hard8',
    ]);
  });

  it('one standard error is √(p(1−p)/n)', () => {
    expect(standardError(0.5, 100)).toBeCloseTo(0.05, 12);
    expect(standardError(0.69, 96)).toBeCloseTo(Math.sqrt((0.69 * 0.31) / 96), 12);
  });

  it('the command names preset, stage and every changed setting', () => {
    const r = applyOverrides(RUN_DEFAULTS, { 'sft.epochs': '10', 'grpo.categories': 'reasoning' });
    expect(trainCommand(r)).toBe(
      'npm run train -- --preset tiny --stage both --sft.epochs 10 --grpo.categories reasoning',
    );
  });
});
