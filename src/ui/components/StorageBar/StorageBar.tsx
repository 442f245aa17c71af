// Storage used of the browser's quota, as a bar and in words. Presentational.
import { memo } from 'react';
import type { StorageUsage } from '../../../train/lab_store';

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

export const StorageBar = memo(function StorageBar({ usage }: { usage: StorageUsage | null }) {
  if (!usage) return <p className="muted">Reading storage…</p>;
  const frac = usage.quotaBytes ? usage.usedBytes / usage.quotaBytes : null;
  return (
    <div className="storage" data-testid="storage-usage">
      {frac !== null && (
        <div className="bar" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={frac}>
          <div style={{ width: `${Math.min(100, 100 * frac)}%` }} />
        </div>
      )}
      <span>
        {mb(usage.usedBytes)} used
        {usage.quotaBytes ? ` of ${mb(usage.quotaBytes)} allowed (${(100 * (frac ?? 0)).toFixed(1)}%)` : ''}
      </span>
    </div>
  );
});
