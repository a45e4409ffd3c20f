/**
 * Receiving a CSV extract (upload or watched folder): rows are read as a stream and mapped one by
 * one; rejected rows are kept as dead letters with line and column; accepted rows are stored in
 * chunks before the report is returned. For a snapshot feed the extract ends with a marker listing
 * every id it held, so rows absent from it leave view — held for confirmation when the share
 * removed is larger than configured.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { readCsvExtract, type CsvDatasetName } from '../../formats/csv/index.ts';
import { mapCsvRow, snapshotRemovals, type CsvRowReport } from '../map/csv/index.ts';
import { addDeadLetter } from '../deadLetters.ts';
import { storeInInbox } from '../inbox.ts';
import { bumpFeedCounters, type Feed } from '../feeds.ts';
import { transaction } from '../../store/db.ts';
import type { IngestError } from '../sourceAction.ts';

export const CSV_CHUNK_ROWS = 500;

export interface StoredCsvRows { dataset: CsvDatasetName; asOf: string; rows: Array<{ line: number; values: Record<string, string> }> }
export interface StoredSnapshotEnd { dataset: CsvDatasetName; asOf: string; sourceIds: string[] }

export interface CsvReport {
  dataset: CsvDatasetName | null;
  rows: number;
  accepted: number;
  withWarnings: number;
  rejected: number;
  /** Present for a refused file (bad header, broken quoting). */
  fileError?: IngestError;
  snapshot?: { removals: number; share: number; held: boolean; message?: string };
  /** Every row that was rejected or accepted with warnings. */
  problems: CsvRowReport[];
  /** False when this exact extract had been received before. */
  stored: boolean;
}

/** The FHIR resource type each dataset's rows become (what a snapshot removes). */
export const DATASET_RESOURCE: Record<CsvDatasetName, string> = { persons: 'Patient', involvements: 'EpisodeOfCare' };

export interface CsvOptions { asOf?: string; confirmRemovals?: boolean; maxRemovalShare: number }

export async function receiveCsv(db: Kysely<Tables>, feed: Feed, content: Buffer, opts: CsvOptions, now: Date): Promise<CsvReport> {
  const asOf = opts.asOf ?? now.toISOString();
  const hash = createHash('sha256').update(content).digest('hex');
  const report: CsvReport = { dataset: null, rows: 0, accepted: 0, withWarnings: 0, rejected: 0, problems: [], stored: false };
  const ctx = { feedId: feed.id, odsCode: feed.organisationOds, asOf, now };
  const seen = new Set<string>();
  let chunk: StoredCsvRows['rows'] = [];
  let chunkNo = 0;

  const flush = async () => {
    if (chunk.length === 0 || !report.dataset) return;
    const payload: StoredCsvRows = { dataset: report.dataset, asOf, rows: chunk };
    const stored = await storeInInbox(db, { feedId: feed.id, messageId: `csv:${hash}:${chunkNo}`, kind: 'csv-rows', content: JSON.stringify(payload), units: chunk.length }, now);
    report.stored ||= stored;
    chunk = [];
    chunkNo++;
  };
  const rejectRow = async (line: number, dataset: CsvDatasetName | null, raw: unknown, error: IngestError, r: CsvRowReport) => {
    report.rejected++;
    report.problems.push(r);
    await addDeadLetter(db, feed.id, 'csv-row', JSON.stringify({ dataset, line, values: raw, asOf }), error, now);
  };

  for await (const ev of readCsvExtract(content)) {
    if (ev.kind === 'header') {
      report.dataset = ev.dataset;
    } else if (ev.kind === 'file-problem') {
      const error: IngestError = { code: ev.problem.code, message: ev.problem.message, where: { ...(ev.problem.line ? { line: ev.problem.line } : {}), ...(ev.problem.column ? { column: ev.problem.column } : {}) } };
      report.fileError = error;
      await addDeadLetter(db, feed.id, 'csv-file', content.toString('utf8'), error, now);
      break;
    } else if (ev.kind === 'row-problem') {
      report.rows++;
      const error: IngestError = { code: ev.problem.code, message: ev.problem.message, where: { line: ev.line, ...(ev.problem.column ? { column: ev.problem.column } : {}) } };
      await rejectRow(ev.line, ev.dataset, null, error, { line: ev.line, status: 'rejected', errors: [{ code: error.code, message: error.message, column: ev.problem.column }], warnings: [] });
    } else {
      report.rows++;
      const outcome = mapCsvRow(ev.dataset, ev.row, ctx);
      if (!outcome.result.ok) {
        await rejectRow(ev.row.line, ev.dataset, ev.row.values, outcome.result.error, outcome.report);
        continue;
      }
      const id = outcome.sourceId;
      if (id !== undefined && seen.has(id)) {
        const message = `line ${ev.row.line} repeats an id already given earlier in this extract; which row is right cannot be decided`;
        await rejectRow(ev.row.line, ev.dataset, ev.row.values, { code: 'duplicate-id', message, where: { line: ev.row.line } },
          { line: ev.row.line, localId: outcome.report.localId, status: 'rejected', errors: [{ code: 'duplicate-id', message }], warnings: [] });
        continue;
      }
      if (id !== undefined) seen.add(id);
      report.accepted++;
      if (outcome.report.status === 'warning') {
        report.withWarnings++;
        report.problems.push(outcome.report);
      }
      chunk.push({ line: ev.row.line, values: ev.row.values });
      if (chunk.length >= CSV_CHUNK_ROWS) await flush();
    }
  }
  await flush();

  if (feed.snapshot && report.dataset && !report.fileError) {
    const resourceType = DATASET_RESOURCE[report.dataset];
    const previous = await db.selectFrom('resources').select('source_id').where('feed_id', '=', feed.id).where('resource_type', '=', resourceType).where('deleted', '=', false).execute();
    const removal = snapshotRemovals(new Set(previous.map((p) => p.source_id)), seen, opts.maxRemovalShare);
    const held = removal.needsConfirmation && !opts.confirmRemovals;
    const end: StoredSnapshotEnd = { dataset: report.dataset, asOf, sourceIds: [...seen] };
    const stored = await storeInInbox(db, { feedId: feed.id, messageId: `csv:${hash}:end`, kind: 'csv-snapshot-end', content: JSON.stringify(end), units: 0, held }, now);
    report.stored ||= stored;
    report.snapshot = {
      removals: removal.remove.length, share: Math.round(removal.share * 1000) / 1000, held,
      ...(held ? { message: `this extract would remove ${removal.remove.length} records (${Math.round(removal.share * 100)}% of the feed), more than the ${Math.round(opts.maxRemovalShare * 100)}% allowed without confirmation; its rows were stored, the removals are held: send it again with confirmation, or release them with ohc feeds confirm-removals` } : {}),
    };
  }
  if (report.rejected > 0) await transaction(db, (trx) => bumpFeedCounters(trx, feed.id, { rejected: report.rejected }, null));
  return report;
}
