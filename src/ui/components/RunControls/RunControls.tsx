// Start, pause, one step, resume and stop, enabled by the run's status. Resume also goes on with a stored
// run that stopped or was interrupted (from its resume snapshot). A run another tab is running is shown as
// such, and nothing here acts on it. Presentational.
import { memo } from 'react';
import type { RunStatus } from '../../../train/lab_store';

export interface RunControlsProps {
  status: RunStatus | null; // null: no run yet
  live: boolean; // loaded in the worker
  controlInFlight: boolean; // a control call is in flight: wait for it
  ready: boolean; // the engine has a backend
  resumable: boolean; // a stored run (not loaded) with a resume snapshot that can go on
  elsewhere: boolean; // the run is live in another tab: read-only here
  onStart: () => void;
  onPause: () => void;
  onResume: () => void;
  onStep: () => void;
  onStop: () => void;
}

export const RunControls = memo(function RunControls(p: RunControlsProps) {
  const running = p.live && p.status === 'running';
  const paused = p.live && p.status === 'paused';
  const goesOn = !p.live && p.resumable && !p.elsewhere && p.ready; // a stored run, loaded again to go on
  return (
    <div className="run-controls" role="group" aria-label="run controls">
      <button type="button" onClick={p.onStart} disabled={!p.ready || p.live || p.controlInFlight}>
        Start
      </button>
      <button type="button" onClick={p.onPause} disabled={!running}>
        Pause
      </button>
      <button
        type="button"
        onClick={p.onStep}
        disabled={!paused || p.controlInFlight}
        title="one unit of work: an SFT step, an evaluation batch or a GRPO step"
      >
        Step
      </button>
      <button
        type="button"
        onClick={p.onResume}
        disabled={!(paused || goesOn) || p.controlInFlight}
        title={goesOn ? 'load the run from its last checkpoint and go on' : undefined}
      >
        Resume
      </button>
      <button
        type="button"
        className="secondary"
        onClick={p.onStop}
        disabled={!p.live || p.controlInFlight}
        title="end the run after the current unit and save a checkpoint"
      >
        Stop
      </button>
      <span className={`status ${p.status ?? ''}`} data-testid="run-status">
        {p.elsewhere ? 'running in another tab' : (p.status ?? 'no run')}
      </span>
    </div>
  );
});
