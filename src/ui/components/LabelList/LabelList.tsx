// The user's saved labels (the 'my-labels' dataset), newest first: the question, the user's label, what
// the model said when it was judged, and buttons to reopen or delete one. Presentational.
import { memo } from 'react';
import type { Pair } from '../../../rm/pair';

export interface LabelListProps {
  labels: Pair[];
  onOpen: (p: Pair) => void;
  onDelete: (id: string) => void;
}

interface LabelMeta {
  label?: string;
  model?: { verdict: string | null; positionConsistent: boolean } | null;
  labelledAt?: number;
}
const excerpt = (s: string, n = 70) => (s.length > n ? `${s.slice(0, n)}…` : s);

export const LabelList = memo(function LabelList({ labels, onOpen, onDelete }: LabelListProps) {
  if (labels.length === 0) return <p className="muted">No labels saved yet.</p>;
  return (
    <table className="grid" data-testid="labels-table">
      <thead>
        <tr>
          <th>question</th>
          <th>your label</th>
          <th>model said</th>
          <th>saved</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {[...labels].reverse().map((p) => {
          const m = (p.meta ?? {}) as LabelMeta;
          return (
            <tr key={p.id} data-testid="label-row">
              <td title={p.prompt}>{excerpt(p.prompt)}</td>
              <td>{m.label === 'both-bad' ? 'both bad' : p.winner}</td>
              <td>
                {!m.model
                  ? '–'
                  : m.model.verdict === null
                    ? 'no verdict'
                    : `${m.model.verdict} (swap ${m.model.positionConsistent ? 'consistent' : 'inconsistent'})`}
              </td>
              <td>{m.labelledAt ? new Date(m.labelledAt).toLocaleString() : ''}</td>
              <td className="actions">
                <button type="button" onClick={() => onOpen(p)}>
                  open
                </button>
                <button type="button" className="secondary" onClick={() => onDelete(p.id)}>
                  delete
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
});
