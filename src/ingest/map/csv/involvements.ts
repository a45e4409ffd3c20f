/**
 * An `involvements` row → a FHIR EpisodeOfCare: a social care or continuing healthcare service's
 * involvement with the person, managed by the feed's organisation. Unlike demographics, a bad
 * date or status here rejects the row: episodes decide who has a legitimate relationship, so a
 * guessed period or status could grant or withhold access.
 */
import type { EpisodeOfCare } from 'fhir/r4';
import type { CsvRow } from '../../../formats/csv/index.ts';
import { checkCalendarDate } from './values.ts';
import { ODS_ORGANIZATION_SYSTEM, UKCORE_EPISODE_OF_CARE_PROFILE, involvementIdSystem, localIdSystem } from './identifiers.ts';
import { missingValue, rejectedRow, type CsvMapContext, type CsvRowIssue, type CsvRowOutcome } from './report.ts';

const STATUS: Record<string, EpisodeOfCare['status']> = { open: 'active', closed: 'finished' };

export function mapInvolvementRow(row: CsvRow, ctx: CsvMapContext): CsvRowOutcome {
  const v = (column: string): string => (row.values[column] ?? '').trim();
  const errors: CsvRowIssue[] = [];
  const localId = v('local_id');
  const involvementId = v('involvement_id');
  const service = v('service');
  const status = v('status');
  for (const [column, value] of [
    ['local_id', localId],
    ['involvement_id', involvementId],
    ['service', service],
    ['status', status],
  ] as const) {
    if (value === '') errors.push(missingValue(column, row.line));
  }
  if (status !== '' && !(status in STATUS)) {
    errors.push({ code: 'invalid-value', message: `status on line ${row.line} must be open or closed`, column: 'status' });
  }
  const dates: { start_date?: string; end_date?: string } = {};
  for (const column of ['start_date', 'end_date'] as const) {
    const raw = v(column);
    if (raw === '') continue;
    const checked = checkCalendarDate(raw);
    if (checked.ok) dates[column] = checked.value;
    else errors.push({ code: 'invalid-date', message: `${column} on line ${row.line} ${checked.reason}`, column });
  }
  if (dates.start_date && dates.end_date && dates.end_date < dates.start_date) {
    errors.push({ code: 'invalid-period', message: `end_date on line ${row.line} is before start_date`, column: 'end_date' });
  }
  if (errors.length > 0) {
    return rejectedRow('involvements', row.line, errors, localId || undefined, involvementId || undefined);
  }

  const team = v('team');
  const workerRole = v('worker_role');
  const episode: EpisodeOfCare = {
    resourceType: 'EpisodeOfCare',
    meta: { profile: [UKCORE_EPISODE_OF_CARE_PROFILE] },
    identifier: [{ system: involvementIdSystem(ctx.feedId), value: involvementId }],
    status: STATUS[status] as EpisodeOfCare['status'],
    type: [{ text: service }],
    patient: { identifier: { system: localIdSystem(ctx.feedId), value: localId } },
    managingOrganization: { identifier: { system: ODS_ORGANIZATION_SYSTEM, value: ctx.odsCode } },
    ...(dates.start_date || dates.end_date
      ? { period: { ...(dates.start_date ? { start: dates.start_date } : {}), ...(dates.end_date ? { end: dates.end_date } : {}) } }
      : {}),
    ...(workerRole !== '' ? { careManager: { display: workerRole } } : {}),
    ...(team !== '' ? { team: [{ display: team }] } : {}),
  };

  return {
    dataset: 'involvements',
    line: row.line,
    sourceId: involvementId,
    result: {
      ok: true,
      actions: [
        {
          kind: 'upsert',
          resource: episode,
          resourceType: 'EpisodeOfCare',
          sourceId: involvementId,
          sourceVersion: ctx.asOf,
          subjectLocalId: localId,
        },
      ],
    },
    report: { line: row.line, localId, status: 'accepted', errors: [], warnings: [] },
  };
}
