/**
 * Reading the audit log: by person, actor, organisation, action and time, in pages keyed by seq
 * (for `GET /fhir/AuditEvent` and `ohc audit query`; listAudit for screens, without the bulk of
 * details), and the person's own "who viewed my record", whole or a page at a time. A read by
 * person or actor walks that person's or actor's index entries in seq order and stops after its
 * page, so its cost follows the page, not the size of the log (acrossPersons handles the one case
 * the planner gets wrong). A filter no index covers (an organisation, on top of a person or actor)
 * skips that person's or actor's other events on the way.
 * Scoping to an IG officer's own organisation is the caller's decision, expressed here as
 * `organisationOds` (the acting organisation of the events).
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { Tables } from '../store/tables.ts';
import { isAuditAction, whoViewed, type AuditAction, type AuditActor, type AuditEvent, type AuditEventDraft, type AuditOutcome, type AuditPurpose, type JsonObject, type WhoViewedEntry, type WhoViewedOptions } from './chain/index.ts';
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
  const where = checkQuery(q);
  if (!where) return { events: [] };
  const rows = await acrossPersons(where, q.limit, (w) => filtered(db.selectFrom('audit_events').select(EVENT_COLUMNS), w).limit(q.limit + 1).execute());
  const { items, next } = pageOf(rows.map(eventFromRow), q.limit);
  return next === undefined ? { events: items } : { events: items, next };
}

/** An event as a listing shows it: no hashes, and only the members of details asked for. */
export type AuditListing = AuditEventDraft & {
  seq: number;
  /** Only the `detailKeys` the event has. */
  details: JsonObject;
};

export interface AuditListingPage {
  entries: AuditListing[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: number;
}

/**
 * queryAudit for screens: the same filters and paging, but only the named members of each event's
 * details are read. Details can be large (a record view lists every resource it showed) and a
 * listing shows a few short members: reading them whole would make a page's cost grow with the
 * size of the records viewed rather than with the page. The entries are not hash-verifiable.
 */
export async function listAudit(db: Kysely<Tables>, q: AuditQuery & { detailKeys: readonly string[] }): Promise<AuditListingPage> {
  const where = checkQuery(q);
  if (!where) return { entries: [] };
  const keys = [...new Set(q.detailKeys)];
  const details = keys.length === 0 ? sql<JsonObject>`'{}'::jsonb`
    : sql<JsonObject>`(select coalesce(jsonb_object_agg(d.key, d.value), '{}'::jsonb) from jsonb_each(details) d where d.key in (${sql.join(keys)}))`;
  const rows = await acrossPersons(where, q.limit, (w) => filtered(db.selectFrom('audit_events').select([...LISTING_COLUMNS, details.as('details')]), w).limit(q.limit + 1).execute());
  const { items, next } = pageOf(rows.map((r): AuditListing => ({ ...listingOf(r), details: r.details })), q.limit);
  return next === undefined ? { entries: items } : { entries: items, next };
}

// Every column but details and the hashes: what a listing or "who viewed" reads of an event.
const LISTING_COLUMNS = ['seq', 'time', 'actor_kind', 'actor_id', 'actor_org', 'actor_role', 'action', 'person_id', 'purpose', 'outcome'] as const;

interface ListingRow {
  seq: number | string; time: Date | string; actor_kind: string; actor_id: string; actor_org: string | null; actor_role: string | null;
  action: string; person_id: string | null; purpose: string | null; outcome: string;
}

function listingOf(r: ListingRow): Omit<AuditListing, 'details'> {
  const actor = { kind: r.actor_kind, id: r.actor_id, ...(r.actor_org !== null ? { organisationOds: r.actor_org } : {}), ...(r.actor_role !== null ? { role: r.actor_role } : {}) } as AuditActor;
  return {
    seq: Number(r.seq), time: r.time instanceof Date ? r.time.toISOString() : new Date(r.time).toISOString(), actor, action: r.action as AuditAction,
    ...(r.person_id !== null ? { personId: r.person_id } : {}), ...(r.purpose !== null ? { purpose: r.purpose as AuditPurpose } : {}), outcome: r.outcome as AuditOutcome,
  };
}

interface CheckedQuery {
  persons?: string[]; actorId?: string; organisationOds?: string; actions?: AuditAction[]; from?: Date; to?: Date; after?: number; newestFirst: boolean;
}

/** The query's filters, checked; null when they can match nothing. */
function checkQuery(q: AuditQuery): CheckedQuery | null {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 10_000) throw new AuditQueryError('limit must be a whole number from 1 to 10000', 'limit');
  if (q.after !== undefined && !Number.isSafeInteger(q.after)) throw new AuditQueryError('after must be a seq from a previous page', 'after');
  const persons = q.personId === undefined ? undefined : typeof q.personId === 'string' ? [q.personId] : [...q.personId];
  if (persons?.some((p) => !UUID.test(p))) throw new AuditQueryError('personId is not a UUID', 'personId');
  if (q.actions?.some((a) => !isAuditAction(a))) throw new AuditQueryError('actions holds an unknown action code', 'actions');
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  if (persons?.length === 0 || q.actions?.length === 0) return null;
  return {
    ...(persons ? { persons: [...new Set(persons.map((p) => p.toLowerCase()))] } : {}),
    ...(q.actorId !== undefined ? { actorId: q.actorId } : {}),
    ...(q.organisationOds !== undefined ? { organisationOds: q.organisationOds } : {}),
    ...(q.actions ? { actions: [...q.actions] } : {}),
    ...(from ? { from } : {}), ...(to ? { to } : {}), ...(q.after !== undefined ? { after: q.after } : {}),
    newestFirst: (q.order ?? 'newest-first') === 'newest-first',
  };
}

