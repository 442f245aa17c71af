// The backend choice in the Engine panel: why this backend (measured fastest, or the override), each
// candidate's measured step times on this device for the draft's model (or why it has none), and the
// override, which starts the page again on the backend picked ('auto': the fastest measured).
import { memo } from 'react';
import {
  BACKEND_MODES,
  type BackendChoice,
  type BackendMode,
  candidate,
  type Measurement,
} from '../../../engine/backend_choice';

export interface BackendTimesProps {
  choice: BackendChoice | null;
  measurements: readonly Measurement[] | undefined; // the draft's model's
  onOverride: (mode: BackendMode) => void;
  runLoaded: boolean; // the override restarts the page: not under a run
}

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);
const stamp = (t: number) => `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const LABELS: Record<BackendMode, string> = {
  auto: 'auto: the fastest measured',
  webgpu: 'WebGPU',
  wasm: 'WASM',
  webgl: 'WebGL',
  cpu: 'CPU',
};

export const BackendTimes = memo(function BackendTimes({
  choice,
  measurements,
  onOverride,
  runLoaded,
}: BackendTimesProps) {
  if (!choice) return null;
  const batches = measurements?.find((m) => m.times)?.times?.shape.decodeBatches ?? [];
  return (
    <>
      <p data-testid="backend-choice">
        Backend: {choice.reason}
        {choice.measuredAt !== null && (
          <span className="muted">
            {' '}
            — measured {stamp(choice.measuredAt)}
            {choice.cached ? ' (cached)' : ''}
          </span>
        )}
      </p>
      {measurements && measurements.length > 0 && (
        <table className="grid" data-testid="backend-times">
          <thead>
            <tr>
              <th>backend</th>
              <th>warm training step</th>
              {batches.map((b) => (
                <th key={b}>decode step, {b} rows</th>
              ))}
              <th>first step (compiles)</th>
            </tr>
          </thead>
          <tbody>
            {measurements.map((m) => (
              <tr key={m.id} data-testid="backend-time-row" data-candidate={m.id}>
                <td>{candidate(m.id).label}</td>
                {m.times ? (
                  <>
                    <td>{ms(m.times.trainMs)}</td>
                    {m.times.decodeMs.map((d, i) => (
                      <td key={batches[i]}>{ms(d)}</td>
                    ))}
                    <td>{ms(m.times.firstStepMs)}</td>
                  </>
                ) : (
                  <td colSpan={batches.length + 2} className="muted">
                    {m.note}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <label title="Starts the page again on this backend; the link keeps it (?backend=…)">
          backend{' '}
          <select
            aria-label="backend override"
            value={choice.mode}
            disabled={runLoaded}
            onChange={(e) => onOverride(e.target.value as BackendMode)}
          >
            {BACKEND_MODES.map((m) => (
              <option key={m} value={m}>
                {LABELS[m]}
              </option>
            ))}
          </select>
        </label>
      </p>
    </>
  );
});
