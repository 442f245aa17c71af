// What the Data page shows about an imported file: the importer's result reduced to a report (format,
// record counts, every bad record with its line and reason, warnings) and, when the importer refuses the
// whole file, a headline naming the problem. Pure; leaves out reading the file and storing the pairs.
import type { ImportIssue, ImportResult } from '../rm/importers';

/** Issues rendered at once; the rest are counted ("…and 4,210 more") so a broken 50 MB file stays light. */
export const ISSUES_SHOWN = 200;

export interface ImportReport {
  fileName: string;
  bytes: number;
  format: ImportResult['format'];
  container: ImportResult['container'];
  /** Records in the file, good and bad (RM-Bench records give 9 pairs each, so pairs can exceed it). */
  records: number;
  pairs: number;
  badRecords: number;
  /** The first ISSUES_SHOWN bad records, in line order; `badRecords` counts them all. */
  errors: ImportIssue[];
  warnings: ImportIssue[];
  warningCount: number;
}

export function toImportReport(r: ImportResult, fileName: string, bytes: number): ImportReport {
  return {
    fileName,
    bytes,
    format: r.format,
    container: r.container,
    records: r.total,
    pairs: r.pairs.length,
    badRecords: r.errors.length,
    errors: r.errors.slice(0, ISSUES_SHOWN),
    warnings: r.warnings.slice(0, ISSUES_SHOWN),
    warningCount: r.warnings.length,
  };
}

/** A file refused as a whole: a headline a person can act on, and the importer's own words. */
export interface ImportFailure {
  title: string;
  detail: string;
}

/** Names the problem in the importer's message: not JSON, an unknown format, or an empty file. */
export function importFailure(fileName: string, e: unknown): ImportFailure {
  const detail = e instanceof Error ? e.message : String(e);
  if (/invalid JSON array/.test(detail))
    return { title: `${fileName} is not valid JSON: the array does not parse.`, detail };
  if (/no records: line \d+: invalid JSON/.test(detail))
    return { title: `${fileName} is not JSON or JSONL: no line parses as a JSON record.`, detail };
  if (/no records/.test(detail)) return { title: `${fileName} holds no records (empty, or no JSON objects).`, detail };
  if (/unknown dataset format/.test(detail))
    return { title: `The dataset format of ${fileName} was not recognised.`, detail };
  return { title: `${fileName} could not be imported.`, detail };
}

/** The dataset name a file suggests: its name without folders and without a .json/.jsonl/.txt ending. */
export function datasetNameFromFile(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.replace(/\.(jsonl|json|ndjson|txt)$/i, '') || 'imported';
}

/** The keep button's words: how many pairs go in and how many records are left out. */
export function keepLabel(report: ImportReport): string {
  const pairs = `${report.pairs.toLocaleString('en-US')} valid pair${report.pairs === 1 ? '' : 's'}`;
  if (report.badRecords === 0) return `Save ${pairs}`;
  return (
    `Keep ${pairs} (skip ${report.badRecords.toLocaleString('en-US')} ` +
    `bad record${report.badRecords === 1 ? '' : 's'})`
  );
}
