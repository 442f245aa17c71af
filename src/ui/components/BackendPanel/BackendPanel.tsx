// Which tfjs backend runs, on what adapter, why each better one was skipped, the engine's memory, and
// the engine check: a few dozen nano steps on a built-in text whose loss must fall.
import { memo } from 'react';
import type { BackendReport } from '../../../engine/backend';
import type { EngineSlice } from '../../../state/engine_slice';
import type { MemoryReport } from '../../../worker/protocol';
import { MetricChart } from '../MetricChart/MetricChart';

export interface BackendPanelProps {
  report: BackendReport | null;
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
  memory,
  smoke,
  onCheck,
  fused,
  onFused,
  runLoaded,
}: BackendPanelProps) {
  if (!report) return <section className="panel">Starting the engine…</section>;
  const a = report.adapter;
  return (
    <section className="panel" data-testid="backend-panel">
      <h2>Engine</h2>
      <p>{report.summary}</p>
      {a && (
        <p>
          Adapter: {[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'unnamed'} — max
          buffer {(a.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, workgroup storage{' '}
          {a.limits.maxComputeWorkgroupStorageSize} B
        </p>
      )}
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
              'norm, AdamW, the KV-cache write and sampling: ~6x fewer GPU dispatches per step and per token; each ' +
              'is tested against the stock ops'
            }
          >
            <input
              type="checkbox"
              checked={fused}
              disabled={runLoaded || smoke.running}
              onChange={(e) => onFused(e.target.checked)}
            />{' '}
            fused WebGPU kernels (experimental)
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
