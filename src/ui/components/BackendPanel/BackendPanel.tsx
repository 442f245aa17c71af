// Which tfjs backend runs, on what adapter, why (measured fastest, or the override: BackendTimes), why each
// backend tried before it was skipped, which kernels run and why
// (fused by default where the kernel self-check passes on this adapter; the switch turns them off), the
// engine's memory, and the engine check: a few dozen nano steps on a built-in text whose loss must fall.
import { memo } from 'react';
import type { BackendReport } from '../../../engine/backend';
import type { BackendChoice, BackendMode, Measurement } from '../../../engine/backend_choice';
import type { EngineSlice } from '../../../state/engine_slice';
import type { MemoryReport } from '../../../worker/protocol';
import { MetricChart } from '../MetricChart/MetricChart';
import { BackendTimes } from './BackendTimes';

export interface BackendPanelProps {
  report: BackendReport | null;
  choice: BackendChoice | null;
  measurements: readonly Measurement[] | undefined; // the draft's model's step times per backend
  probing: string | null; // what the backend probe measures now
  onOverride: (mode: BackendMode) => void;
  kernels: EngineSlice['kernels'];
  kernelCheck: EngineSlice['kernelCheck'];
  memory: MemoryReport | null;
  smoke: EngineSlice['smoke'];
  onCheck: () => void;
  fused: boolean;
  onFused: (on: boolean) => void;
  runLoaded: boolean; // kernels switch only between runs
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

export const BackendPanel = memo(function BackendPanel({
  report,
  choice,
  measurements,
  probing,
  onOverride,
  kernels,
  kernelCheck,
  memory,
  smoke,
  onCheck,
  fused,
  onFused,
  runLoaded,
}: BackendPanelProps) {
  if (!report)
    return (
      <section className="panel" data-testid="backend-probe">
        Starting the engine
        {probing ? `: ${probing} (once per device and model: a training step and decode steps on each backend)…` : '…'}
      </section>
    );
  const a = report.adapter;
  return (
    <section className="panel" data-testid="backend-panel">
      <h2>Engine</h2>
      <p>{report.summary}</p>
      <BackendTimes choice={choice} measurements={measurements} onOverride={onOverride} runLoaded={runLoaded} />
      {probing && <p data-testid="backend-probe">{probing}…</p>}
      {a && (
        <p>
          Adapter: {[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'unnamed'} — max
          buffer {(a.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, workgroup storage{' '}
          {a.limits.maxComputeWorkgroupStorageSize} B
        </p>
      )}
      <KernelPath kernels={kernels} check={kernelCheck} />
      {memory && (
        <p data-testid="memory">
          Memory: {memory.numTensors} tensors, {mb(memory.numBytes)}
          {memory.numBytesInGPU !== undefined &&
            `; GPU ${mb(memory.numBytesInGPU)} in use, ${mb(memory.numBytesAllocatedInGPU ?? 0)} pooled`}
        </p>
      )}
      {report.skipped.length > 0 && (
        <ul className="skipped">
          {report.skipped.map((s) => (
            <li key={s.name}>
              {s.name} skipped: {s.reason}
            </li>
          ))}
        </ul>
      )}
      {report.name === 'webgpu' && (
        <p>
          <label
            title={
              'Our WGSL programs for RMSNorm with the residual add, RoPE, attention, SwiGLU, log-probs, the gradient ' +
              'norm, AdamW, the KV-cache write and sampling: ~6x fewer GPU dispatches per step and per token. On by ' +
              'default when every one matches the stock ops on this adapter (checked once, forward and backward); ' +
              'off gives the stock tfjs ops'
            }
          >
            <input
              type="checkbox"
              checked={fused}
              disabled={runLoaded || smoke.running || !kernels}
              onChange={(e) => onFused(e.target.checked)}
            />{' '}
            fused WebGPU kernels (on where the self-check passes)
          </label>{' '}
          <a
            href="./bench.html"
            target="_blank"
            rel="noreferrer"
            title="Stock against fused on this GPU, and a check of every fused kernel against its stock ops"
          >
            benchmark this GPU
          </a>
        </p>
      )}
      <p>
        <button
          type="button"
          onClick={onCheck}
          disabled={smoke.running}
          title="Trains the nano model on a short built-in trace for 40 steps in the worker: the loss must fall"
        >
          Check the engine
        </button>{' '}
        <SmokeSummary smoke={smoke} />
      </p>
      {smoke.steps.length > 0 && (
        <MetricChart
          title="engine check loss"
          height={140}
          series={[{ name: 'loss', points: smoke.steps.map((x) => ({ step: x.step, value: x.loss })) }]}
          description="Token NLL of nano on the built-in trace: from ~ln(120) = 4.8 to below 1 within 40 steps."
        />
      )}
    </section>
  );
});

function SmokeSummary({ smoke }: { smoke: EngineSlice['smoke'] }) {
  if (smoke.error)
    return (
      <span className="error" role="alert">
        {smoke.error}
      </span>
    );
  const n = smoke.steps.length;
  if (n === 0) return smoke.running ? <span>starting…</span> : null;
  const first = smoke.steps[0],
    last = smoke.steps[n - 1];
  return (
    <span data-testid="engine-check">
      loss {first.loss.toFixed(3)} → {last.loss.toFixed(3)} in {n} steps, {last.tokensPerSecond.toFixed(0)} tokens/s
      {smoke.running ? '…' : ''}
    </span>
  );
}

function KernelPath({ kernels, check }: { kernels: EngineSlice['kernels']; check: EngineSlice['kernelCheck'] }) {
  if (!kernels)
    return (
      <p data-testid="kernel-path">
        Kernels:{' '}
        {check
          ? `checking each fused kernel against the stock ops on this adapter (once): ${check.done}/${check.total}…`
          : 'choosing…'}
      </p>
    );
  return (
    <p data-testid="kernel-path" className={kernels.failing.length > 0 ? 'error' : undefined}>
      Kernels: {kernels.summary}
    </p>
  );
}
