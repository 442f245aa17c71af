// The kernel self-check on the bench page: every fused WebGPU kernel against its stock composition on this
// device (engine/kernels/self_check.ts), so a real GPU's results can be checked, not assumed; and the kernel
// path the lab takes on this adapter from then on (the outcome replaces the cached one). Props only.
import { memo } from 'react';
import { kernelCheckTable } from '../../bench/tables';
import type { BenchState } from '../../state/bench_store';
import { ResultTables } from './ResultTables';

export const KernelCheckPanel = memo(function KernelCheckPanel({
  state,
  busy,
  onRun,
}: {
  state: BenchState['kernels'];
  busy: boolean;
  onRun: () => void;
}) {
  const failed = state.checks?.filter((c) => !c.pass).length ?? 0;
  return (
    <section className="panel">
      <h2>Kernel check</h2>
      <p className="muted">
        Runs each fused kernel and its stock tfjs composition on the same inputs, forward and backward, then the nano
        model with the fused kernels on and off, and compares them. The lab runs the fused kernels by default only where
        every case passes; it checks once per adapter, and this check replaces that result.
      </p>
      <button type="button" onClick={onRun} disabled={busy || state.running}>
        Check kernels
      </button>{' '}
      {state.running && (
        <span data-testid="kernel-progress">
          <progress max={state.total || 1} value={state.done} /> {state.done}/{state.total || '…'}
        </span>
      )}
      {state.checks && state.checks.length > 0 && (
        <span data-testid="kernel-summary">
          {failed === 0
            ? `all ${state.checks.length} kernels pass`
            : `${failed} of ${state.checks.length} kernels FAIL`}
        </span>
      )}
      {state.choice && (
        <p data-testid="kernel-choice" className={state.choice.failing.length > 0 ? 'error' : undefined}>
          In the lab on this adapter: {state.choice.summary}
        </p>
      )}
      {state.error && (
        <p className="notice error" role="alert">
          {state.error}
        </p>
      )}
      {state.checks && state.checks.length > 0 && (
        <ResultTables tables={[kernelCheckTable(state.checks, state.device)]} />
      )}
    </section>
  );
});
