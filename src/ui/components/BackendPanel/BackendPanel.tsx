// Which tfjs backend runs, on what adapter, why each better one was skipped, and the engine's memory.
import { memo } from 'react';
import type { BackendReport } from '../../../engine/backend';
import type { MemoryReport } from '../../../worker/protocol';

export interface BackendPanelProps {
  report: BackendReport | null;
  memory: MemoryReport | null;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

export const BackendPanel = memo(function BackendPanel({ report, memory }: BackendPanelProps) {
  if (!report) return <section className="panel">Starting the engine…</section>;
  const a = report.adapter;
  return (
    <section className="panel" data-testid="backend-panel">
      <h2>Engine</h2>
      <p>{report.summary}</p>
      {a && (
        <p>
          Adapter: {[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'unnamed'} — max buffer{' '}
          {(a.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, workgroup storage {a.limits.maxComputeWorkgroupStorageSize} B
        </p>
      )}
      {memory && (
        <p data-testid="memory">
          Memory: {memory.numTensors} tensors, {mb(memory.numBytes)}
          {memory.numBytesInGPU !== undefined && `; GPU ${mb(memory.numBytesInGPU)} in use, ${mb(memory.numBytesAllocatedInGPU ?? 0)} pooled`}
        </p>
      )}
      {report.skipped.length > 0 && (
        <ul className="skipped">
          {report.skipped.map((s) => <li key={s.name}>{s.name} skipped: {s.reason}</li>)}
        </ul>
      )}
    </section>
  );
});
