/**
 * A whole CSV extract mapped row by row: the reader's events become row outcomes (actions and a
 * report line each) or one file error. Rows stay independent — one bad row never stops the rest —
 * except that a second row with the same id in one extract is refused, since "which one wins"
 * would otherwise depend on row order.
 */
import { readCsvExtract, type CsvDatasetName, type CsvProblem, type CsvRow, type CsvSource } from '../../../formats/csv/index.ts';
import type { IngestError } from '../../sourceAction.ts';
import { mapInvolvementRow } from './involvements.ts';
import { mapPersonRow } from './persons.ts';
import { rejectedRow, type CsvMapContext, type CsvRowOutcome } from './report.ts';

export type CsvExtractEvent =
  | { kind: 'header'; dataset: CsvDatasetName; line: number }
  | { kind: 'row'; outcome: CsvRowOutcome }
  /** Terminal: the file as a whole is refused (header, quoting); rows before it were already yielded. */
  | { kind: 'file-error'; error: IngestError };

const ID_COLUMN: Record<CsvDatasetName, string> = { persons: 'local_id', involvements: 'involvement_id' };

/** One row of a known dataset → its outcome. */
export function mapCsvRow(dataset: CsvDatasetName, row: CsvRow, ctx: CsvMapContext): CsvRowOutcome {
  return dataset === 'persons' ? mapPersonRow(row, ctx) : mapInvolvementRow(row, ctx);
}

export async function* mapCsvExtract(source: CsvSource, ctx: CsvMapContext): AsyncGenerator<CsvExtractEvent> {
  const seen = new Set<string>();
  for await (const event of readCsvExtract(source)) {
    if (event.kind === 'header') {
      yield { kind: 'header', dataset: event.dataset, line: event.line };
    } else if (event.kind === 'file-problem') {
      yield { kind: 'file-error', error: problemToError(event.problem) };
      return;
    } else if (event.kind === 'row-problem') {
      const { code, message, column } = event.problem;
      yield { kind: 'row', outcome: rejectedRow(event.dataset, event.line, [{ code, message, column }]) };
    } else {
      const outcome = mapCsvRow(event.dataset, event.row, ctx);
      const id = outcome.sourceId;
      if (id !== undefined && seen.has(id)) {
        const column = ID_COLUMN[event.dataset];
        yield {
          kind: 'row',
          outcome: rejectedRow(
            event.dataset,
            event.row.line,
            [{ code: 'duplicate-row', message: `${column} on line ${event.row.line} repeats an earlier row of this extract`, column }],
            outcome.report.localId,
            id,
          ),
        };
        continue;
      }
      if (id !== undefined) seen.add(id);
      yield { kind: 'row', outcome };
    }
  }
}

/** A reader problem as the ingest error contract (line, and column when there is one). */
export function problemToError(problem: CsvProblem): IngestError {
  return {
    code: problem.code,
    message: problem.message,
    where: problem.column !== undefined ? { line: problem.line, column: problem.column } : { line: problem.line },
  };
}
