import { describe, it, expect } from 'vitest';
import { CSV_DATASETS } from '../../../formats/csv/index.ts';
import { mapCsvExtract, type CsvExtractEvent } from './extract.ts';
import type { CsvMapContext } from './report.ts';

const ctx: CsvMapContext = { feedId: 'sc', odsCode: 'X1', asOf: '2024-06-01T00:00:00Z', now: new Date('2024-06-01T00:00:00Z') };

async function collect(text: string): Promise<CsvExtractEvent[]> {
  const out: CsvExtractEvent[] = [];
  for await (const e of mapCsvExtract(text, ctx)) out.push(e);
  return out;
}

describe('mapCsvExtract', () => {
  it('answers every row: accepted, warning, rejected (bad row, short row, duplicate id)', async () => {
    const text = [
      CSV_DATASETS.persons.join(','),
      'P1,9434765919,Smith,Jo,1970-01-01,female,1 Road,,Stoke,ST4 7LP,01782123456',
      'P2,,Jones,Al,2023-02-30,male,,,,,',
      ',,Nobody,,,,,,,,',
      'P3,,',
      'P1,,Smith,Jo,,,,,,,',
    ].join('\n');
    const events = await collect(text);
    expect(events[0]).toEqual({ kind: 'header', dataset: 'persons', line: 1 });
    const reports = events.flatMap((e) => (e.kind === 'row' ? [e.outcome.report] : []));
    expect(reports.map((r) => [r.line, r.status, r.errors[0]?.code ?? r.warnings[0]?.code ?? null])).toEqual([
      [2, 'accepted', null],
      [3, 'warning', 'impossible-date'],
      [4, 'rejected', 'required-field-missing'],
      [5, 'rejected', 'wrong-field-count'],
      [6, 'rejected', 'duplicate-row'],
    ]);
    // The duplicate keeps its id, so a snapshot never removes a record whose row was merely refused.
    const ids = events.flatMap((e) => (e.kind === 'row' && e.outcome.sourceId ? [e.outcome.sourceId] : []));
    expect(ids).toEqual(['P1', 'P2', 'P1']);
  });

  it('maps an involvements extract', async () => {
    const text = `${CSV_DATASETS.involvements.join(',')}\nP1,I1,adult-social-care,Team A,social worker,2024-01-01,,open\n`;
    const events = await collect(text);
    const row = events[1];
    const action = row?.kind === 'row' && row.outcome.result.ok ? row.outcome.result.actions[0] : undefined;
    expect(action && action.kind !== 'merge' ? action.resourceType : undefined).toBe('EpisodeOfCare');
  });

  it.each([
    ['an unknown column', `${CSV_DATASETS.persons.join(',')},email\n`, 'unknown-column', { line: 1, column: 'email' }],
    ['broken quoting', `${CSV_DATASETS.persons.join(',')}\nP1,"9434765919,,,,,,,,,\n`, 'malformed-quoting', { line: 2, column: 'nhs_number' }],
  ])('ends with a file error for %s', async (_name, text, code, where) => {
    const events = await collect(text);
    expect(events.at(-1)).toEqual({ kind: 'file-error', error: { code, message: expect.any(String) as string, where } });
  });
});
