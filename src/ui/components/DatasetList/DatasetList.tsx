// The stored datasets as a table (name, source, format, pairs, created) with browse, export and delete;
// delete asks inline first, naming what goes. Presentational: the page passes the list and the actions.
// Leaves out loading and the pairs themselves.
import { memo, useState } from 'react';
import type { DatasetMeta } from '../../../train/lab_store';

export interface DatasetListProps {
  datasets: DatasetMeta[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  onExport: (id: string) => void;
  onDelete: (id: string) => void;
}

const SOURCE_LABEL: Record<DatasetMeta['source'], string> = {
  import: 'imported',
  synthetic: 'synthetic',
  labels: 'your labels',
};
const date = (ms: number) => new Date(ms).toLocaleString();

export const DatasetList = memo(function DatasetList({
  datasets,
  selectedId,
  onSelect,
  onExport,
  onDelete,
}: DatasetListProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (datasets.length === 0)
    return (
      <p className="muted" data-testid="no-datasets">
        No datasets yet: import a file or generate synthetic pairs below.
      </p>
    );
  return (
    <table className="grid dataset-list" data-testid="dataset-table">
      <thead>
        <tr>
          <th>dataset</th>
          <th>source</th>
          <th>format</th>
          <th>pairs</th>
          <th>created</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {datasets.map((d) => (
          <tr
            key={d.id}
            data-testid="dataset-row"
            className={d.id === selectedId ? 'selected' : undefined}
            aria-selected={d.id === selectedId}
          >
            <td title={d.id}>{d.name}</td>
            <td>{SOURCE_LABEL[d.source] ?? d.source}</td>
            <td>{d.format ?? '–'}</td>
            <td data-testid="dataset-count">{d.count.toLocaleString('en-US')}</td>
            <td>{date(d.createdAt)}</td>
            {confirming === d.id ? (
              <td className="actions confirm" role="group" aria-label={`confirm deleting ${d.name}`}>
                Delete “{d.name}” and its {d.count.toLocaleString('en-US')} pairs?{' '}
                <button
                  type="button"
                  onClick={() => {
                    setConfirming(null);
                    onDelete(d.id);
                  }}
                >
                  yes, delete
                </button>
                <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                  cancel
                </button>
              </td>
            ) : (
              <td className="actions">
                <button type="button" onClick={() => onSelect(d.id)} disabled={d.id === selectedId}>
                  browse
                </button>
                <button
                  type="button"
                  className="secondary"
                  onClick={() => onExport(d.id)}
                  title="download as JSONL, one pair per line"
                >
                  export
                </button>
                <button type="button" className="secondary" onClick={() => setConfirming(d.id)}>
                  delete
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
});
