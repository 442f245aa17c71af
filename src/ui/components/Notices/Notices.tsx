// Notices above every page: no WebGPU (and why: not available, or WASM measured faster), a failed engine, a
// lost GPU device, storage that will not persist or is full, and a link whose settings were refused.
// Presentational.
import { memo } from 'react';
import type { BackendReport } from '../../../engine/backend';

export interface NoticesProps {
  backend: BackendReport | null;
  choiceReason: string | null; // why this backend (measured, or the override)
  backendError: string | null;
  fatalError: string | null;
  storageWarning: string | null;
  linkError: string | null;
  libraryError: string | null;
}

export const Notices = memo(function Notices(p: NoticesProps) {
  const webgpuWhy = p.backend?.skipped.find((s) => s.name === 'webgpu')?.reason;
  return (
    <div className="notices">
      {p.backendError && (
        <p className="notice error" role="alert">
          No backend could start: {p.backendError}
        </p>
      )}
      {p.fatalError && (
        <p className="notice error" role="alert" data-testid="fatal-error">
          {p.fatalError}
        </p>
      )}
      {p.backend && p.backend.name !== 'webgpu' && (
        <p className="notice" role="status" data-testid="no-webgpu-notice">
          WebGPU is not in use: everything runs on {p.backend.name.toUpperCase()}.{' '}
          {webgpuWhy ? `WebGPU: ${webgpuWhy}.` : p.choiceReason ? `Why: ${p.choiceReason}.` : ''}
        </p>
      )}
      {p.storageWarning && (
        <p className="notice" role="status">
          {p.storageWarning}
        </p>
      )}
      {p.libraryError && (
        <p className="notice error" role="alert" data-testid="storage-error">
          {p.libraryError}
        </p>
      )}
      {p.linkError && (
        <p className="notice" role="status">
          {p.linkError}
        </p>
      )}
    </div>
  );
});
