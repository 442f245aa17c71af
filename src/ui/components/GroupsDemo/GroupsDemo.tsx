// The group view's demo: the groups of one GRPO step of a small fresh run (2 pairs in both A/B orders × G =
// 6), from the shipped distilled judge by default, drawn as a run's are. Nothing is saved. Presentational.
import { memo } from 'react';
import type { BuiltinJudge } from '../../../state/builtin_judges';
import type { CheckpointMeta } from '../../../train/lab_store';
import { StepGroups, type StepGroupsReport } from '../StepGroups/StepGroups';

export interface GroupsDemoProps {
  builtins: BuiltinJudge[];
  checkpoints: CheckpointMeta[];
  weights: string; // '' = fresh weights
  weightsUsed: string | null; // what the report shown started from
  report: StepGroupsReport | null;
  inFlight: boolean;
  ready: boolean; // the engine is up
  error: string | null;
  onWeights: (id: string) => void;
  onRun: () => void;
}

export const GroupsDemo = memo(function GroupsDemo(p: GroupsDemoProps) {
  const name = (id: string | null) =>
    id === ''
      ? 'fresh weights'
      : (p.builtins.find((b) => b.id === id)?.name ?? p.checkpoints.find((c) => c.id === id)?.name ?? id);
  return (
    <section className="panel" data-testid="groups-demo">
      <h2>A demo GRPO step</h2>
      <p className="muted">
        The groups of one GRPO step of a small separate run: 2 preference pairs of the built-in world, each judged in
        both A/B orders, G = 6 judgements per prompt, each scored ±1 and weighed by its advantage within its group (the
        update itself is on the Step-through page). Nothing is saved. The shipped distilled judge is often right but not
        always, so its groups mix +1 and −1 rewards.
      </p>
      <div className="demo-controls">
        <label>
          weights{' '}
          <select value={p.weights} onChange={(e) => p.onWeights(e.target.value)} aria-label="demo step weights">
            {p.builtins.map((b) => (
              <option key={b.id} value={b.id}>
                {b.name}
              </option>
            ))}
            {p.checkpoints.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} · {c.summary}
              </option>
            ))}
            <option value="">fresh weights (untrained: every verdict is wrong, every group teaches nothing)</option>
          </select>
        </label>{' '}
        <button type="button" onClick={p.onRun} disabled={!p.ready || p.inFlight} data-testid="groups-demo-run">
          {p.report ? 'Run another demo step' : 'Run a demo step'}
        </button>
        {p.inFlight && (
          <span className="muted" role="status">
            {' '}
            sampling and scoring…
          </span>
        )}
      </div>
      {p.error && (
        <p className="error" role="alert" data-testid="groups-demo-error">
          {p.error}
        </p>
      )}
      {p.report && (
        <>
          <h3>Demo step from the {name(p.weightsUsed)}</h3>
          <StepGroups report={p.report} />
        </>
      )}
    </section>
  );
});
