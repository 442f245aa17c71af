// What the group view draws: each group's row shows the std its advantages were divided by (the step's
// under scaleRewards 'batch', none under 'none'), and token texts from the pieces a step recorded.
import { describe, expect, it } from 'vitest';
import { defaultTokenizer } from '../engine/tokenizer';
import type { ScaleRewards } from '../rm/grpo';
import type { Pair } from '../rm/pair';
import { worldTokenizer } from '../rm/world_vocab';
import { advantageStage } from '../train/grpo_step';
import { STEP_REPORT_VERSION, type GrpoStepReport, type SampleStage, type ScoreStage } from '../train/grpo_types';
import { RUN_DEFAULTS } from '../train/run_config';
import { groupRows, tokenPieces } from './grpo_view';

describe('groupRows', () => {
  // two prompts, G = 2: rewards [1, −1] (σ √2) and [1, 1] (σ 0); over the step σ = 1 exactly
  const pair = (id: string): Pair => ({ id, prompt: id, a: '', b: '', winner: 'A', source: 'test' });
  const completion = (group: number) => ({
    group,
    tokens: [],
    pieces: [],
    logps: [],
    text: '',
    stopReason: 'eos' as const,
  });
  const sample: SampleStage = {
    pairs: [pair('p'), pair('q')],
    promptIds: [[1], [1]],
    completions: [0, 0, 1, 1].map(completion),
  };
  const score: ScoreStage = { verdicts: ['A', 'B', 'A', 'A'], rewards: [1, -1, 1, 1], labels: ['A', 'A'] };
  const rows = (scaleRewards: ScaleRewards) => {
    const report: GrpoStepReport = {
      version: STEP_REPORT_VERSION,
      step: 1,
      sample,
      score,
      advantages: advantageStage(sample, score, { ...RUN_DEFAULTS.grpo, scaleRewards }),
      ref_per_token_logps: [],
      losses: [],
      updates: [],
      metrics: {},
      seconds: 1,
    };
    return groupRows(report).map((r) => [r.std, r.scaledBy, r.zeroStd]);
  };

  it("shows the std used: the group's, the whole step's under batch, none under none", () => {
    expect(rows('group')).toEqual([
      [Math.SQRT2, Math.SQRT2, false],
      [0, 0, true],
    ]);
    expect(rows('batch')).toEqual([
      [Math.SQRT2, 1, false],
      [0, 1, true],
    ]);
    expect(rows('none')).toEqual([
      [Math.SQRT2, null, false],
      [0, null, true],
    ]);
  });
});

describe('tokenPieces', () => {
  it('shows a world-tokenizer judgement word by word, from the pieces the step recorded', () => {
    const tok = worldTokenizer();
    const tokens = tok.encode('<eval>1A:3 ok 1B:APPLE no</eval>').ids;
    const pieces = tokens.map((id) => tok.decode([id]));
    expect(tokenPieces({ tokens, pieces })).toEqual([
      '<eval>',
      '1',
      'A',
      ':',
      '3',
      ' ok',
      ' ',
      '1',
      'B',
      ':',
      'APPLE',
      ' no',
      '</eval>',
    ]);
  });
  it('decodes reports stored before pieces existed with the character tokenizer those runs used', () => {
    const tokens = defaultTokenizer().encode('[[A]]').ids;
    expect(tokenPieces({ tokens })).toEqual(['[', '[', 'A', ']', ']']);
  });
});
