/** CSV extracts (social care, continuing healthcare) mapped to source actions, with a per-row report. */
export { mapCsvExtract, mapCsvRow, problemToError } from './extract.ts';
export type { CsvExtractEvent } from './extract.ts';
export { mapPersonRow } from './persons.ts';
export { mapInvolvementRow } from './involvements.ts';
export { snapshotRemovals } from './snapshot.ts';
export type { SnapshotRemovals } from './snapshot.ts';
export type { CsvMapContext, CsvRowIssue, CsvRowOutcome, CsvRowReport } from './report.ts';
export { checkBirthDate, checkCalendarDate, checkNhsNumber, checkUkPhone, checkUkPostcode, isoDay } from './values.ts';
export type { Checked } from './values.ts';
export {
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_SYSTEM,
  UNVERIFIED_VALUE_EXTENSION,
  involvementIdSystem,
  localIdSystem,
} from './identifiers.ts';
