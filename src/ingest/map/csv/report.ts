/**
 * The per-row report a CSV upload is answered with (INTERFACES.md: `POST /ingest/csv` → a per-row
 * report): every row accepted, accepted with warnings, or rejected, each problem naming its column.
 */
import type { DataQualityWarning, IngestError, MapResult } from '../../sourceAction.ts';
import type { CsvDatasetName } from '../../../formats/csv/index.ts';

export interface CsvRowIssue {
  code: string;
  /** Names the column and the reason, never the value. */
  message: string;
  column?: string | undefined;
}

export interface CsvRowReport {
  line: number;
  localId?: string | undefined;
  status: 'accepted' | 'rejected' | 'warning';
  errors: CsvRowIssue[];
  warnings: CsvRowIssue[];
}

/** One row mapped: what to apply, and what to tell the sender. */
export interface CsvRowOutcome {
  dataset: CsvDatasetName;
  line: number;
  /** The row's own id in its dataset (local_id, involvement_id) when the row has one, even if rejected. */
  sourceId?: string | undefined;
  result: MapResult;
  report: CsvRowReport;
}

export interface CsvMapContext {
  feedId: string;
  /** ODS code of the feed's organisation. */
  odsCode: string;
  /** The extract's as-of instant (ISO 8601): the sourceVersion of everything in it. */
  asOf: string;
  /** The clock, injected: a date of birth after today is impossible. */
  now: Date;
}

/** The report and result for a row rejected with these errors (the first one is the result's error). */
export function rejectedRow(dataset: CsvDatasetName, line: number, errors: CsvRowIssue[], localId?: string, sourceId?: string): CsvRowOutcome {
  const first = errors[0] ?? { code: 'invalid-row', message: `line ${line} was rejected` };
  const error: IngestError = { code: first.code, message: first.message, where: { line, column: first.column } };
  if (first.column === undefined) delete error.where.column;
  return {
    dataset,
    line,
    sourceId,
    result: { ok: false, error },
    report: { line, localId, status: 'rejected', errors, warnings: [] },
  };
}

/** Data-quality warnings as report issues: the warning's field is the CSV column. */
export function warningIssues(warnings: DataQualityWarning[]): CsvRowIssue[] {
  return warnings.map((w) => ({ code: w.code, message: w.message, column: w.field }));
}

export function missingValue(column: string, line: number): CsvRowIssue {
  return { code: 'required-field-missing', message: `${column} is required but empty on line ${line}`, column };
}
