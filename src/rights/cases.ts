/**
 * Rights requests as cases. PALS officers and GP practice staff log a request (access,
 * rectification, restriction, objection, complaint) for an NHS number; the case is split into one
 * part for each organisation that originated data about the person (their source records and the
 * resources they sent), and each part is worked by that organisation's access-to-records team
 * against the legal clock (clock.ts). Every change — logging, routing, extension, completion,
 * export — is written to the case history and the audit log in the same transaction, as the
 * objection register does, and every read of a case goes through access.decide().
 *
 * What the access-to-records team sees: they are not clinicians, so a case shows the *scope* of the
 * data — which kinds of entry, how many, from their own organisation — and the demographics they need
 * to identify and contact the person, never clinical content. The one exception is the export for an
 * access request: it is the legal answer (Art. 15), the person is entitled to all of it, and the
 * team must review it (e.g. for third-party information) before it is sent, so they download it —
 * audited as an export, only while their part of an access case is open.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import {
  decide, filterEntries, findUser, loadDecisionUser, userActor, RIGHTS_CASE_KINDS,
  type AuditSink, type DecideOptions, type Decision, type DecisionPerson, type DecisionUser, type PolicyEntry, type RightsCaseKind, type SensitiveCategory,
} from '../access/index.ts';
import { whoViewedMyRecord, type WhoViewedEntry } from '../audit/index.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import { loadPerson, personsByNhsNumber, ukDay, type StoredEntry } from '../record/index.ts';
import { checkExtension, checkReceivedOn, clockOf, dueDate, EXTENSION_REFUSALS, type Clock } from './clock.ts';

export { RIGHTS_CASE_KINDS, type RightsCaseKind };

export const RIGHTS_ERROR_CODES = [
  'invalid-nhs-number', 'invalid-kind', 'invalid-date', 'invalid-text', 'unknown-user', 'not-permitted', 'unknown-case', 'part-done', 'extension-refused', 'not-restrictable', 'unknown-entry', 'unknown-restriction',
] as const;
export type RightsErrorCode = (typeof RIGHTS_ERROR_CODES)[number];

/** A refused request: a stable code, a message fit to show the member of staff, and the input it is about (never its value). */
export class RightsError extends Error {
  constructor(public readonly code: RightsErrorCode, message: string, public readonly where: string) {
    super(message);
    this.name = 'RightsError';
  }
}

/** The member of staff acting: who they are and what decide() needs to know about them today. */
export interface RightsActor {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly organisationOds: string;
  readonly decisionUser: DecisionUser;
}

/**
 * The actor for a username, for work done on the server host (the command line) on a member of
 * staff's behalf: no second factor is asked for there, as for the objection register.
 */
export async function rightsActor(db: Kysely<Tables>, username: string, now: Date): Promise<RightsActor> {
  const user = await findUser(db, username);
  const du = user ? await loadDecisionUser(db, user.id, { mfaSatisfied: true }, now) : null;
  if (!user || !du) throw new RightsError('unknown-user', 'There is no user with that username', 'by');
  return { id: user.id, username: user.username, role: user.role, organisationOds: du.organisation.ods, decisionUser: du };
}

export const MAX_DESCRIPTION = 2000;
export const MAX_NOTE = 1000;

export function receiptNumber(reference: number): string {
  return `RR-${String(reference).padStart(6, '0')}`;
}

function checkNhs(input: string): string {
  const n = normaliseNhsNumber(input);
  if (!n || !isValidNhsNumber(n)) throw new RightsError('invalid-nhs-number', 'The NHS number is not valid: it must be 10 digits with a correct check digit', 'nhs');
  return n;
}

function checkKind(input: string): RightsCaseKind {
  const k = input.trim().toLowerCase();
  if (!(RIGHTS_CASE_KINDS as readonly string[]).includes(k)) throw new RightsError('invalid-kind', 'Choose the kind of request: access, rectification, restriction, objection or complaint', 'kind');
  return k as RightsCaseKind;
}

function checkText(text: string, max: number, where: string): string {
  const t = text.trim();
  if (t.length > max) throw new RightsError('invalid-text', `The text must be ${max} characters or fewer`, where);
  return t;
}

/** Runs `work` in the caller's transaction when given one, otherwise in a new one (as access does). */
export function inTransaction<T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : transaction(db, work);
}

function refuse(decision: Decision): never {
  throw new RightsError('not-permitted', decision.allow ? 'Not permitted' : decision.message, 'by');
}

