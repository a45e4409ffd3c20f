/**
 * Signing in with a local account: password, then (where enrolled or required) a TOTP code
 * confirming the session. Repeated failures of either lock the account for a while; a locked
 * account is refused before its password is even checked, so guessing stops while the lock lasts.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Tables, UsersTable } from '../store/tables.ts';
import type { AuditActor } from '../audit/chain/index.ts';
import { auditTime, inTransaction, userActor, type AuditSink } from './audit.ts';
import { resolveAccessOptions, VIEWING_ROLES, type AccessOptions, type ResolvedAccessOptions } from './options.ts';
import { burnVerification, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { createSession, hashSessionId, type NewSession } from './sessions.ts';
import { checkTotp } from './totp.ts';
import { normaliseUsername, userFromRow, type UserRecord } from './users.ts';
import type { Role } from './policy/index.ts';

export type SignInRefusal = 'invalid-credentials' | 'locked' | 'suspended';

export type SecondFactor = 'totp' | 'enrolment-needed' | 'none';

export type PasswordSignIn =
  | { ok: true; user: UserRecord; session: NewSession; secondFactor: SecondFactor }
  | { ok: false; code: SignInRefusal; message: string };

const MESSAGES: Readonly<Record<SignInRefusal, string>> = {
  // One message for an unknown username and a wrong password: the answer must not say which.
  'invalid-credentials': 'The username or password is not right.',
  'locked': 'Your account is locked after too many failed attempts. Try again later or contact your administrator.',
  'suspended': 'Your account is suspended. Contact your administrator.',
};

const MINUTE_MS = 60_000;

function isLocked(row: Pick<Selectable<UsersTable>, 'locked_until'>, now: Date): boolean {
  return row.locked_until !== null && row.locked_until.getTime() > now.getTime();
}

/** What one more failure does to the counters: counts within the window, locks at the limit. */
export function afterFailure(
  row: { failed_attempts: number; last_failed_at: Date | null }, now: Date, o: Pick<ResolvedAccessOptions, 'maxFailures' | 'lockMinutes' | 'failureWindowMinutes'>,
): { failed_attempts: number; last_failed_at: Date; locked_until: Date | null } {
  const recent = row.last_failed_at !== null && now.getTime() - row.last_failed_at.getTime() <= o.failureWindowMinutes * MINUTE_MS;
  const attempts = (recent ? row.failed_attempts : 0) + 1;
  if (attempts >= o.maxFailures) return { failed_attempts: 0, last_failed_at: now, locked_until: new Date(now.getTime() + o.lockMinutes * MINUTE_MS) };
  return { failed_attempts: attempts, last_failed_at: now, locked_until: null };
}

function actorOf(row: Selectable<UsersTable>): AuditActor {
  return userActor({ id: row.id, organisationOds: row.organisation_ods, role: row.role });
}

async function recordFailure(trx: Kysely<Tables>, userId: string, now: Date, o: ResolvedAccessOptions): Promise<boolean> {
  const row = await trx.selectFrom('users').select(['failed_attempts', 'last_failed_at', 'locked_until']).where('id', '=', userId).forUpdate().executeTakeFirstOrThrow();
  const next = afterFailure(row, now, o);
  await trx.updateTable('users').set(next).where('id', '=', userId).execute();
  return next.locked_until !== null;
}

function secondFactorFor(row: Selectable<UsersTable>, o: ResolvedAccessOptions): SecondFactor {
  if (row.totp_secret !== null) return 'totp';
  return o.mfaRequired && VIEWING_ROLES.includes(row.role as Role) ? 'enrolment-needed' : 'none';
}

/**
 * Checks a username and password and, when right, opens a session. The session is confirmed with
 * a second factor only later (confirmSecondFactor); until then decide() refuses roles that need one.
 */
