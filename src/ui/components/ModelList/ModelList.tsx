// The models in the download cache: where each came from, its revision, size, whether any file is missing,
// and buttons to load it again (offline it opens from the cache) or delete it. Presentational.
import { memo } from 'react';
import { formatBytes } from '../../../engine/hf/progress';
import type { CachedModel } from '../../../worker/models_protocol';

const FROM = { hub: 'Hub', url: 'URL', folder: 'folder' } as const;

function revisionText(m: CachedModel): string {
  if (m.kind !== 'hub') return '–';
  const sha = m.revision.slice(0, 7);
  return m.refs.length ? `${m.refs.join(', ')} (${sha})` : sha;
}

export const ModelList = memo(function ModelList({
  models,
  busy,
  onLoad,
  onDelete,
}: {
  models: CachedModel[];
  busy: boolean;
  onLoad: (m: CachedModel) => void;
  onDelete: (id: string) => void;
}) {
  if (models.length === 0) return <p className="muted">No models in the cache yet.</p>;
  return (
    <table className="grid" data-testid="models-table">
      <thead>
        <tr>
          <th>model</th>
          <th>from</th>
          <th>revision</th>
          <th>files</th>
          <th>size</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr key={m.id} data-testid="model-row">
            <td title={m.id}>{m.repo}</td>
            <td>{FROM[m.kind]}</td>
            <td title={m.revision}>{revisionText(m)}</td>
            <td title={m.missing.length ? `missing: ${m.missing.join(', ')}` : undefined}>
              {m.files.length - m.missing.length} of {m.files.length}
              {m.missing.length > 0 && ' (partly downloaded)'}
            </td>
            <td title={`${m.cachedBytes.toLocaleString()} bytes on disk`}>
              {formatBytes(m.cachedBytes)}
              {m.missing.length > 0 && ` of ${formatBytes(m.totalBytes)}`}
            </td>
            <td className="actions">
              <button type="button" disabled={busy} onClick={() => onLoad(m)}>
                {m.missing.length ? 'resume' : 'load'}
              </button>
              <button type="button" className="secondary" disabled={busy} onClick={() => onDelete(m.id)}>
                delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
});
