/**
 * How an audit event sits in audit_events and comes back out. The read-back must equal what was
 * hashed, byte for byte in canonical form: absent optionals are SQL NULL and absent again on the
 * way out, times are millisecond ISO strings, person ids lower-case UUIDs (the uuid column would
 * lower-case them anyway, so they are lower-cased before hashing).
 */
import { sql, type RawBuilder } from 'kysely';
import { auditEventFromStored, canonicalJson, type AuditEvent, type JsonObject } from './chain/index.ts';

/** The columns selected wherever events are read. */
export const EVENT_COLUMNS = [
  'seq', 'time', 'actor_kind', 'actor_id', 'actor_org', 'actor_role', 'action',
  'person_id', 'purpose', 'outcome', 'details', 'prev_hash', 'hash',
] as const;

export interface StoredEventRow {
  seq: number | string;
  time: Date | string;
  actor_kind: string;
  actor_id: string;
  actor_org: string | null;
  actor_role: string | null;
  action: string;
  person_id: string | null;
  purpose: string | null;
  outcome: string;
  details: unknown;
  prev_hash: string;
  hash: string;
}

export function eventFromRow(row: StoredEventRow): AuditEvent {
  return auditEventFromStored({
    seq: row.seq,
    time: row.time instanceof Date ? row.time.toISOString() : row.time.length === 24 ? row.time : new Date(row.time).toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, organisationOds: row.actor_org, role: row.actor_role },
    action: row.action,
    personId: row.person_id,
    purpose: row.purpose,
    outcome: row.outcome,
    // A jsonb column always parses to JSON; what it holds is checked by the hash, not here.
    details: row.details as JsonObject,
    prevHash: row.prev_hash,
    hash: row.hash,
  });
}

/**
 * `time` formatted by the database as the hashed form (UTC, milliseconds): the driver's Date
 * parsing is the costliest part of reading a row, and the verifier reads every row.
 */
export const TIME_AS_ISO = `to_char("time" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The statement inserting events into `table` (audit_events, or the benchmark's copy of it): one
 * parameter, a JSON array of rowJson objects, expanded by json_to_recordset. One text parameter
 * costs the driver far less than thirteen arrays (unnest) or thousands of scalars (multi-row
 * VALUES); json, not jsonb, because the server then scans the text once as it builds the rows
 * instead of first building a jsonb document and taking it apart again.
 */
export function insertEventsSql(table: string, events: readonly AuditEvent[]): RawBuilder<unknown> {
  const json = `[${events.map(rowJson).join(',')}]`;
  return sql`insert into ${sql.table(table)} (${sql.raw(INSERT_COLUMNS)}) select ${sql.raw(INSERT_COLUMNS)} from json_to_recordset(${json}::json) as x(${sql.raw(RECORDSET_COLUMNS)})`;
}

/** One element of the JSON array the append statement expands with json_to_recordset. */
export function rowJson(e: AuditEvent): string {
  return JSON.stringify({
    seq: e.seq,
    time: e.time,
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    actor_org: e.actor.organisationOds ?? null,
    actor_role: e.actor.role ?? null,
    action: e.action,
    person_id: e.personId ?? null,
    purpose: e.purpose ?? null,
    outcome: e.outcome,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  });
}

/** The column list of json_to_recordset for rowJson's objects. */
export const RECORDSET_COLUMNS =
  'seq bigint, "time" timestamptz, actor_kind text, actor_id text, actor_org text, actor_role text, action text, ' +
  'person_id uuid, purpose text, outcome text, details jsonb, prev_hash text, hash text';

export const INSERT_COLUMNS = 'seq, "time", actor_kind, actor_id, actor_org, actor_role, action, person_id, purpose, outcome, details, prev_hash, hash';

/**
 * The canonical form of a stored event without `hash` (see chain/canonical.ts), serialised by the
 * database around its details: HEAD, U+0001, TAIL, so that HEAD + canonicalJson(details) + TAIL is
 * the text (canonicalFromStored). Every member but details is a string, a UUID, a bigint or the
 * time, which the database can write in canonical form itself (to_json quotes text exactly as
 * JSON.stringify does); details, free-form JSON, is left to the one canonicaliser. The verifier
 * hashes this instead of rebuilding each event object: the text must equal what the writer
 * hashed for the hash to match, so a match vouches for the event whoever serialised it, and any
 * mismatch is judged again on the full event. Keys in canonical order: action, actor {id, kind,
 * organisationOds, role}, details, outcome, personId, prevHash, purpose, seq, time; absent (NULL)
 * optionals left out (concat skips NULLs). One column and one concat(): each further column costs
 * the driver a string and each || the server a copy. U+0001 can separate the two halves because
 * neither can hold it raw (to_json escapes every control character).
 */
const CANONICAL_HEAD =
  `'{"action":', to_json(action), ',"actor":{"id":', to_json(actor_id), ',"kind":', to_json(actor_kind),` +
  ` ',"organisationOds":' || to_json(actor_org)::text, ',"role":' || to_json(actor_role)::text, '},"details":'`;

const CANONICAL_TAIL =
  `',"outcome":', to_json(outcome), ',"personId":"' || person_id::text || '"', ',"prevHash":', to_json(prev_hash),` +
  ` ',"purpose":' || to_json(purpose)::text, ',"seq":', seq, ',"time":"', ${TIME_AS_ISO}, '"}'`;

export const CANONICAL_AROUND_DETAILS_SQL = `concat(${CANONICAL_HEAD}, chr(1), ${CANONICAL_TAIL})`;

/** The canonical text of a stored event from CANONICAL_AROUND_DETAILS_SQL and its details. Throws CanonicalJsonError for details that are not plain JSON. */
export function canonicalFromStored(around: string, details: unknown): string {
  const at = around.indexOf('\u0001');
  if (at < 0) throw new Error('not the canonical text around details');
  return around.slice(0, at) + canonicalJson(details) + around.slice(at + 1);
}
