/**
 * loadAccessFacts(): what decide() needs to know about a person, read from the stored record in one
 * statement (it runs on every read): whether they exist, whether their NHS number is on the
 * objection register, their restrictions, whether they have died, and the facts a legitimate
 * relationship is inferred from — GP registration with the user's practice, care at the user's
 * organisation, and the user's own declarations.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Tables } from '../store/tables.ts';
import {
  endOf, startOf, DEFAULT_DECLARATION_VALIDITY_HOURS, DECLARATION_REASONS,
  type DecisionPerson, type DeclarationReason, type DeclarationValidity, type DeclaredRelationship, type GpRegistration,
  type Involvement, type InvolvementKind, type PersonRestriction,
} from './policy/index.ts';

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/** The parts of a stored resource the relationship rules read (projected in SQL, not the whole resource). */
export interface FactRow {
  t: string;
  o: string;
  gp?: unknown;
  dec?: unknown;
  decd?: string | null;
  st?: string | null;
  p?: { start?: string; end?: string } | null;
  s?: string | null;
  e?: string | null;
  a?: string | null;
  op?: { start?: string; end?: string } | null;
  od?: string | null;
  c?: string | null;
  r: string;
}

export interface AccessFactsUser { readonly id: string; readonly organisation: { readonly ods: string; readonly kind: string } }

export const INVOLVEMENT_TYPES = ['Encounter', 'EpisodeOfCare', 'ServiceRequest', 'Appointment'] as const;

// Inpatient classes (v3 ActCode): anything else — emergency, ambulatory, virtual, home — is an encounter.
const INPATIENT_CLASSES = new Set(['IMP', 'ACUTE', 'NONAC', 'inpatient']);

type Status = NonNullable<Involvement['status']>;

const STATUS: Readonly<Record<string, Readonly<Record<string, Status>>>> = {
  Encounter: {
    'planned': 'planned', 'arrived': 'active', 'triaged': 'active', 'in-progress': 'active', 'onleave': 'active',
    'finished': 'finished', 'cancelled': 'cancelled', 'entered-in-error': 'entered-in-error',
  },
  EpisodeOfCare: {
    'planned': 'planned', 'waitlist': 'planned', 'active': 'active', 'onhold': 'active', 'finished': 'finished',
    'cancelled': 'cancelled', 'entered-in-error': 'entered-in-error',
  },
  ServiceRequest: {
    'draft': 'planned', 'active': 'active', 'on-hold': 'active', 'completed': 'finished', 'revoked': 'cancelled',
    'entered-in-error': 'entered-in-error',
  },
  Appointment: {
    'proposed': 'planned', 'pending': 'planned', 'booked': 'planned', 'waitlist': 'planned', 'arrived': 'active',
    'checked-in': 'active', 'fulfilled': 'finished', 'cancelled': 'cancelled', 'noshow': 'cancelled', 'entered-in-error': 'entered-in-error',
  },
};

