// Home: the backend in use and the smoke train (nano learns a short text; the loss should fall).
import { useCallback } from 'react';
import { SMOKE_DEFAULTS } from '../../train/smoke';
import { applyWorkerEvent, startSmoke, useAppStore, type AppState } from '../../state/store';
import { getEngine, sinkProxy } from '../../worker/client';
import { BackendPanel } from '../components/BackendPanel/BackendPanel';
import { LossChart } from '../components/LossChart/LossChart';

const selectBackend = (s: AppState) => s.backend;
const selectBackendError = (s: AppState) => s.backendError;
const selectPoints = (s: AppState) => s.smokePoints;
const selectRunning = (s: AppState) => s.smokeRunning;
const selectTotal = (s: AppState) => s.smokeTotal;
const selectError = (s: AppState) => s.smokeError;

export function HomePage() {
  const backend = useAppStore(selectBackend);
  const backendError = useAppStore(selectBackendError);
  const points = useAppStore(selectPoints);
  const running = useAppStore(selectRunning);
  const total = useAppStore(selectTotal);
  const error = useAppStore(selectError);

  const onSmoke = useCallback(() => {
    startSmoke(SMOKE_DEFAULTS.steps);
    void getEngine().smokeTrain(SMOKE_DEFAULTS, sinkProxy(applyWorkerEvent));
  }, []);
  const onStop = useCallback(() => void getEngine().stop(), []);

  const last = points[points.length - 1];
  const first = points[0];
  return (
    <main>
      <h1>Rubric Lab</h1>
      <p className="lede">Train small reasoning reward models (RM-R1) on your own GPU, in the browser.</p>
      <BackendPanel report={backend} error={backendError} />
      <section className="panel">
        <h2>Smoke train</h2>
        <p>Trains the nano model on a short built-in judge trace for {SMOKE_DEFAULTS.steps} steps. The loss should fall.</p>
        <button onClick={onSmoke} disabled={!backend || running} data-testid="smoke-start">
          {running ? 'Training…' : 'Smoke train'}
        </button>{' '}
        <button onClick={onStop} disabled={!running}>Stop</button>
        <p data-testid="smoke-status" aria-live="polite">
          {last
            ? `step ${last.step}/${total} · loss ${last.loss.toFixed(3)} (from ${first.loss.toFixed(3)}) · ${last.tokensPerSecond.toFixed(0)} tokens/s`
            : 'not started'}
          {!running && last && <span data-testid="smoke-done"> · done</span>}
        </p>
        {error && <p className="error" role="alert">{error}</p>}
        <LossChart label="loss" points={points.map((p) => ({ step: p.step, value: p.loss }))} />
      </section>
    </main>
  );
}
