/**
 * How an audit event sits in audit_events and comes back out. The read-back must equal what was
 * hashed, byte for byte in canonical form: absent optionals are SQL NULL and absent again on the
 * way out, times are millisecond ISO strings, person ids lower-case UUIDs (the uuid column would
 * lower-case them anyway, so they are lower-cased before hashing).
 */
import { auditEventFromStored, type AuditEvent, type JsonObject } from './chain/index.ts';

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

/** One element of the JSON array the append statement expands with jsonb_to_recordset. */
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

/** The column list of jsonb_to_recordset for rowJson's objects. */
export const RECORDSET_COLUMNS =
  'seq bigint, "time" timestamptz, actor_kind text, actor_id text, actor_org text, actor_role text, action text, ' +
  'person_id uuid, purpose text, outcome text, details jsonb, prev_hash text, hash text';

export const INSERT_COLUMNS = 'seq, "time", actor_kind, actor_id, actor_org, actor_role, action, person_id, purpose, outcome, details, prev_hash, hash';
