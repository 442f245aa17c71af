// Start, pause, one step, resume and stop, enabled by the run's status. Presentational.
import { memo } from 'react';
import type { RunStatus } from '../../../train/lab_store';

export interface RunControlsProps {
  status: RunStatus | null; // null: no run yet
  live: boolean; // loaded in the worker
  busy: boolean;
  ready: boolean; // the engine has a backend
  onStart: () => void;
  onPause: () => void;
  onResume: () => void;
  onStep: () => void;
  onStop: () => void;
}

export const RunControls = memo(function RunControls(p: RunControlsProps) {
  const running = p.live && p.status === 'running';
  const paused = p.live && p.status === 'paused';
  return (
    <div className="run-controls" role="group" aria-label="run controls">
      <button type="button" onClick={p.onStart} disabled={!p.ready || p.live || p.busy}>
        Start
      </button>
      <button type="button" onClick={p.onPause} disabled={!running}>
        Pause
      </button>
      <button
        type="button"
        onClick={p.onStep}
        disabled={!paused || p.busy}
        title="one unit of work: an SFT step, an evaluation batch or a GRPO step"
      >
        Step
      </button>
      <button type="button" onClick={p.onResume} disabled={!paused || p.busy}>
        Resume
      </button>
      <button
        type="button"
        className="secondary"
        onClick={p.onStop}
        disabled={!p.live || p.busy}
        title="end the run after the current unit and save a checkpoint"
      >
        Stop
      </button>
      <span className={`status ${p.status ?? ''}`} data-testid="run-status">
        {p.status ?? 'no run'}
      </span>
    </div>
  );
});
