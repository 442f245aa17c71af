// A run's export for a cluster trainer: one button per trainer, each downloading the run's GRPO data,
// reward and settings for it as a zip. Presentational.
import { memo } from 'react';
import { TARGET_NAMES, TARGETS, type Target } from '../../../train/export/targets';

export const ExportButton = memo(function ExportButton(p: { runName: string; onExport: (target: Target) => void }) {
  return (
    <>
      {TARGETS.map((t) => (
        <button
          key={t}
          type="button"
          className="secondary"
          title={`Download ${p.runName}'s GRPO data, reward and settings for ${TARGET_NAMES[t]} (a zip)`}
          aria-label={`export ${p.runName} for ${TARGET_NAMES[t]}`}
          onClick={() => p.onExport(t)}
        >
          {`→ ${TARGET_NAMES[t]}`}
        </button>
      ))}
    </>
  );
});