export async function signInWithPassword(
  db: Kysely<Tables>, credentials: { username: string; password: string }, now: Date, audit: AuditSink, options: AccessOptions = {},
): Promise<PasswordSignIn> {
  const o = resolveAccessOptions(options);
  const row = await db.selectFrom('users').selectAll().where('username', '=', normaliseUsername(credentials.username)).executeTakeFirst();
  const refuse = async (code: SignInRefusal, actor: AuditActor, reason: string, countFailure: boolean): Promise<PasswordSignIn> => {
    let lockedNow = false;
    await inTransaction(db, async (trx) => {
      if (countFailure && row) lockedNow = await recordFailure(trx, row.id, now, o);
      await audit(trx, { time: auditTime(now), actor, action: 'sign-in-failed', outcome: 'failure', details: { method: 'password', reason, ...(lockedNow ? { locked: true } : {}) } });
    });
    return { ok: false, code: lockedNow ? 'locked' : code, message: MESSAGES[lockedNow ? 'locked' : code] };
  };
  if (!row || row.password_hash === null) {
    await burnVerification(credentials.password, o.scrypt);
    // The attempted username is not audited: people type passwords into the username box.
    return refuse('invalid-credentials', row ? actorOf(row) : { kind: 'system', id: 'sign-in' }, row ? 'no-password' : 'unknown-user', false);
  }
  if (isLocked(row, now)) return refuse('locked', actorOf(row), 'locked', false);
  if (!(await verifyPassword(row.password_hash, credentials.password))) return refuse('invalid-credentials', actorOf(row), 'wrong-password', true);
  if (row.status === 'suspended') return refuse('suspended', actorOf(row), 'suspended', false);

  const rehash = needsRehash(row.password_hash, o.scrypt) ? await hashPassword(credentials.password, o.scrypt) : null;
  const secondFactor = secondFactorFor(row, o);
  const session = await inTransaction(db, async (trx) => {
    await trx.updateTable('users').set({ failed_attempts: 0, last_failed_at: null, locked_until: null, ...(rehash ? { password_hash: rehash } : {}) })
      .where('id', '=', row.id).execute();
    return createSession(trx, { id: row.id, organisationOds: row.organisation_ods, role: row.role }, { method: 'password', mfaSatisfied: false }, now, audit, options);
  });
  return { ok: true, user: userFromRow(row), session, secondFactor };
}

export type SecondFactorResult = { ok: true } | { ok: false; code: 'invalid-code' | 'replayed-code' | 'locked' | 'not-enrolled' | 'no-session'; message: string };

/** Confirms a signed-in session with a code from the user's authenticator app. */
export async function confirmSecondFactor(
  db: Kysely<Tables>, sessionId: string, code: string, now: Date, audit: AuditSink, options: AccessOptions = {},
): Promise<SecondFactorResult> {
  const o = resolveAccessOptions(options);
  const idHash = hashSessionId(sessionId);
  return inTransaction(db, async (trx) => {
    const s = await trx.selectFrom('sessions').select(['user_id', 'ended_at', 'expires_at']).where('id_hash', '=', idHash).executeTakeFirst();
    if (!s || s.ended_at || s.expires_at.getTime() <= now.getTime()) return { ok: false, code: 'no-session', message: 'Sign in again to continue.' };
    const row = await trx.selectFrom('users').selectAll().where('id', '=', s.user_id).forUpdate().executeTakeFirstOrThrow();
    const fail = async (c: 'invalid-code' | 'replayed-code' | 'locked', count: boolean): Promise<SecondFactorResult> => {
      const lockedNow = count ? await recordFailure(trx, row.id, now, o) : false;
      if (lockedNow) {
        // A lock ends the half-signed-in session too: the next attempt starts from the password.
        await trx.updateTable('sessions').set({ ended_at: now, end_reason: 'signed-out' }).where('id_hash', '=', idHash).execute();
      }
      await audit(trx, { time: auditTime(now), actor: actorOf(row), action: 'sign-in-failed', outcome: 'failure', details: { method: 'totp', reason: c, ...(lockedNow ? { locked: true } : {}) } });
      const final = lockedNow ? 'locked' : c;
      return { ok: false, code: final, message: final === 'locked' ? MESSAGES.locked : 'The code is not right. Enter the current code from your authenticator app.' };
    };
    if (row.totp_secret === null) return { ok: false, code: 'not-enrolled', message: 'Set up an authenticator app first.' };
    if (isLocked(row, now)) return fail('locked', false);
    const check = await checkTotp(row.totp_secret, code, now, row.totp_last_step);
    if (!check.ok) return fail(check.reason === 'replayed' ? 'replayed-code' : 'invalid-code', true);
    await trx.updateTable('users').set({ totp_last_step: check.step, failed_attempts: 0, last_failed_at: null }).where('id', '=', row.id).execute();
    await trx.updateTable('sessions').set({ mfa_satisfied: true, last_seen_at: now }).where('id_hash', '=', idHash).execute();
    await audit(trx, { time: auditTime(now), actor: actorOf(row), action: 'sign-in', outcome: 'success', details: { method: 'totp', mfa: true } });
    return { ok: true };
  });
}
