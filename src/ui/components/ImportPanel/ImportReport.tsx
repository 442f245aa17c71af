// The report of one file read: the format detected, records, valid pairs, every bad record with its line
// and reason (the first ISSUES_SHOWN, then a count), warnings; then the user's choice: keep the valid pairs
// under a name, or reject the file. A failed save says so and keeps the choice open. Presentational.
import { memo } from 'react';
import type { ImportIssue } from '../../../rm/importers';
import { keepLabel, type ImportReport as Report } from '../../../state/import_report';

export interface ImportReportProps {
  report: Report;
  name: string;
  saving: boolean;
  saveError: string | null;
  onName: (name: string) => void;
  onKeep: () => void;
  onReject: () => void;
}

const n = (x: number) => x.toLocaleString('en-US');

function IssueList({ issues, total, testId }: { issues: ImportIssue[]; total: number; testId: string }) {
  return (
    <>
      <ol className="issues" data-testid={testId}>
        {issues.map((e, i) => (
          <li key={i} data-testid="issue">
            <span className="issue-line">line {e.line}</span> {e.reason}
          </li>
        ))}
      </ol>
      {total > issues.length && <p className="muted">…and {n(total - issues.length)} more not listed.</p>}
    </>
  );
}

export const ImportReport = memo(function ImportReport({
  report: r,
  name,
  saving,
  saveError,
  onName,
  onKeep,
  onReject,
}: ImportReportProps) {
  return (
    <div className="import-report" data-testid="import-report">
      <p>
        <strong>{r.fileName}</strong>: <span data-testid="import-format">{r.format}</span> ({r.container.toUpperCase()})
        detected.
      </p>
      <dl className="import-counts">
        <dt>records</dt>
        <dd data-testid="import-records">{n(r.records)}</dd>
        <dt>valid pairs</dt>
        <dd data-testid="import-valid">{n(r.pairs)}</dd>
        <dt>bad records</dt>
        <dd data-testid="import-bad" className={r.badRecords > 0 ? 'error' : undefined}>
          {n(r.badRecords)}
        </dd>
        {r.warningCount > 0 && (
          <>
            <dt>warnings</dt>
            <dd>{n(r.warningCount)}</dd>
          </>
        )}
      </dl>
      {r.badRecords > 0 && (
        <>
          <h4>Bad records (not imported)</h4>
          <IssueList issues={r.errors} total={r.badRecords} testId="import-errors" />
        </>
      )}
      {r.warningCount > 0 && (
        <>
          <h4>Warnings (imported with a caveat)</h4>
          <IssueList issues={r.warnings} total={r.warningCount} testId="import-warnings" />
        </>
      )}
      <div className="import-decision">
        {r.pairs > 0 ? (
          <>
            <label>
              dataset name{' '}
              <input
                aria-label="dataset name"
                value={name}
                onChange={(e) => onName(e.target.value)}
                disabled={saving}
              />
            </label>
            <button type="button" onClick={onKeep} disabled={saving} data-testid="keep-import">
              {saving ? 'Saving…' : keepLabel(r)}
            </button>
          </>
        ) : (
          <p className="error">No valid pairs in this file: there is nothing to keep.</p>
        )}
        <button type="button" className="secondary" onClick={onReject} disabled={saving} data-testid="reject-import">
          {r.badRecords > 0 ? 'Reject the file' : 'Discard'}
        </button>
      </div>
      {saveError && (
        <p className="error" role="alert" data-testid="import-save-error">
          Not saved: {saveError} The pairs are still here; free some space and press the button again.
        </p>
      )}
    </div>
  );
});
