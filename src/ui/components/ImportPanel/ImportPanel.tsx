// Importing a dataset file: the file picker, "reading…" while it is parsed, the headline of a file refused
// as a whole, and the report of a file read (ImportReport) with the keep/reject decision. Presentational.
import { memo } from 'react';
import type { ImportDraft } from '../../../state/data_slice';
import type { ImportFailure } from '../../../state/import_report';
import { ImportReport } from './ImportReport';

export interface ImportPanelProps {
  draft: ImportDraft | null;
  failure: ImportFailure | null;
  onFile: (file: File) => void;
  onName: (name: string) => void;
  onKeep: () => void;
  onReject: () => void;
  onDismissFailure: () => void;
}

export const bytesText = (b: number) =>
  b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} kB`;

export const ImportPanel = memo(function ImportPanel(p: ImportPanelProps) {
  const saving = p.draft?.phase === 'saving';
  return (
    <div className="import-panel">
      <label className="file">
        A JSON or JSONL file: RewardBench, RM-R1, RM-Bench, JudgeBench, PandaLM, or pairs exported here (the format is
        detected).
        <input
          type="file"
          accept=".json,.jsonl,.ndjson,.txt,application/json"
          data-testid="import-dataset"
          disabled={saving}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) p.onFile(f);
            e.target.value = '';
          }}
        />
      </label>
      {p.draft?.phase === 'reading' && (
        <p role="status" data-testid="import-reading">
          Reading {p.draft.fileName} ({bytesText(p.draft.bytes)})…
        </p>
      )}
      {p.failure && (
        <div className="notice error" role="alert" data-testid="import-failure">
          <strong>{p.failure.title}</strong> Nothing was saved.
          <div className="failure-detail">{p.failure.detail}</div>
          <button type="button" className="secondary" onClick={p.onDismissFailure}>
            dismiss
          </button>
        </div>
      )}
      {p.draft?.report && (
        <ImportReport
          report={p.draft.report}
          name={p.draft.name}
          saving={saving}
          saveError={p.draft.saveError}
          onName={p.onName}
          onKeep={p.onKeep}
          onReject={p.onReject}
        />
      )}
    </div>
  );
});
