// The run's estimated duration before Start, on the backend in use, phase by phase (from the step times
// measured on this device, train/run_estimate.ts), and the backend to switch to when it would be much faster.
import { memo } from 'react';
import { formatDuration } from '../../../engine/backend_choice';
import type { DraftEstimate } from '../../../state/engine_estimate';

export interface RunEstimateProps {
  estimate: DraftEstimate | null; // null while the engine starts
  caveat: string | null; // e.g. a checkpoint whose model is not the one measured
  onSwitch: (() => void) | null; // starts the page again on the alternative
}

const PHASE_LABELS = {
  sft: 'distillation',
  'eval-sft': 'evaluation',
  grpo: 'GRPO',
  'eval-grpo': 'evaluation',
};

export const RunEstimate = memo(function RunEstimate({ estimate, caveat, onSwitch }: RunEstimateProps) {
  if (!estimate) return null;
  const e = estimate.estimate;
  return (
    <p className="run-estimate" data-testid="run-estimate">
      {e ? (
        <>
          Estimated time on {estimate.label}: <strong>~{formatDuration(e.seconds)}</strong> (
          {e.phases.map((p) => `${PHASE_LABELS[p.phase]} ${formatDuration(p.seconds)}`).join(', ')})
        </>
      ) : (
        <>
          Estimated time on {estimate.label}: unknown, {estimate.note}
        </>
      )}
      {estimate.alternative && (
        <span data-testid="run-estimate-alternative">
          {' '}
          — on {estimate.alternative.label}: ~{formatDuration(estimate.alternative.seconds)}
          {onSwitch && (
            <>
              {' '}
              <button type="button" className="secondary" onClick={onSwitch}>
                use {estimate.alternative.label}
              </button>
            </>
          )}
        </span>
      )}
      {caveat && <span className="muted"> ({caveat})</span>}
    </p>
  );
});