// ---- routing ----

export interface HoldingOrganisation {
  readonly ods: string;
  readonly name: string;
  /** Current (not deleted) entries this organisation sent about the person. */
  readonly resources: number;
  /** This organisation's own records of the person (its feeds' source records). */
  readonly sourceRecords: number;
}

/**
 * Which organisations originated data about the person an NHS number leads to: those whose feeds
 * hold a source record of the person, and those that sent entries about them. Every current person
 * holding the number is included (until the person index merges them, one person can be several).
 */
export async function organisationsHoldingData(db: Kysely<Tables>, nhsNumber: string): Promise<{ personIds: string[]; organisations: HoldingOrganisation[] }> {
  const personIds = await personsByNhsNumber(db, checkNhs(nhsNumber));
  if (personIds.length === 0) return { personIds, organisations: [] };
  const ids = sql.join(personIds.map((p) => sql`${p}::uuid`));
  const rows = await sql<{ ods: string; name: string; resources: number; source_records: number }>`
    select h.ods, o.name, sum(h.resources)::int8 as resources, sum(h.source_records)::int8 as source_records
      from (
        select r.source_org as ods, count(*) as resources, 0 as source_records
          from resources r where r.person_id in (${ids}) and not r.deleted group by r.source_org
        union all
        select f.organisation_ods, 0, count(*)
          from source_records s join feeds f on f.id = s.feed_id
         where s.person_id in (${ids}) and s.retired_into is null group by f.organisation_ods
      ) h
      join organisations o on o.ods_code = h.ods
     group by h.ods, o.name
     order by h.ods`.execute(db);
  return { personIds, organisations: rows.rows.map((r) => ({ ods: r.ods, name: r.name, resources: Number(r.resources), sourceRecords: Number(r.source_records) })) };
}

// ---- logging a request ----

export interface RightsRequest {
  nhsNumber: string;
  kind: string;
  /** YYYY-MM-DD: when enough information arrived to verify identity and locate the data. */
  receivedOn: string;
  /** What the request is about, in the person's words (kept with the case, never in the audit). */
  description: string;
}

export interface RoutedPart { readonly ods: string; readonly name: string; readonly basis: 'holds-data' | 'no-data-held' }

export interface LoggedCase {
  readonly id: string;
  readonly reference: number;
  readonly kind: RightsCaseKind;
  readonly receivedOn: string;
  readonly dueOn: string;
  readonly loggedAt: Date;
  readonly channel: 'pals' | 'gp';
  readonly parts: readonly RoutedPart[];
}

/** Logs a rights request and routes its parts, with its audit entry, in one transaction. */
export async function logRightsRequest(db: Kysely<Tables>, req: RightsRequest, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {}): Promise<LoggedCase> {
  const nhs = checkNhs(req.nhsNumber);
  const kind = checkKind(req.kind);
  const received = checkReceivedOn(req.receivedOn.trim(), ukDay(now));
  if (!received.ok) throw new RightsError('invalid-date', received.message, 'received');
  const receivedOn = req.receivedOn.trim();
  const description = checkText(req.description, MAX_DESCRIPTION, 'description');
  // A request is logged whether or not the person's data has arrived (as the objection register is):
  // the person is the subject of the request, so taken as known.
  const decision = decide(actor.decisionUser, { exists: true, optedOut: false }, 'log-rights-request', now, options);
  if (!decision.allow) refuse(decision);
  const channel = actor.role === 'gp-practice-staff' ? 'gp' : 'pals';
  return inTransaction(db, async (trx) => {
    const routing = await organisationsHoldingData(trx, nhs);
    // Nothing held: the logging organisation's own team answers (the person is still owed a reply in time).
    const parts: RoutedPart[] = routing.organisations.length > 0
      ? routing.organisations.map((o) => ({ ods: o.ods, name: o.name, basis: 'holds-data' as const }))
      : [{ ods: actor.organisationOds, name: (await trx.selectFrom('organisations').select('name').where('ods_code', '=', actor.organisationOds).executeTakeFirstOrThrow()).name, basis: 'no-data-held' as const }];
    const personId = routing.personIds.length === 1 ? routing.personIds[0]! : null;
    const c = await trx.insertInto('rights_cases').values({
      kind, nhs_number: nhs, person_id: personId, description, received_on: receivedOn, channel,
      logged_by: actor.id, logged_by_org: actor.organisationOds, logged_at: now,
    }).returning(['id', 'reference']).executeTakeFirstOrThrow();
    await trx.insertInto('rights_case_events').values({ case_id: c.id, part_id: null, action: 'logged', by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now, note: null }).execute();
    for (const p of parts) {
      const part = await trx.insertInto('rights_case_parts').values({ case_id: c.id, organisation_ods: p.ods, basis: p.basis }).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('rights_case_events').values({ case_id: c.id, part_id: part.id, action: 'routed', by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now, note: null }).execute();
    }
    await audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'rights-case-changed', ...(personId ? { personId } : {}),
      purpose: 'rights-request', outcome: 'success',
      // The NHS number and the person's words stay with the case; the audit names the case.
      details: { rightsCaseId: c.id, change: 'logged', kind, channel, routedTo: parts.map((p) => p.ods), personKnown: routing.personIds.length > 0 },
    });
    return { id: c.id, reference: c.reference, kind, receivedOn, dueOn: dueDate(receivedOn), loggedAt: now, channel, parts };
  });
}

