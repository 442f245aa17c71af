// The outcome of one judgement: the verdict (majority over the samples, with the vote share and counts),
// the swap check (the verdict when B is shown first, in the original labels; a flip is flagged as position
// bias), and, for a pair picked from a dataset, whether the judge agrees with its label. Presentational.
import { memo } from 'react';
import type { Verdict } from '../../../rm/cor_parser';
import type { Winner } from '../../../rm/pair';
import type { JudgeResult } from '../../../train/judge';

export interface JudgeSummaryProps {
  result: JudgeResult | null;
  running: boolean;
  datasetLabel: Winner | null; // the picked pair's label, when it came from a dataset
}

const name = (v: Verdict | null) => (v ? `${v} is better` : 'no verdict');
const pct = (x: number) => `${Math.round(100 * x)}%`;

export const JudgeSummary = memo(function JudgeSummary({ result: r, running, datasetLabel }: JudgeSummaryProps) {
  if (!r)
    return (
      <p className="muted" data-testid="judge-summary">
        {running ? 'Judging both orders…' : 'Not judged yet.'}
      </p>
    );
  const neither = r.verdict === null && r.swappedVerdict === null;
  const swapText = r.positionConsistent
    ? 'consistent: the same response wins in both orders'
    : neither
      ? 'not possible: no verdict in either order'
      : r.verdict === null || r.swappedVerdict === null
        ? 'INCONSISTENT: only one order reached a verdict'
        : 'INCONSISTENT: the verdict flips when the responses swap places (position bias)';
  const share = r.verdict ? `${pct(r.voteShare)} of ${r.samples} samples` : `no majority over ${r.samples} samples`;
  const tone = r.positionConsistent ? 'ok' : neither ? 'none' : 'flag';
  return (
    <div className="judge-summary" data-testid="judge-summary">
      <p className="verdict-line">
        Verdict (A/B as shown):{' '}
        <b data-testid="judge-verdict" data-verdict={r.verdict ?? ''}>
          {name(r.verdict)}
        </b>
        {!r.greedy && (
          <span data-testid="judge-vote" className="vote">
            {' '}
            — {share} (A {r.votes.A} · B {r.votes.B} · none {r.votes.none}; τ={r.temperature}, seed {r.seed})
          </span>
        )}
        {r.greedy && <span className="muted"> (greedy)</span>}
      </p>
      <p className={`swap-check ${tone}`} data-testid="swap-check" data-consistent={String(r.positionConsistent)}>
        Swap check (B shown first): <b>{name(r.swappedVerdict)}</b>
        {!r.greedy &&
          ` (${r.swappedVerdict ? `${pct(r.swappedVoteShare)}; ` : ''}A ${r.swappedVotes.A} · B ` +
            `${r.swappedVotes.B} · none ${r.swappedVotes.none})`}{' '}
        — {swapText}
      </p>
      {datasetLabel && (
        <p data-testid="dataset-label">
          Dataset label: <b>{datasetLabel === 'tie' ? 'tie' : `${datasetLabel} is better`}</b>
          {datasetLabel !== 'tie' && r.verdict && <> — the judge is {r.verdict === datasetLabel ? 'right' : 'wrong'}</>}
        </p>
      )}
    </div>
  );
});
