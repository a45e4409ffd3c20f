/**
 * The audit event model: what one entry of the audit log says (who, did what, to whom, why, with
 * what result) and the chain fields that make the log tamper-evident (`seq`, `prevHash`, `hash`).
 * Also the shape checks a writer applies to a draft before chaining it. Pure data: no I/O.
 */

/** Closed set: a new kind of audited act is a code change, reviewed, never free text. */
export const AUDIT_ACTIONS = [
  'sign-in',
  'sign-in-failed',
  'sign-out',
  'token-issued',
  'search',
  'view',
  'export',
  'declare-relationship',
  'access-override',
  'access-denied',
  'objection-recorded',
  'objection-withdrawn',
  'restriction-changed',
  'rights-case-changed',
  'alert-raised',
  'alert-concluded',
  'user-changed',
  'feed-changed',
  'organisation-changed',
  'mpi-link-changed',
  'dead-letter-replayed',
  'audit-viewed',
  'statistics-viewed',
  'audit-purged',
  'checkpoint',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Why the actor acted. Closed so each maps to a v3 PurposeOfUse code in the FHIR export and to
 * plain words in "who viewed my record".
 */
export const AUDIT_PURPOSES = [
  'direct-care',
  'emergency-care',
  'administration',
  'information-governance',
  'rights-request',
  'person-access',
] as const;
export type AuditPurpose = (typeof AUDIT_PURPOSES)[number];

export const ACTOR_KINDS = ['user', 'feed', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface AuditActor {
  kind: ActorKind;
  /** User id, feed id, or the name of the system job. Never a display name: names are looked up. */
  id: string;
  /** ODS code of the organisation the actor acted for. */
  organisationOds?: string;
  /** The role the user acted in (e.g. `clinician`, `pals-officer`). */
  role?: string;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * What a writer supplies; the chain adds `seq`, `prevHash` and `hash`.
 * Conventional `details` keys: `resources` (array of `Type/id` references viewed or exported),
 * `reason` (free text the actor gave), `terms` (search terms as an object).
 */
export interface AuditEventDraft {
  /** ISO 8601 UTC with milliseconds: `2025-01-31T09:15:00.000Z`. */
  time: string;
  actor: AuditActor;
  action: AuditAction;
  /** The person (combined record) the act concerned. */
  personId?: string;
  purpose?: AuditPurpose;
  outcome: AuditOutcome;
  details: JsonObject;
}

export interface AuditEvent extends AuditEventDraft {
  /** Gapless, starting at 1. Stored as bigint; safe as a number up to 2^53. */
  seq: number;
  /** `hash` of the event before; 64 zeros for seq 1. */
  prevHash: string;
  /** Lower-case hex SHA-256 of the canonical event without `hash`. */
  hash: string;
}

/** Where a chain stands: the last event's seq and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
/** The head before the first event: the next event is seq 1 with prevHash of 64 zeros. */
export const GENESIS_HEAD: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

export interface AuditEventProblem {
  code: 'invalid-time' | 'invalid-actor' | 'invalid-action' | 'invalid-outcome' | 'invalid-purpose' | 'invalid-person' | 'invalid-details';
  /** Names the field, never its value (values may be personal data). */
  message: string;
  where: string;
}

const ISO_UTC_MS = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;

const actionSet: ReadonlySet<string> = new Set(AUDIT_ACTIONS);
const outcomeSet: ReadonlySet<string> = new Set(AUDIT_OUTCOMES);
const purposeSet: ReadonlySet<string> = new Set(AUDIT_PURPOSES);
const actorKindSet: ReadonlySet<string> = new Set(ACTOR_KINDS);

export function isAuditAction(x: unknown): x is AuditAction {
  return typeof x === 'string' && actionSet.has(x);
}

/** True for `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real calendar instant. */
export function isIsoUtcMillis(x: unknown): x is string {
  if (typeof x !== 'string' || !ISO_UTC_MS.test(x)) return false;
  // The pattern bounds every field but the day by the month (31 February): checked by arithmetic,
  // not a Date round trip, which cost a tenth of chaining an event.
  const year = Number(x.slice(0, 4));
  const month = Number(x.slice(5, 7));
  const day = Number(x.slice(8, 10));
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isHex64(x: unknown): x is string {
  return typeof x === 'string' && HEX64.test(x);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function nonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

/** Problems with a draft before it is chained; an empty list means it may be appended. */
export function auditEventDraftProblems(draft: unknown): AuditEventProblem[] {
  const problems: AuditEventProblem[] = [];
  if (!isPlainObject(draft)) {
    return [{ code: 'invalid-details', message: 'the audit event is not an object', where: '' }];
  }
  if (!isIsoUtcMillis(draft.time)) {
    problems.push({ code: 'invalid-time', message: 'time is not an ISO 8601 UTC instant with milliseconds', where: 'time' });
  }
  const actor = draft.actor;
  if (!isPlainObject(actor)) {
    problems.push({ code: 'invalid-actor', message: 'actor is missing', where: 'actor' });
  } else {
    if (!actorKindSet.has(actor.kind as string)) {
      problems.push({ code: 'invalid-actor', message: 'actor.kind is not user, feed or system', where: 'actor.kind' });
    }
    if (!nonEmptyString(actor.id)) problems.push({ code: 'invalid-actor', message: 'actor.id is missing', where: 'actor.id' });
    if (actor.organisationOds !== undefined && !nonEmptyString(actor.organisationOds)) {
      problems.push({ code: 'invalid-actor', message: 'actor.organisationOds is empty or not text', where: 'actor.organisationOds' });
    }
    if (actor.role !== undefined && !nonEmptyString(actor.role)) {
      problems.push({ code: 'invalid-actor', message: 'actor.role is empty or not text', where: 'actor.role' });
    }
  }
  if (!isAuditAction(draft.action)) {
    problems.push({ code: 'invalid-action', message: 'action is not one of the audit action codes', where: 'action' });
  }
  if (!outcomeSet.has(draft.outcome as string)) {
    problems.push({ code: 'invalid-outcome', message: 'outcome is not success, denied or failure', where: 'outcome' });
  }
  if (draft.purpose !== undefined && !purposeSet.has(draft.purpose as string)) {
    problems.push({ code: 'invalid-purpose', message: 'purpose is not one of the audit purposes', where: 'purpose' });
  }
  if (draft.personId !== undefined && !nonEmptyString(draft.personId)) {
    problems.push({ code: 'invalid-person', message: 'personId is empty or not text', where: 'personId' });
  }
  if (!isPlainObject(draft.details)) {
    problems.push({ code: 'invalid-details', message: 'details is not a JSON object', where: 'details' });
  }
  return problems;
}

/**
 * An event as read back from storage, made identical to what was hashed: SQL NULL in an optional
 * column becomes an absent field (a null would hash differently from an absent one), and a bigint
 * or numeric-string seq becomes a number. Nothing else is touched, so real tampering still shows.
 */
export function auditEventFromStored(row: {
  seq: number | bigint | string;
  time: string;
  actor: { kind: string; id: string; organisationOds?: string | null; role?: string | null };
  action: string;
  personId?: string | null;
  purpose?: string | null;
  outcome: string;
  details: JsonObject;
  prevHash: string;
  hash: string;
}): AuditEvent {
  // Built in canonical key order (see chainNext) so verifying it skips the key sort.
  const actor: Record<string, unknown> = { id: row.actor.id, kind: row.actor.kind };
  if (row.actor.organisationOds != null) actor.organisationOds = row.actor.organisationOds;
  if (row.actor.role != null) actor.role = row.actor.role;
  const event: Record<string, unknown> = { action: row.action, actor, details: row.details, hash: row.hash, outcome: row.outcome };
  if (row.personId != null) event.personId = row.personId;
  event.prevHash = row.prevHash;
  if (row.purpose != null) event.purpose = row.purpose;
  event.seq = typeof row.seq === 'number' ? row.seq : Number(row.seq);
  event.time = row.time;
  return event as unknown as AuditEvent;
}