function namesPractice(gp: unknown, ods: string): boolean {
  if (!Array.isArray(gp)) return false;
  return gp.some((ref) => {
    if (ref === null || typeof ref !== 'object') return false;
    const id = (ref as { identifier?: { system?: unknown; value?: unknown } }).identifier;
    return id?.system === ODS_SYSTEM && typeof id.value === 'string' && id.value.trim().toUpperCase() === ods;
  });
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function involvementOf(row: FactRow, orgKind: string): Involvement | null {
  const statuses = STATUS[row.t];
  if (!statuses) return null;
  let kind: InvolvementKind;
  let start: string | null;
  let end: string | null;
  switch (row.t) {
    case 'Encounter':
      kind = row.c && INPATIENT_CLASSES.has(row.c) ? 'admission' : 'encounter';
      start = str(row.p?.start); end = str(row.p?.end);
      break;
    case 'EpisodeOfCare':
      kind = orgKind === 'social-care' ? 'social-care-involvement' : 'episode';
      start = str(row.p?.start); end = str(row.p?.end);
      break;
    case 'ServiceRequest':
      kind = 'referral';
      start = str(row.op?.start) ?? str(row.od) ?? str(row.a); end = str(row.op?.end);
      break;
    default:
      kind = 'appointment';
      start = str(row.s); end = str(row.e);
  }
  // Care the source sent without dates is dated by its arrival: the source said it then.
  start ??= row.r;
  const status = row.st ? statuses[row.st] : undefined;
  return { kind, ods: row.o, start, ...(end ? { end } : {}), ...(status ? { status } : {}) };
}

/**
 * The GP registrations, involvements and death the rows show, for a user at organisation `ods` of kind `orgKind`.
 * Any current Patient record naming the practice counts: the practice's own, or a hospital's copy of it.
 */
export function factsFromRows(rows: readonly FactRow[], ods: string, orgKind: string): { gpRegistrations: GpRegistration[]; involvements: Involvement[]; deceased: boolean } {
  const gpRegistrations: GpRegistration[] = [];
  const involvements: Involvement[] = [];
  let deceased = false;
  for (const row of rows) {
    if (row.t === 'Patient') {
      if (row.dec === true || str(row.decd)) deceased = true;
      if (namesPractice(row.gp, ods) && gpRegistrations.length === 0) gpRegistrations.push({ ods });
      continue;
    }
    if (row.o !== ods) continue;
    const i = involvementOf(row, orgKind);
    if (i) involvements.push(i);
  }
  return { gpRegistrations, involvements, deceased };
}

/** The restriction in force at `now` from a person's unlifted restriction rows, or null. */
export function restrictionFrom(rows: readonly { scope: string; entry_id: string | null; valid_from: string; valid_to: string | null }[], now: Date): PersonRestriction | null {
  const t = now.getTime();
  let wholeRecord = false;
  const entryIds: string[] = [];
  for (const r of rows) {
    if (startOf(r.valid_from) > t || (r.valid_to && endOf(r.valid_to) < t)) continue;
    if (r.scope === 'whole-record') wholeRecord = true;
    else if (r.entry_id) entryIds.push(r.entry_id);
  }
  return wholeRecord || entryIds.length > 0 ? { wholeRecord, entryIds } : null;
}

/** The longest any declaration can last under these settings: older ones need not be loaded. */
export function longestDeclarationHours(validity: DeclarationValidity = {}): number {
  return Math.max(...DECLARATION_REASONS.map((r) => validity[r] ?? DEFAULT_DECLARATION_VALIDITY_HOURS[r]));
}

/** The one row of accessFactsQuery. */
export interface FactsQueryRow {
  present: boolean;
  opted_out: boolean;
  resources: FactRow[] | null;
  declarations: { reason: string; detail: string; declared_at: string; revoked_at: string | null }[] | null;
  restrictions: { scope: string; entry_id: string | null; valid_from: string; valid_to: string | null }[] | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isoOf(v: string): string {
  // json_agg renders timestamptz in the session's format; Date reads both engines' forms.
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/**
 * The statement loadAccessFacts runs, as a query of one row (FactsQueryRow), for a caller that
 * fetches the facts together with other rows in one round trip (src/record/load.ts). `personId`
 * is a UUID (accessFactsOf answers for any other id without asking the database), or an SQL
 * expression of type uuid (evaluated once; null names nobody).
 */
export function accessFactsQuery(
  personId: string | RawBuilder<unknown>, user: AccessFactsUser, now: Date, options: { declarationValidityHours?: DeclarationValidity } = {},
): RawBuilder<FactsQueryRow> {
  const person = typeof personId === 'string' ? sql`${personId}::uuid` : personId;
  const ods = user.organisation.ods;
  const since = new Date(now.getTime() - longestDeclarationHours(options.declarationValidityHours) * 3_600_000);
  return sql<FactsQueryRow>`
    select
      exists (select 1 from persons where id = ${person} and merged_into is null) as present,
      exists (select 1 from source_records sr join objections ob on ob.nhs_number = sr.nhs_number
              where sr.person_id = ${person} and sr.nhs_number is not null) as opted_out,
      (select json_agg(json_build_object(
          't', resource_type, 'o', source_org, 'r', received_at,
          'gp', resource -> 'generalPractitioner', 'dec', resource -> 'deceasedBoolean', 'decd', resource ->> 'deceasedDateTime',
          'st', resource ->> 'status', 'p', resource -> 'period', 's', resource ->> 'start', 'e', resource ->> 'end',
          'a', resource ->> 'authoredOn', 'op', resource -> 'occurrencePeriod', 'od', resource ->> 'occurrenceDateTime',
          'c', resource -> 'class' ->> 'code'))
         from resources
        where person_id = ${person} and not deleted
          and (resource_type = 'Patient'
               or (resource_type in ('Encounter', 'EpisodeOfCare', 'ServiceRequest', 'Appointment') and source_org = ${ods}))) as resources,
      (select json_agg(json_build_object('reason', reason, 'detail', detail, 'declared_at', declared_at, 'revoked_at', revoked_at))
         from relationship_declarations
        where person_id = ${person} and user_id = ${user.id}::uuid and organisation_ods = ${ods}
          and declared_at > ${since} and review_status <> 'revoked') as declarations,
      (select json_agg(json_build_object('scope', scope, 'entry_id', entry_id, 'valid_from', valid_from, 'valid_to', valid_to))
         from restrictions where person_id = ${person} and lifted_at is null) as restrictions`;
}

/** What decide() is told about the person, from the row of accessFactsQuery (undefined: no row). */
export function accessFactsOf(row: FactsQueryRow | undefined, user: AccessFactsUser, now: Date): DecisionPerson {
  if (!row?.present) return { exists: false, optedOut: false };
  const ods = user.organisation.ods;
  const facts = factsFromRows(row.resources ?? [], ods, user.organisation.kind);
  const declarations: DeclaredRelationship[] = (row.declarations ?? []).map((d) => ({
    userId: user.id, ods, reason: d.reason as DeclarationReason, detail: d.detail, declaredAt: isoOf(d.declared_at),
    revokedAt: d.revoked_at ? isoOf(d.revoked_at) : null,
  }));
  return {
    exists: true,
    optedOut: row.opted_out,
    deceased: facts.deceased,
    restriction: restrictionFrom(row.restrictions ?? [], now),
    facts: { gpRegistrations: facts.gpRegistrations, involvements: facts.involvements, declarations },
  };
}

/** True when `personId` has the form of a person id (any other id names nobody). */
export function isPersonId(personId: string): boolean {
  return UUID.test(personId);
}

/**
 * Everything decide() needs about `personId` for `user` at `now`. A person merged into another is
 * reported as not existing: reads go to the surviving person.
 */
export async function loadAccessFacts(
  db: Kysely<Tables>, personId: string, user: AccessFactsUser, now: Date, options: { declarationValidityHours?: DeclarationValidity } = {},
): Promise<DecisionPerson> {
  if (!UUID.test(personId)) return { exists: false, optedOut: false };
  const r = await accessFactsQuery(personId, user, now, options).execute(db);
  return accessFactsOf(r.rows[0], user, now);
}
