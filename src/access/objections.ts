/**
 * The objection (opt-out) register. Keyed by NHS number — what the person gives PALS or their GP
 * practice — not by our person id, so an objection recorded before any of their data has arrived,
 * or against a number later linked to another person, still applies: loadAccessFacts() asks whether
 * any NHS number of the person's source records is on the register. Effective at once, withdrawable
 * at any time; every recording and withdrawal is kept (objection_events is append-only).
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import { auditTime, inTransaction, userActor, type AuditSink } from './audit.ts';
import { AccessError } from './errors.ts';
import { decide } from './policy/index.ts';
import { findUser, loadDecisionUser } from './users.ts';

export const OBJECTION_CHANNELS = ['pals', 'gp'] as const;
export type ObjectionChannel = (typeof OBJECTION_CHANNELS)[number];

export interface ObjectionEvent {
  id: number;
  action: 'recorded' | 'withdrawn';
  channel: ObjectionChannel;
  byUserId: string;
  byUsername: string;
  organisationOds: string;
  at: Date;
  /** The person the number led to at the time; null when no data had arrived yet. */
  personId: string | null;
}

export interface ObjectionRequest { nhsNumber: string; channel: string; byUsername: string }

export function checkNhsNumber(input: string): string {
  const n = normaliseNhsNumber(input);
  if (!n || !isValidNhsNumber(n)) throw new AccessError('invalid-nhs-number', 'The NHS number is not valid: it must be 10 digits with a correct check digit', 'nhs');
  return n;
}

function checkChannel(input: string): ObjectionChannel {
  const c = input.trim().toLowerCase();
  if (!(OBJECTION_CHANNELS as readonly string[]).includes(c)) throw new AccessError('invalid-channel', 'The channel must be pals or gp', 'channel');
  return c as ObjectionChannel;
}

/** The staff member recording: their role must permit it, and today they must pass every check decide() makes of a user. */
async function recorder(db: Kysely<Tables>, username: string, channel: ObjectionChannel, now: Date) {
  const user = await findUser(db, username);
  if (!user) throw new AccessError('unknown-user', 'There is no user with that username', 'by');
  // Recorded on the server host on the member of staff's behalf, so no second factor is asked for;
  // the register applies whether or not the person's data has arrived, so the person is taken as known.
  const du = await loadDecisionUser(db, user.id, { mfaSatisfied: true }, now);
  const decision = du ? decide(du, { exists: true, optedOut: false }, 'record-objection', now, { mfaRequired: false }) : null;
  if (!du || !decision?.allow) {
    throw new AccessError('not-permitted', `That user may not record objections: ${decision && !decision.allow ? decision.message : 'unknown organisation'}`, 'by');
  }
  if (channel === 'gp' && du.organisation.kind !== 'gp-practice') {
    throw new AccessError('not-permitted', 'Only staff of a GP practice can record an objection through the gp channel', 'channel');
  }
  return { user, ods: du.organisation.ods };
}

async function change(
  db: Kysely<Tables>, req: ObjectionRequest, action: 'recorded' | 'withdrawn', now: Date, audit: AuditSink,
): Promise<ObjectionEvent> {
  const nhs = checkNhsNumber(req.nhsNumber);
  const channel = checkChannel(req.channel);
  const { user, ods } = await recorder(db, req.byUsername, channel, now);
  return inTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`objection:${nhs}`}))`.execute(trx);
    const current = await trx.selectFrom('objections').select('nhs_number').where('nhs_number', '=', nhs).executeTakeFirst();
    if (action === 'recorded' && current) throw new AccessError('already-objected', 'An objection is already recorded for this NHS number', 'nhs');
    if (action === 'withdrawn' && !current) throw new AccessError('not-objected', 'There is no objection recorded for this NHS number', 'nhs');
    const persons = await trx.selectFrom('source_records').select('person_id').distinct()
      .where('nhs_number', '=', nhs).where('retired_into', 'is', null).execute();
    const personId = persons.length === 1 ? persons[0]!.person_id : null;
    const event = await trx.insertInto('objection_events').values({
      nhs_number: nhs, action, channel, by_user_id: user.id, organisation_ods: ods, at: now, person_id: personId,
    }).returning(['id']).executeTakeFirstOrThrow();
    if (action === 'recorded') await trx.insertInto('objections').values({ nhs_number: nhs, recorded_at: now, event_id: event.id }).execute();
    else await trx.deleteFrom('objections').where('nhs_number', '=', nhs).execute();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: user.id, organisationOds: ods, role: user.role }),
      action: action === 'recorded' ? 'objection-recorded' : 'objection-withdrawn',
      ...(personId ? { personId } : {}), purpose: 'rights-request', outcome: 'success',
      // The NHS number stays in the register; the audit names the register entry.
      details: { objectionEventId: event.id, channel, personKnown: persons.length > 0 },
    });
    return { id: event.id, action, channel, byUserId: user.id, byUsername: user.username, organisationOds: ods, at: now, personId };
  });
}

/** Records that the person objects: from now on they are not available through the shared record. */
export function recordObjection(db: Kysely<Tables>, req: ObjectionRequest, now: Date, audit: AuditSink): Promise<ObjectionEvent> {
  return change(db, req, 'recorded', now, audit);
}

/** The person opts back in: their record is available again at once. */
export function withdrawObjection(db: Kysely<Tables>, req: ObjectionRequest, now: Date, audit: AuditSink): Promise<ObjectionEvent> {
  return change(db, req, 'withdrawn', now, audit);
}

export async function isObjecting(db: Kysely<Tables>, nhsNumber: string): Promise<boolean> {
  const r = await db.selectFrom('objections').select('nhs_number').where('nhs_number', '=', checkNhsNumber(nhsNumber)).executeTakeFirst();
  return r !== undefined;
}

/** Every recording and withdrawal for an NHS number, oldest first. */
export async function objectionHistory(db: Kysely<Tables>, nhsNumber: string): Promise<ObjectionEvent[]> {
  const rows = await db.selectFrom('objection_events').innerJoin('users', 'users.id', 'objection_events.by_user_id')
    .select(['objection_events.id', 'objection_events.action', 'objection_events.channel', 'objection_events.by_user_id', 'users.username',
      'objection_events.organisation_ods', 'objection_events.at', 'objection_events.person_id'])
    .where('objection_events.nhs_number', '=', checkNhsNumber(nhsNumber)).orderBy('objection_events.id').execute();
  return rows.map((r) => ({
    id: r.id, action: r.action, channel: r.channel, byUserId: r.by_user_id, byUsername: r.username, organisationOds: r.organisation_ods, at: r.at, personId: r.person_id,
  }));
}
