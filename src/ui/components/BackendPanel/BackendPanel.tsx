// Which tfjs backend runs, on what adapter, and why each better one was skipped.
import { memo } from 'react';
import type { BackendReport } from '../../../engine/backend';

export interface BackendPanelProps {
  report: BackendReport | null;
  error: string | null;
}

export const BackendPanel = memo(function BackendPanel({ report, error }: BackendPanelProps) {
  if (error) return <section className="panel error" role="alert">No backend could start: {error}</section>;
  if (!report) return <section className="panel">Starting the engine…</section>;
  const a = report.adapter;
  return (
    <section className="panel" data-testid="backend-panel">
      <h2>
        Backend: <span data-testid="backend-name">{report.name}</span>
      </h2>
      {report.name !== 'webgpu' && (
        <p className="notice" role="status" data-testid="no-webgpu-notice">
          WebGPU is not in use, so training runs on the slower {report.name.toUpperCase()} backend.
        </p>
      )}
      {a && (
        <p>
          Adapter: {[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'unnamed'} — max buffer{' '}
          {(a.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB, workgroup storage {a.limits.maxComputeWorkgroupStorageSize} B
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
    </section>
  );
});