// ---- the access-to-records team ----

export interface CasePartSummary {
  readonly caseId: string;
  readonly reference: number;
  readonly kind: RightsCaseKind;
  readonly receivedOn: string;
  readonly loggedAt: Date;
  readonly basis: 'holds-data' | 'no-data-held';
  readonly extensionMonths: number;
  readonly completedAt: Date | null;
  readonly clock: Clock;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The parts routed to an organisation, the most urgent first (overdue, then by due date), then the
 * ones done. Carries no personal data (no NHS number or name), so listing is not a use of anyone's record.
 */
export async function casesForOrganisation(db: Kysely<Tables>, ods: string, now: Date, o: { doneLimit?: number } = {}): Promise<CasePartSummary[]> {
  const rows = await db.selectFrom('rights_case_parts').innerJoin('rights_cases', 'rights_cases.id', 'rights_case_parts.case_id')
    .select(['rights_cases.id', 'rights_cases.reference', 'rights_cases.kind', 'rights_cases.received_on', 'rights_cases.logged_at',
      'rights_case_parts.basis', 'rights_case_parts.status', 'rights_case_parts.extension_months', 'rights_case_parts.completed_at'])
    .where('rights_case_parts.organisation_ods', '=', ods)
    .where((eb) => eb.or([eb('rights_case_parts.status', '=', 'open'), eb('rights_case_parts.completed_at', '>', new Date(now.getTime() - 400 * 86_400_000))]))
    .orderBy('rights_cases.reference', 'desc').execute();
  const today = ukDay(now);
  const all = rows.map((r): CasePartSummary => ({
    caseId: r.id, reference: r.reference, kind: r.kind, receivedOn: r.received_on, loggedAt: r.logged_at, basis: r.basis,
    extensionMonths: r.extension_months, completedAt: r.completed_at,
    clock: clockOf({ receivedOn: r.received_on, extensionMonths: r.extension_months, done: r.status === 'done' }, today),
  }));
  const open = all.filter((c) => c.clock.state !== 'done').sort((a, b) => a.clock.daysLeft - b.clock.daysLeft || a.reference - b.reference);
  const done = all.filter((c) => c.clock.state === 'done').slice(0, o.doneLimit ?? 50);
  return [...open, ...done];
}

export interface LoadedCase {
  id: string; reference: number; kind: RightsCaseKind; nhsNumber: string; description: string; receivedOn: string; channel: 'pals' | 'gp';
  loggedAt: Date; loggedByOrg: string; personId: string | null;
  parts: { id: number; ods: string; basis: 'holds-data' | 'no-data-held'; status: 'open' | 'done'; extensionMonths: number; extensionReason: string | null; completedAt: Date | null; outcomeNote: string | null }[];
}

async function loadCase(db: Kysely<Tables>, caseId: string, forUpdate = false): Promise<LoadedCase | null> {
  if (!UUID.test(caseId)) return null;
  const c = await db.selectFrom('rights_cases').selectAll().where('id', '=', caseId.toLowerCase()).executeTakeFirst();
  if (!c) return null;
  let q = db.selectFrom('rights_case_parts').selectAll().where('case_id', '=', c.id).orderBy('id');
  if (forUpdate) q = q.forUpdate();
  const parts = await q.execute();
  return {
    id: c.id, reference: c.reference, kind: c.kind, nhsNumber: c.nhs_number, description: c.description, receivedOn: c.received_on, channel: c.channel,
    loggedAt: c.logged_at, loggedByOrg: c.logged_by_org, personId: c.person_id,
    parts: parts.map((p) => ({
      id: p.id, ods: p.organisation_ods, basis: p.basis, status: p.status, extensionMonths: p.extension_months, extensionReason: p.extension_reason,
      completedAt: p.completed_at, outcomeNote: p.outcome_note,
    })),
  };
}

async function isObjected(db: Kysely<Tables>, nhsNumber: string): Promise<boolean> {
  return (await db.selectFrom('objections').select('nhs_number').where('nhs_number', '=', nhsNumber).executeTakeFirst()) !== undefined;
}

/** The person as decide() sees them for a case: the subject of the case, with its parts as routings. */
function casePerson(c: LoadedCase, optedOut: boolean): DecisionPerson {
  return { exists: true, optedOut, rightsCases: c.parts.map((p) => ({ ods: p.ods, kind: c.kind, open: p.status === 'open' })) };
}

/**
 * Loads the case and decides; a refusal is audited in its own transaction and thrown. With
 * `lock` (inside a change's transaction) the parts are locked for the change that follows, and a
 * refusal there — the part changed since the check made outside — is thrown without a second audit.
 */
export async function decideForCase(
  db: Kysely<Tables>, caseId: string, actor: RightsActor, purpose: 'handle-rights-case' | 'export', now: Date, audit: AuditSink, options: DecideOptions, lock = false,
): Promise<{ c: LoadedCase; decision: Extract<Decision, { allow: true }>; part: LoadedCase['parts'][number] }> {
  const c = await loadCase(db, caseId, lock);
  if (!c) throw new RightsError('unknown-case', 'There is no such case', 'case');
  const decision = decide(actor.decisionUser, casePerson(c, await isObjected(db, c.nhsNumber)), purpose, now, options);
  const part = c.parts.find((p) => p.ods === actor.organisationOds);
  if (!decision.allow || !part) {
    const denied = async (trx: Kysely<Tables>) => audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'access-denied', ...(c.personId ? { personId: c.personId } : {}),
      purpose: 'rights-request', outcome: 'denied', details: { rightsCaseId: c.id, reason: decision.allow ? 'case-not-routed' : decision.reason },
    });
    if (!lock) await inTransaction(db, denied);
    if (!decision.allow) refuse(decision);
    throw new RightsError('not-permitted', 'There is no open rights case for this person routed to your organisation.', 'case');
  }
  return { c, decision, part };
}

