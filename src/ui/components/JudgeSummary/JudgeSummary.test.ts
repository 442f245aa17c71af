// The judgement summary, rendered to static markup. Must hold: N samples show the majority with its vote
// share and counts; a verdict that flips with the order is flagged INCONSISTENT, one that holds is
// consistent, and no verdict in either order says the check was not possible; a dataset label is
// compared with the verdict.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { JudgeResult } from '../../../train/judge';
import { JudgeSummary } from './JudgeSummary';

const base: JudgeResult = {
  samples: 5,
  greedy: false,
  temperature: 1,
  topP: 1,
  seed: 7,
  maxNewTokens: 100,
  input: {
    unknown: [],
    unknownCount: 0,
    tags: [],
    tagCount: 0,
    promptTokens: 40,
    contextLength: 256,
    minTraceTokens: 32,
    tooLong: null,
  },
  shown: [],
  swapped: [],
  verdict: 'A',
  voteShare: 0.6,
  votes: { A: 3, B: 1, none: 1 },
  swappedVerdict: 'B',
  swappedVoteShare: 0.8,
  swappedVotes: { A: 1, B: 4, none: 0 },
  positionConsistent: false,
};
const text = (r: Partial<JudgeResult>, datasetLabel: 'A' | 'B' | 'tie' | null = null) =>
  renderToStaticMarkup(
    createElement(JudgeSummary, { result: { ...base, ...r }, running: false, datasetLabel }),
  ).replace(/<[^>]+>/g, '');

describe('JudgeSummary', () => {
  it('shows the vote over N samples and flags a verdict that flips with the order', () => {
    const t = text({}, 'A');
    expect(t).toContain('Verdict (A/B as shown): A is better — 60% of 5 samples (A 3 · B 1 · none 1; τ=1, seed 7)');
    expect(t).toContain(
      'Swap check (B shown first): B is better (80%; A 1 · B 4 · none 0) — INCONSISTENT: the verdict flips',
    );
    expect(t).toContain('Dataset label: A is better — the judge is right');
  });

  it('says consistent, one-sided, or not possible', () => {
    expect(text({ swappedVerdict: 'A', positionConsistent: true, greedy: true, samples: 1 })).toMatch(
      /A is better \(greedy\).*consistent: the same response wins/,
    );
    expect(text({ swappedVerdict: null })).toContain(
      'no verdict (A 1 · B 4 · none 0) — INCONSISTENT: only one order reached a verdict',
    ); // no share without a verdict
    expect(text({ verdict: null, swappedVerdict: null, votes: { A: 2, B: 2, none: 1 } })).toMatch(
      /no verdict — no majority over 5 samples.*not possible: no verdict in either order/,
    );
  });
});