/** The filters, the cursor and the order by seq on a select from audit_events (the caller sets the limit). */
function filtered<O>(query: SelectQueryBuilder<Tables, 'audit_events', O>, w: CheckedQuery): SelectQueryBuilder<Tables, 'audit_events', O> {
  let q = query;
  if (w.persons) q = q.where('person_id', 'in', w.persons);
  if (w.actorId !== undefined) q = q.where('actor_id', '=', w.actorId);
  if (w.organisationOds !== undefined) q = q.where('actor_org', '=', w.organisationOds);
  if (w.actions) q = q.where('action', 'in', w.actions);
  if (w.from) q = q.where('time', '>=', w.from);
  if (w.to) q = q.where('time', '<', w.to);
  if (w.after !== undefined) q = q.where('seq', w.newestFirst ? '<' : '>', w.after);
  return q.orderBy('seq', w.newestFirst ? 'desc' : 'asc');
}

/**
 * The rows of a page (limit + 1) for the query's persons. With several (a person and the ids merged
 * into them), one read per person, merged by seq: each walks its own stretch of the (person_id, seq)
 * index. Asked for all at once, the planner cannot get seq order from that index for an IN list and
 * walks the whole log by seq instead, which costs more the larger the log and the rarer the person.
 */
async function acrossPersons<R extends { seq: number | string }>(w: CheckedQuery, limit: number, read: (w: CheckedQuery) => Promise<R[]>): Promise<R[]> {
  if (!w.persons || w.persons.length < 2) return read(w);
  const all: R[] = [];
  // One after another: inside a transaction there is one connection (and PGlite has only one).
  for (const p of w.persons) all.push(...(await read({ ...w, persons: [p] })));
  const sign = w.newestFirst ? -1 : 1;
  return all.sort((a, b) => sign * (Number(a.seq) - Number(b.seq))).slice(0, limit + 1);
}

// Reads ask for one more row than the page: whether there is a next page, without a count.
function pageOf<T extends { seq: number }>(rows: T[], limit: number): { items: T[]; next?: number } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined ? { items, next: last.seq } : { items };
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
  return (await whoViewedPage(db, personId, { ...options, limit: options.limit ?? 500 })).entries;
}

export interface WhoViewedPageOptions extends WhoViewedOptions {
  /** Uses per page, 1 to 10000. */
  limit: number;
  /** The `next` of the previous page: uses before that seq. */
  before?: number;
  from?: Date | string;
  /** Only uses by staff acting for this organisation (an IG officer limited to their own). */
  organisationOds?: string;
}

export interface WhoViewedPage {
  entries: WhoViewedEntry[];
  /** Pass as `before` for the page of earlier uses; absent on the last page. */
  next?: number;
}

/**
 * "Who viewed my record" a page at a time, newest first: the `limit` most recent uses before
 * `before`. Each page reads about `limit` index entries of the person, whatever the size of the
 * log or the number of uses, and never the events' details (whoViewedEntry does not look at them;
 * a record view's details list every resource shown and would be most of the bytes read).
 */
export async function whoViewedPage(db: Kysely<Tables>, personId: string | readonly string[], options: WhoViewedPageOptions): Promise<WhoViewedPage> {
  const ids = typeof personId === 'string' ? [personId] : [...personId];
  if (ids.some((p) => !UUID.test(p))) throw new AuditQueryError('personId is not a UUID', 'personId');
  const limit = options.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new AuditQueryError('limit must be a whole number from 1 to 10000', 'limit');
  if (options.before !== undefined && !Number.isSafeInteger(options.before)) throw new AuditQueryError('before must be a seq from a previous page', 'before');
  if (ids.length === 0) return { entries: [] };
  const from = instant(options.from, 'from');
  const w: CheckedQuery = {
    persons: [...new Set(ids.map((p) => p.toLowerCase()))], newestFirst: true,
    ...(options.organisationOds !== undefined ? { organisationOds: options.organisationOds } : {}),
    ...(from ? { from } : {}), ...(options.before !== undefined ? { after: options.before } : {}),
  };
  const rows = await acrossPersons(w, limit, (one) => filtered(db
    .selectFrom('audit_events')
    .select(LISTING_COLUMNS)
    .where('actor_kind', '=', 'user')
    .where('outcome', '=', 'success')
    .where('action', 'in', USES_OF_A_RECORD)
    .where((eb) => eb.or([eb('purpose', 'is', null), eb('purpose', '!=', 'person-access')])), one).limit(limit + 1).execute());
  const { items, next } = pageOf(rows.map(listingOf), limit);
  // Uses of merged-in ids are uses of the person's record: counted under the first id.
  const primary = (ids[0] as string).toLowerCase();
  // whoViewed reads no details or hashes: those columns are not selected, so they are left empty.
  const entries = whoViewed(items.map((e): AuditEvent => ({ ...e, personId: primary, details: {}, prevHash: '', hash: '' })), primary, options);
  return next === undefined ? { entries } : { entries, next };
}