export interface ScopeRow { readonly resourceType: string; readonly count: number }

export interface CaseEvent { readonly at: Date; readonly action: string; readonly organisationOds: string; readonly byUsername: string; readonly note: string | null }

export interface TeamCaseView {
  readonly id: string;
  readonly reference: number;
  readonly kind: RightsCaseKind;
  readonly description: string;
  readonly receivedOn: string;
  readonly loggedAt: Date;
  readonly channel: 'pals' | 'gp';
  readonly loggedByOrganisation: string;
  readonly nhsNumber: string;
  /** From the person's most recently updated source record: enough to identify and contact them. */
  readonly person: { readonly family: string | null; readonly given: string[]; readonly birthDate: string | null } | null;
  readonly part: { readonly basis: 'holds-data' | 'no-data-held'; readonly extensionMonths: number; readonly extensionReason: string | null; readonly clock: Clock };
  /** How many other organisations have a part of this case (their names are not this team's business). */
  readonly otherParts: number;
  /** The data in scope from this team's organisation: kinds of entry and how many, never their content. */
  readonly scope: readonly ScopeRow[];
  readonly sourceRecords: number;
  readonly history: readonly CaseEvent[];
}

/** A case as the access-to-records team of an organisation with an open part of it sees it; audited as a view. */
export async function openCaseForTeam(db: Kysely<Tables>, caseId: string, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {}): Promise<TeamCaseView> {
  const { c, part } = await decideForCase(db, caseId, actor, 'handle-rights-case', now, audit, options);
  return inTransaction(db, async (trx) => {
    const personIds = await personsByNhsNumber(trx, c.nhsNumber);
    const ids = personIds.length > 0 ? sql.join(personIds.map((p) => sql`${p}::uuid`)) : null;
    const scope = ids ? (await sql<{ resource_type: string; n: number }>`
      select resource_type, count(*)::int8 as n from resources
       where person_id in (${ids}) and source_org = ${actor.organisationOds} and not deleted
       group by resource_type order by resource_type`.execute(trx)).rows : [];
    const records = ids ? (await sql<{ n: number; demographics: Record<string, unknown> | null }>`
      select (select count(*)::int8 from source_records s join feeds f on f.id = s.feed_id
               where s.person_id in (${ids}) and s.retired_into is null and f.organisation_ods = ${actor.organisationOds}) as n,
             (select demographics from source_records where person_id in (${ids}) and retired_into is null order by updated_at desc limit 1) as demographics`.execute(trx)).rows[0] : undefined;
    const d = records?.demographics ?? null;
    const history = await trx.selectFrom('rights_case_events').innerJoin('users', 'users.id', 'rights_case_events.by_user_id')
      .select(['rights_case_events.at', 'rights_case_events.action', 'rights_case_events.organisation_ods', 'users.username', 'rights_case_events.note'])
      .where('rights_case_events.case_id', '=', c.id)
      // The case as logged and this team's own part: other organisations' work on the case is theirs.
      .where((eb) => eb.or([eb('rights_case_events.part_id', 'is', null), eb('rights_case_events.part_id', '=', part.id)]))
      .orderBy('rights_case_events.id').execute();
    await audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'view', ...(c.personId ?? personIds[0] ? { personId: (c.personId ?? personIds[0])! } : {}),
      purpose: 'rights-request', outcome: 'success',
      details: { route: 'rights-case', rightsCaseId: c.id, shown: 'demographics and scope counts', resources: personIds.map((p) => `Patient/${p}`) },
    });
    const today = ukDay(now);
    return {
      id: c.id, reference: c.reference, kind: c.kind, description: c.description, receivedOn: c.receivedOn, loggedAt: c.loggedAt, channel: c.channel,
      loggedByOrganisation: c.loggedByOrg, nhsNumber: c.nhsNumber,
      person: d ? {
        family: typeof d.family === 'string' ? d.family : null,
        given: Array.isArray(d.given) ? d.given.filter((g): g is string => typeof g === 'string') : [],
        birthDate: typeof d.birthDate === 'string' ? d.birthDate : null,
      } : null,
      part: {
        basis: part.basis, extensionMonths: part.extensionMonths, extensionReason: part.extensionReason,
        clock: clockOf({ receivedOn: c.receivedOn, extensionMonths: part.extensionMonths, done: part.status === 'done' }, today),
      },
      otherParts: c.parts.length - 1,
      scope: scope.map((s) => ({ resourceType: s.resource_type, count: Number(s.n) })),
      sourceRecords: Number(records?.n ?? 0),
      history: history.map((h) => ({ at: h.at, action: h.action, organisationOds: h.organisation_ods, byUsername: h.username, note: h.note })),
    };
  });
}

