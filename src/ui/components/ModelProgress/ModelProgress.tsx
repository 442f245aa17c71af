// A model load in progress: one line per file (bytes, rate, time left; resumed, retrying, in the cache) and
// a cancel button. Presentational.
import { memo } from 'react';
import { formatBytes, progressLine } from '../../../engine/hf/progress';
import type { ModelLoadView } from '../../../state/models_slice';

export const ModelProgress = memo(function ModelProgress({
  load,
  onCancel,
}: {
  load: ModelLoadView;
  onCancel: () => void;
}) {
  const total = load.files.reduce((n, f) => n + f.total, 0);
  const held = load.files.reduce((n, f) => n + f.received, 0);
  return (
    <div className="model-progress" role="status" data-testid="model-progress">
      <div>
        Loading <strong>{load.label}</strong>
        {total > 0 && ` · ${formatBytes(held)} of ${formatBytes(total)}`}{' '}
        <button type="button" className="secondary" onClick={onCancel}>
          cancel
        </button>
      </div>
      <ul>
        {load.files.map((f) => (
          <li key={f.path} className={f.state} data-testid="model-file-progress">
            {progressLine(f)}
          </li>
        ))}
      </ul>
    </div>
  );
});
