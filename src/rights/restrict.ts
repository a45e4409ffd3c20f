/**
 * Restriction while a request is considered (UK GDPR Art. 18): when a person contests the accuracy
 * of what an organisation sent (a restriction or rectification request), that organisation's
 * access-to-records team restricts the contested entries — or, when the person asks, the whole
 * shared record — and lifts the restriction once the request is settled. Restricted entries are
 * withheld from every viewer with a marker (decide()'s withhold-restricted-entries obligation).
 *
 * A team restricts only entries its own organisation originated: the accuracy of another
 * organisation's entry is that organisation's question, answered by its own part of the case.
 * To choose an entry the team sees its own organisation's entries for the person — kind, date and
 * what they are — which is information that organisation already holds; the view is audited.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { addRestriction, liftRestriction, userActor, AccessError, type AuditSink } from '../access/index.ts';
import type { DecideOptions } from '../access/index.ts';
import { personsByNhsNumber } from '../record/index.ts';
import { decideForCase, inTransaction, RightsError, type LoadedCase, type RightsActor } from './cases.ts';

/** The acting member of staff as the restriction register records them. */
function recorder(actor: RightsActor): { id: string; organisation: { ods: string }; role: string } {
  return { id: actor.id, organisation: { ods: actor.organisationOds }, role: actor.role };
}

/** Kinds of request under which information may be restricted while the request is considered. */
export const RESTRICTABLE_KINDS = ['restriction', 'rectification'] as const;

export interface OwnEntry { readonly id: string; readonly resourceType: string; readonly date: string | null; readonly text: string | null }

export interface RestrictionInForce {
  readonly id: number;
  readonly scope: 'whole-record' | 'entry';
  readonly entry: OwnEntry | null;
  readonly reason: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  /** Only a whole-record restriction or one on this organisation's entry is this team's to lift. */
  readonly liftable: boolean;
}

export interface RestrictionView { readonly entries: readonly OwnEntry[]; readonly inForce: readonly RestrictionInForce[] }

const MAX_ENTRIES = 200;

function restrictable(c: LoadedCase): void {
  if (!(RESTRICTABLE_KINDS as readonly string[]).includes(c.kind)) {
    throw new RightsError('not-restrictable', 'Information can be restricted only for a restriction or rectification request', 'case');
  }
}

function open(part: LoadedCase['parts'][number]): void {
  if (part.status === 'done') throw new RightsError('part-done', 'This part is already done', 'case');
}

async function casePersons(db: Kysely<Tables>, c: LoadedCase): Promise<string[]> {
  const ids = await personsByNhsNumber(db, c.nhsNumber);
  if (ids.length === 0) throw new RightsError('unknown-entry', 'The shared record holds no information for this NHS number', 'case');
  return ids;
}

/** The team's own entries for the person and the restrictions in force; audited as a view of those entries. */
export async function restrictionView(db: Kysely<Tables>, caseId: string, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {}): Promise<RestrictionView> {
  const { c } = await decideForCase(db, caseId, actor, 'handle-rights-case', now, audit, options);
  restrictable(c);
  return inTransaction(db, async (trx) => {
    const ids = await personsByNhsNumber(trx, c.nhsNumber);
    if (ids.length === 0) return { entries: [], inForce: [] };
    const entries = await ownEntries(trx, ids, actor.organisationOds);
    const rows = await trx.selectFrom('restrictions').selectAll().where('person_id', 'in', ids).where('lifted_at', 'is', null).orderBy('id').execute();
    const byId = new Map(entries.map((e) => [e.id, e]));
    const inForce: RestrictionInForce[] = rows.map((r) => {
      const entry = r.entry_id ? (byId.get(r.entry_id) ?? null) : null;
      return {
        id: Number(r.id), scope: r.scope, entry, reason: r.reason, validFrom: String(r.valid_from).slice(0, 10), validTo: r.valid_to ? String(r.valid_to).slice(0, 10) : null,
        liftable: r.scope === 'whole-record' || entry !== null,
      };
    });
    await audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'view', personId: ids[0]!, purpose: 'rights-request', outcome: 'success',
      details: { route: 'rights-case/restrict', rightsCaseId: c.id, resources: entries.map((e) => `${e.resourceType}/${e.id}`) },
    });
    return { entries, inForce };
  });
}