export type PartChange = { change: 'completed'; note: string } | { change: 'extended'; months: number; reason: string };

/** Marks this team's part done, or extends its time limit; the change, its history and its audit entry commit together. */
export async function changePart(db: Kysely<Tables>, caseId: string, change: PartChange, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {}): Promise<{ dueOn: string; done: boolean }> {
  const note = checkText(change.change === 'completed' ? change.note : change.reason, MAX_NOTE, change.change === 'completed' ? 'note' : 'reason');
  // Decided (and a refusal audited) before the change's transaction, so a refusal is never rolled back with it.
  await decideForCase(db, caseId, actor, 'handle-rights-case', now, audit, options);
  return inTransaction(db, async (trx) => {
    const { c, part } = await decideForCase(trx, caseId, actor, 'handle-rights-case', now, audit, options, true);
    if (part.status === 'done') throw new RightsError('part-done', 'This part is already done', 'case');
    let extensionMonths = part.extensionMonths;
    if (change.change === 'extended') {
      const check = checkExtension({ receivedOn: c.receivedOn, extensionMonths, done: false }, change.months, note, ukDay(now));
      if (!check.ok) throw new RightsError('extension-refused', EXTENSION_REFUSALS[check.refusal], check.refusal === 'reason-required' ? 'reason' : 'months');
      extensionMonths = change.months;
      await trx.updateTable('rights_case_parts').set({ extension_months: extensionMonths, extension_reason: note }).where('id', '=', part.id).execute();
    } else {
      await trx.updateTable('rights_case_parts').set({ status: 'done', completed_at: now, completed_by: actor.id, outcome_note: note || null }).where('id', '=', part.id).execute();
    }
    await trx.insertInto('rights_case_events').values({
      case_id: c.id, part_id: part.id, action: change.change, by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now, note: note || null,
    }).execute();
    await audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'rights-case-changed', ...(c.personId ? { personId: c.personId } : {}),
      purpose: 'rights-request', outcome: 'success',
      details: { rightsCaseId: c.id, change: change.change, part: part.ods, ...(change.change === 'extended' ? { extensionMonths } : {}) },
    });
    return { dueOn: dueDate(c.receivedOn, extensionMonths), done: change.change === 'completed' };
  });
}

