// Held-out accuracy after each stage: overall, per category, position consistency and unparseable.
// Presentational.
import { memo } from 'react';
import type { EvalSummary } from '../../../train/lab_store';

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);

export const EvalTable = memo(function EvalTable({ evals }: { evals: EvalSummary[] }) {
  if (!evals.length) return <p className="muted">Held-out accuracy appears after each stage.</p>;
  const cats = [...new Set(evals.flatMap((e) => Object.keys(e.perCategory)))].sort();
  return (
    <table className="grid" data-testid="eval-table">
      <thead>
        <tr>
          <th>after</th>
          <th>accuracy</th>
          {cats.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th title="same verdict with A and B swapped">position-consistent</th>
          <th title="no single closed verdict (counted wrong)">unparseable</th>
        </tr>
      </thead>
      <tbody>
        {evals.map((e) => (
          <tr key={e.after}>
            <td>{e.after === 'sft' ? 'distillation' : 'GRPO'}</td>
            <td>
              <strong>{pct(e.accuracy)}</strong>
            </td>
            {cats.map((c) => (
              <td key={c}>{pct(e.perCategory[c])}</td>
            ))}
            <td>{pct(e.positionConsistency)}</td>
            <td>{pct(e.unparseable)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});