/** Restricts one of the team's own entries (entryId) or the whole shared record (entryId null). */
export async function restrictForCase(
  db: Kysely<Tables>, caseId: string, input: { entryId: string | null; reason: string; validTo?: string | null }, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {},
): Promise<{ restrictionId: number }> {
  // Decided (and a refusal audited) before the change's transaction, so a refusal is never rolled back with it.
  await decideForCase(db, caseId, actor, 'handle-rights-case', now, audit, options);
  return inTransaction(db, async (trx) => {
    const { c, part } = await decideForCase(trx, caseId, actor, 'handle-rights-case', now, audit, options, true);
    restrictable(c);
    open(part);
    const ids = await casePersons(trx, c);
    let personId = ids[0]!;
    if (input.entryId !== null) {
      const entry = (await ownEntries(trx, ids, actor.organisationOds)).find((e) => e.id === input.entryId);
      if (!entry) throw new RightsError('unknown-entry', 'Choose an entry your organisation sent about this person', 'entry');
      personId = (await trx.selectFrom('resources').select('person_id').where('id', '=', entry.id).executeTakeFirstOrThrow()).person_id;
    }
    try {
      const r = await addRestriction(trx, recorder(actor), { personId, entryId: input.entryId, reason: input.reason, validTo: input.validTo ?? null }, now, audit);
      await trx.insertInto('rights_case_events').values({
        case_id: c.id, part_id: part.id, action: 'restricted', by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now,
        note: input.entryId ? 'One entry restricted' : 'The whole shared record restricted',
      }).execute();
      return { restrictionId: r.id };
    } catch (e) {
      if (e instanceof AccessError) throw new RightsError(e.code === 'invalid-date' ? 'invalid-date' : 'invalid-text', e.message, e.where ?? 'reason');
      throw e;
    }
  });
}

/** Lifts a restriction in force on the person: a whole-record one, or one on the team's own entry. */
export async function liftForCase(
  db: Kysely<Tables>, caseId: string, restrictionId: number, reason: string, actor: RightsActor, now: Date, audit: AuditSink, options: DecideOptions = {},
): Promise<void> {
  await decideForCase(db, caseId, actor, 'handle-rights-case', now, audit, options);
  await inTransaction(db, async (trx) => {
    const { c, part } = await decideForCase(trx, caseId, actor, 'handle-rights-case', now, audit, options, true);
    restrictable(c);
    open(part);
    const ids = await casePersons(trx, c);
    const row = await trx.selectFrom('restrictions').selectAll().where('id', '=', restrictionId).where('person_id', 'in', ids).where('lifted_at', 'is', null).executeTakeFirst();
    const ownEntry = row?.entry_id ? (await ownEntries(trx, ids, actor.organisationOds)).some((e) => e.id === row.entry_id) : false;
    if (!row || (row.scope === 'entry' && !ownEntry)) throw new RightsError('unknown-restriction', 'There is no such restriction your organisation can lift', 'restriction');
    try {
      await liftRestriction(trx, recorder(actor), restrictionId, reason, now, audit);
    } catch (e) {
      if (e instanceof AccessError) throw new RightsError('invalid-text', e.message, 'reason');
      throw e;
    }
    await trx.insertInto('rights_case_events').values({
      case_id: c.id, part_id: part.id, action: 'lifted', by_user_id: actor.id, organisation_ods: actor.organisationOds, at: now, note: reason.trim().slice(0, 1000),
    }).execute();
  });
}

/** The organisation's current entries for the person, newest first: enough to tell them apart. */
async function ownEntries(db: Kysely<Tables>, personIds: string[], ods: string): Promise<OwnEntry[]> {
  const rows = await sql<{ id: string; resource_type: string; date: string | null; text: string | null }>`
    select id, resource_type,
      coalesce(resource ->> 'effectiveDateTime', resource ->> 'recordedDate', resource ->> 'onsetDateTime', resource ->> 'authoredOn',
               resource ->> 'occurrenceDateTime', resource -> 'period' ->> 'start', resource ->> 'issued', resource ->> 'date', resource ->> 'start') as date,
      coalesce(resource -> 'code' ->> 'text', resource -> 'code' -> 'coding' -> 0 ->> 'display',
               resource -> 'medicationCodeableConcept' ->> 'text', resource -> 'medicationCodeableConcept' -> 'coding' -> 0 ->> 'display',
               resource -> 'vaccineCode' ->> 'text', resource -> 'vaccineCode' -> 'coding' -> 0 ->> 'display',
               resource -> 'type' -> 0 ->> 'text', resource -> 'type' -> 0 -> 'coding' -> 0 ->> 'display', resource ->> 'description') as text
      from resources
     where person_id = any(${personIds}::uuid[]) and source_org = ${ods} and not deleted and resource_type <> 'Patient'
     order by date desc nulls last, id
     limit ${MAX_ENTRIES}`.execute(db);
  return rows.rows.map((r) => ({ id: r.id, resourceType: r.resource_type, date: r.date ? r.date.slice(0, 10) : null, text: r.text }));
}
