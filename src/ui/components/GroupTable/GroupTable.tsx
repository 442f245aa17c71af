// One row per prompt of a GRPO step: its G judgements (verdict and reward), the group's mean, the std its
// advantages were divided by (the batch's under scaleRewards 'batch', none under 'none'), each judgement's
// advantage as a signed bar, and zero-variance groups flagged as teaching nothing. Clicking a judgement
// picks it. Presentational.
import { memo } from 'react';
import type { GroupRow } from '../../../state/grpo_view';
import { AdvantageBar } from '../AdvantageBar/AdvantageBar';

export interface GroupTableProps {
  rows: GroupRow[];
  picked: number | null;
  onPick: (completionIndex: number) => void;
}

const STD_USED_HELP =
  "the std the advantages were divided by: the group's, or the whole step's under scaleRewards = batch";

export const GroupTable = memo(function GroupTable({ rows, picked, onPick }: GroupTableProps) {
  const scale = Math.max(1e-9, ...rows.flatMap((r) => r.judgements.map((j) => Math.abs(j.advantage))));
  return (
    <table className="grid group-table" data-testid="group-table">
      <thead>
        <tr>
          <th>prompt</th>
          <th>label</th>
          <th>G judgements: verdict, reward, advantage</th>
          <th>mean</th>
          <th title={STD_USED_HELP}>std used</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.group} data-testid="group-row" className={r.zeroStd ? 'zero-std' : ''}>
            <td className="prompt" title={r.prompt}>
              <span className="cat">{r.category}</span> {r.prompt}
              {r.zeroStd && (
                <div className="flag" data-testid="zero-std">
                  all rewards equal: zero advantage, this group teaches nothing
                </div>
              )}
            </td>
            <td>{r.label}</td>
            <td>
              <div className="judgements">
                {r.judgements.map((j) => (
                  <button
                    key={j.index}
                    type="button"
                    data-testid="judgement"
                    data-advantage={j.advantage}
                    className={`judgement ${j.reward > 0 ? 'right' : 'wrong'} ${picked === j.index ? 'picked' : ''}`}
                    onClick={() => onPick(j.index)}
                    title={`${j.length} tokens, stopped at ${j.stopReason === 'eos' ? '<eos>' : 'the length cap'}`}
                  >
                    <span className="verdict">{j.verdict ?? '∅'}</span>
                    <span className="reward">{j.reward > 0 ? '+1' : '−1'}</span>
                    <AdvantageBar value={j.advantage} scale={scale} />
                  </button>
                ))}
              </div>
            </td>
            <td>{r.mean.toFixed(2)}</td>
            <td data-testid="std-used">{r.scaledBy === null ? 'not divided' : r.scaledBy.toFixed(2)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});