// ---- the access export ----

export interface AccessExport {
  readonly filename: string;
  readonly document: Record<string, unknown>;
}

function exportEntry(e: StoredEntry, orgName: Map<string, string>): Record<string, unknown> {
  return {
    fullUrl: `urn:uuid:${e.id}`,
    resource: {
      ...e.resource, id: e.id,
      meta: {
        source: e.feedId, lastUpdated: e.receivedAt.toISOString(),
        tag: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', code: e.sourceOrg, ...(orgName.has(e.sourceOrg) ? { display: orgName.get(e.sourceOrg) } : {}) }],
      },
    },
  };
}

/**
 * Everything the shared record holds on the person of an access request — every source's record of
 * them and every current entry, each with the organisation it came from — and who has used their
 * record (organisation, role, time, purpose). Only for a team with an open part of an access case;
 * the read and its audit entry ('export') are one transaction, so nothing leaves unaudited.
 */
export async function accessExport(db: Kysely<Tables>, caseId: string, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {}): Promise<AccessExport> {
  const { c, decision, part } = await decideForCase(db, caseId, actor, 'export', now, audit, options);
  return inTransaction(db, async (trx) => {
    const personIds = await personsByNhsNumber(trx, c.nhsNumber);
    const entries: StoredEntry[] = [];
    const sourceRecords: Record<string, unknown>[] = [];
    const orgName = new Map<string, string>();
    for (const personId of personIds) {
      const loaded = await loadPerson(trx, personId);
      for (const o of loaded.organisations) orgName.set(o.ods, o.name);
      // The export decision carries no withholding: restricted and sensitive entries are the person's too.
      // Entries from an organisation outside the agreement are still held, so they are included.
      const policy = loaded.entries.map((e): PolicyEntry & { entry: StoredEntry } => ({ id: e.id, categories: e.sensitiveCategories as SensitiveCategory[], restricted: false, sourceOds: e.sourceOrg, entry: e }));
      entries.push(...filterEntries(decision, policy).shown.map((p) => p.entry));
      const feedOrg = new Map(loaded.feeds.map((f) => [f.feedId, f.ods]));
      for (const s of loaded.sourceRecords) {
        const ods = feedOrg.get(s.feedId) ?? null;
        sourceRecords.push({ organisation: ods, organisationName: ods ? orgName.get(ods) ?? null : null, localId: s.localId, nhsNumber: s.nhsNumber, demographics: s.demographics, updatedAt: s.updatedAt.toISOString() });
      }
    }
    const names = orgName.size > 0 ? await trx.selectFrom('organisations').select(['ods_code', 'name']).execute() : [];
    const allNames = new Map(names.map((n) => [n.ods_code, n.name]));
    const accessHistory: WhoViewedEntry[] = personIds.length > 0
      ? await whoViewedMyRecord(trx, personIds, { limit: 10_000, organisationName: (ods) => allNames.get(ods) })
      : [];
    await trx.insertInto('rights_case_events').values({ case_id: c.id, part_id: part.id, action: 'exported', by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now, note: null }).execute();
    await audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'export', ...(c.personId ?? personIds[0] ? { personId: (c.personId ?? personIds[0])! } : {}),
      purpose: 'rights-request', outcome: 'success',
      details: { route: 'rights-export', rightsCaseId: c.id, resources: [...personIds.map((p) => `Patient/${p}`), ...entries.map((e) => `${e.resourceType}/${e.id}`)] },
    });
    const reference = receiptNumber(c.reference);
    return {
      filename: `subject-access-${reference}.json`,
      document: {
        about: 'Everything One Health and Care (the shared care record) holds about the person, and who has used their record. ' +
          'Review it before sending (for example, for information about other people).',
        request: reference,
        generatedAt: now.toISOString(),
        nhsNumber: c.nhsNumber,
        sourceRecords,
        record: { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), entry: entries.map((e) => exportEntry(e, orgName)) },
        accessHistory,
      },
    };
  });
}
