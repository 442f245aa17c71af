// Picking a pair from a stored dataset: the dataset, then the pair's number (with previous/next).
// Presentational.
import { memo } from 'react';
import type { DatasetMeta } from '../../../train/lab_store';

export interface PairPickerProps {
  datasets: DatasetMeta[];
  browse: { datasetId: string | null; count: number; index: number };
  onDataset: (id: string | null) => void;
  onIndex: (index: number) => void;
}

export const PairPicker = memo(function PairPicker({ datasets, browse, onDataset, onIndex }: PairPickerProps) {
  if (datasets.length === 0)
    return <p className="muted">No datasets stored yet (import one on the Data page); type a pair below.</p>;
  return (
    <div className="pair-picker">
      <label>
        pick from dataset{' '}
        <select
          aria-label="dataset to pick from"
          value={browse.datasetId ?? ''}
          onChange={(e) => onDataset(e.target.value || null)}
        >
          <option value="">— type a pair —</option>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.count} pair{d.count === 1 ? '' : 's'})
            </option>
          ))}
        </select>
      </label>
      {browse.datasetId && browse.count > 0 && (
        <span className="pair-nav">
          <button
            type="button"
            className="secondary"
            onClick={() => onIndex(browse.index - 1)}
            disabled={browse.index === 0}
            aria-label="previous pair"
          >
            ‹
          </button>
          <label>
            pair{' '}
            <input
              type="number"
              aria-label="pair number"
              min={1}
              max={browse.count}
              value={browse.index + 1}
              onChange={(e) => onIndex(Number(e.target.value) - 1)}
            />{' '}
            of {browse.count}
          </label>
          <button
            type="button"
            className="secondary"
            onClick={() => onIndex(browse.index + 1)}
            disabled={browse.index >= browse.count - 1}
            aria-label="next pair"
          >
            ›
          </button>
        </span>
      )}
      {browse.datasetId && browse.count === 0 && <span className="muted"> this dataset is empty</span>}
    </div>
  );
});
