/**
 * Reading the audit log: by person, actor, organisation, action and time, in pages keyed by seq
 * (for `GET /fhir/AuditEvent` and `ohc audit query`), and the person's own "who viewed my record".
 * Scoping to an IG officer's own organisation is the caller's decision, expressed here as
 * `organisationOds` (the acting organisation of the events).
 */
import type { Kysely } from 'kysely';
import { normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { Tables } from '../store/tables.ts';
import { isAuditAction, whoViewed, type AuditAction, type AuditEvent, type WhoViewedEntry, type WhoViewedOptions } from './chain/index.ts';
import { EVENT_COLUMNS, eventFromRow } from './rows.ts';

export interface AuditQuery {
  /** One person, or several (e.g. a person and those merged into them). */
  personId?: string | readonly string[];
  actorId?: string;
  /** ODS code of the organisation the actor acted for. */
  organisationOds?: string;
  actions?: readonly AuditAction[];
  /** Inclusive. */
  from?: Date | string;
  /** Exclusive. */
  to?: Date | string;
  /** Page size, 1 to 10000. */
  limit: number;
  /** The `next` of the previous page: continue after that seq. */
  after?: number;
  /** Default newest first. */
  order?: 'newest-first' | 'oldest-first';
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

export class AuditQueryError extends Error {
  readonly code = 'invalid-query';
  readonly where: string;
  constructor(message: string, where: string) {
    super(message);
    this.name = 'AuditQueryError';
    this.where = where;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function queryAudit(db: Kysely<Tables>, q: AuditQuery): Promise<AuditPage> {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 10_000) throw new AuditQueryError('limit must be a whole number from 1 to 10000', 'limit');
  if (q.after !== undefined && !Number.isSafeInteger(q.after)) throw new AuditQueryError('after must be a seq from a previous page', 'after');
  const persons = q.personId === undefined ? undefined : typeof q.personId === 'string' ? [q.personId] : [...q.personId];
  if (persons?.some((p) => !UUID.test(p))) throw new AuditQueryError('personId is not a UUID', 'personId');
  if (q.actions?.some((a) => !isAuditAction(a))) throw new AuditQueryError('actions holds an unknown action code', 'actions');
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  if (persons?.length === 0 || q.actions?.length === 0) return { events: [] };
  const newestFirst = (q.order ?? 'newest-first') === 'newest-first';

  let query = db.selectFrom('audit_events').select(EVENT_COLUMNS);
  if (persons) query = query.where('person_id', 'in', persons.map((p) => p.toLowerCase()));
  if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId);
  if (q.organisationOds !== undefined) query = query.where('actor_org', '=', q.organisationOds);
  if (q.actions) query = query.where('action', 'in', [...q.actions]);
  if (from) query = query.where('time', '>=', from);
  if (to) query = query.where('time', '<', to);
  if (q.after !== undefined) query = query.where('seq', newestFirst ? '<' : '>', q.after);
  // One more than asked says whether there is a next page without a count.
  const rows = await query.orderBy('seq', newestFirst ? 'desc' : 'asc').limit(q.limit + 1).execute();
  const events = rows.slice(0, q.limit).map(eventFromRow);
  const last = events[events.length - 1];
  return rows.length > q.limit && last ? { events, next: last.seq } : { events };
}

function instant(x: Date | string | undefined, where: string): Date | undefined {
  if (x === undefined) return undefined;
  const d = x instanceof Date ? x : new Date(x);
  if (Number.isNaN(d.getTime())) throw new AuditQueryError(`${where} is not a date or time`, where);
  return d;
}

/** Every person whose source records carry this NHS number (several until the index merges them). */
export async function personIdsForNhsNumber(db: Kysely<Tables>, nhsNumber: string): Promise<string[]> {
  const digits = normaliseNhsNumber(nhsNumber);
  if (digits === null) throw new AuditQueryError('the NHS number is not 10 digits', 'nhsNumber');
  const rows = await db.selectFrom('source_records').select('person_id').distinct().where('nhs_number', '=', digits).execute();
  return rows.map((r) => r.person_id);
}

// The acts "who viewed my record" lists (whoViewedEntry decides; this only narrows the read).
const USES_OF_A_RECORD: AuditAction[] = ['view', 'search', 'export', 'access-override', 'declare-relationship', 'audit-viewed'];

export interface WhoViewedQueryOptions extends WhoViewedOptions {
  /** Most recent uses to return (default 500). */
  limit?: number;
  from?: Date | string;
}

/**
 * The uses of a person's record by professionals, newest first: organisation, role, time and
 * purpose; staff names only when `showStaffNames` is set and `staffName` supplied.
 */
export async function whoViewedMyRecord(db: Kysely<Tables>, personId: string | readonly string[], options: WhoViewedQueryOptions = {}): Promise<WhoViewedEntry[]> {
  const ids = typeof personId === 'string' ? [personId] : [...personId];
  if (ids.some((p) => !UUID.test(p))) throw new AuditQueryError('personId is not a UUID', 'personId');
  if (ids.length === 0) return [];
  const limit = options.limit ?? 500;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new AuditQueryError('limit must be a whole number from 1 to 10000', 'limit');
  const from = instant(options.from, 'from');
  let query = db
    .selectFrom('audit_events')
    .select(EVENT_COLUMNS)
    .where('person_id', 'in', ids.map((p) => p.toLowerCase()))
    .where('actor_kind', '=', 'user')
    .where('outcome', '=', 'success')
    .where('action', 'in', USES_OF_A_RECORD)
    .where((eb) => eb.or([eb('purpose', 'is', null), eb('purpose', '!=', 'person-access')]));
  if (from) query = query.where('time', '>=', from);
  const rows = await query.orderBy('seq', 'desc').limit(limit).execute();
  const events = rows.map(eventFromRow);
  // Uses of merged-in ids are uses of the person's record: counted under the first id.
  const primary = (ids[0] as string).toLowerCase();
  return whoViewed(events.map((e) => (e.personId === primary ? e : { ...e, personId: primary })), primary, options);
}
