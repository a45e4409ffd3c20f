/**
 * Restrictions: the person contests the accuracy of their whole record or of single entries, and
 * what they contest is withheld (with a marker) while the restriction lasts. Restrictions are added
 * and lifted, never deleted, so the rows are their own history. Who may do this is the caller's
 * decide() ('handle-rights-case'); this module keeps the register.
 */
import type { Kysely, Selectable } from 'kysely';
import type { RestrictionsTable, Tables } from '../store/tables.ts';
import { isIsoDate } from '../registry/organisation.ts';
import { auditTime, inTransaction, userActor, type AuditSink } from './audit.ts';
import { AccessError } from './errors.ts';
import type { DeclaringUser } from './declarations.ts';

export interface Restriction {
  id: number;
  personId: string;
  scope: 'whole-record' | 'entry';
  entryId: string | null;
  reason: string;
  validFrom: string;
  validTo: string | null;
  recordedBy: string;
  recordedAt: Date;
  liftedBy: string | null;
  liftedAt: Date | null;
  liftReason: string | null;
}

export interface NewRestriction {
  personId: string;
  /** Absent: the whole record. */
  entryId?: string | null;
  reason: string;
  /** Default: the day it is recorded. */
  validFrom?: string | null;
  validTo?: string | null;
}

function fromRow(r: Selectable<RestrictionsTable>): Restriction {
  return {
    id: r.id, personId: r.person_id, scope: r.scope, entryId: r.entry_id, reason: r.reason, validFrom: r.valid_from, validTo: r.valid_to,
    recordedBy: r.recorded_by, recordedAt: r.recorded_at, liftedBy: r.lifted_by, liftedAt: r.lifted_at, liftReason: r.lift_reason,
  };
}

function checkReason(input: string | null | undefined, where: string): string {
  const reason = (input ?? '').trim();
  if (reason.length === 0 || [...reason].length > 500) throw new AccessError('invalid-reason', 'Give a reason of 1 to 500 characters', where);
  return reason;
}

function checkDate(input: string | null | undefined, where: string): string | null {
  if (input === undefined || input === null || input.trim() === '') return null;
  if (!isIsoDate(input.trim())) throw new AccessError('invalid-date', `The ${where} date must be written YYYY-MM-DD`, where);
  return input.trim();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function addRestriction(db: Kysely<Tables>, by: DeclaringUser, input: NewRestriction, now: Date, audit: AuditSink): Promise<Restriction> {
  const reason = checkReason(input.reason, 'reason');
  const from = checkDate(input.validFrom, 'from') ?? now.toISOString().slice(0, 10);
  const to = checkDate(input.validTo, 'to');
  if (to !== null && to < from) throw new AccessError('invalid-date', 'The restriction cannot end before it starts', 'to');
  if (!UUID.test(input.personId)) throw new AccessError('unknown-person', 'No such person', 'personId');
  return inTransaction(db, async (trx) => {
    const person = await trx.selectFrom('persons').select('id').where('id', '=', input.personId).executeTakeFirst();
    if (!person) throw new AccessError('unknown-person', 'No such person', 'personId');
    const entryId = input.entryId?.trim() || null;
    if (entryId !== null) {
      const entry = UUID.test(entryId)
        ? await trx.selectFrom('resources').select('id').where('id', '=', entryId).where('person_id', '=', input.personId).executeTakeFirst()
        : undefined;
      if (!entry) throw new AccessError('unknown-entry', "That entry is not part of this person's record", 'entryId');
    }
    const row = await trx.insertInto('restrictions').values({
      person_id: input.personId, scope: entryId ? 'entry' : 'whole-record', entry_id: entryId, reason, valid_from: from, valid_to: to,
      recorded_by: by.id, recorded_at: now, lifted_by: null, lifted_at: null, lift_reason: null,
    }).returningAll().executeTakeFirstOrThrow();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: by.id, organisationOds: by.organisation.ods, role: by.role }),
      action: 'restriction-changed', personId: input.personId, purpose: 'rights-request', outcome: 'success',
      details: { change: 'added', restrictionId: row.id, scope: row.scope, ...(entryId ? { resources: [entryId] } : {}), validFrom: from, validTo: to },
    });
    return fromRow(row);
  });
}

export async function liftRestriction(db: Kysely<Tables>, by: DeclaringUser, restrictionId: number, reason: string, now: Date, audit: AuditSink): Promise<Restriction> {
  const why = checkReason(reason, 'reason');
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('restrictions').selectAll().where('id', '=', restrictionId).forUpdate().executeTakeFirst();
    if (!row) throw new AccessError('unknown-restriction', 'No such restriction', 'restrictionId');
    if (row.lifted_at) throw new AccessError('already-lifted', 'That restriction has already been lifted', 'restrictionId');
    const updated = await trx.updateTable('restrictions').set({ lifted_by: by.id, lifted_at: now, lift_reason: why })
      .where('id', '=', restrictionId).returningAll().executeTakeFirstOrThrow();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: by.id, organisationOds: by.organisation.ods, role: by.role }),
      action: 'restriction-changed', personId: row.person_id, purpose: 'rights-request', outcome: 'success',
      details: { change: 'lifted', restrictionId },
    });
    return fromRow(updated);
  });
}

/** Every restriction the person has had, current and lifted, oldest first. */
export async function restrictionHistory(db: Kysely<Tables>, personId: string): Promise<Restriction[]> {
  if (!UUID.test(personId)) return [];
  return (await db.selectFrom('restrictions').selectAll().where('person_id', '=', personId).orderBy('recorded_at').orderBy('id').execute()).map(fromRow);
}
