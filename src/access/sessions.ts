/**
 * Web sessions: an opaque random id in the browser's cookie, only its SHA-256 in the database, an
 * idle timeout and an absolute one, and a CSRF token per session for every form post. Whether the
 * session was confirmed with a second factor is part of the session, because decide() asks.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables, SessionEndReason } from '../store/tables.ts';
import { auditTime, inTransaction, userActor, type AuditSink } from './audit.ts';
import { resolveAccessOptions, type AccessOptions } from './options.ts';

export type SignInMethod = 'password' | 'oidc';

export interface NewSession {
  /** Give this to the browser (HttpOnly, Secure, SameSite=Lax cookie); it is never stored. */
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

export interface LiveSession {
  userId: string;
  method: SignInMethod;
  mfaSatisfied: boolean;
  csrfToken: string;
  createdAt: Date;
  /** The absolute end. */
  expiresAt: Date;
  /** When the session ends if unused from now. */
  idleExpiresAt: Date;
}

export type SessionCheck = { ok: true; session: LiveSession } | { ok: false; reason: 'unknown' | 'ended' | SessionEndReason };

const MINUTE_MS = 60_000;

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/** Opens a session for a user who has just signed in; the sign-in is audited by the caller's flow. */
export async function createSession(
  trx: Kysely<Tables>, user: { id: string; organisationOds: string; role: string }, how: { method: SignInMethod; mfaSatisfied: boolean },
  now: Date, audit: AuditSink, options: AccessOptions = {},
): Promise<NewSession> {
  const o = resolveAccessOptions(options);
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + o.sessionAbsoluteHours * 60 * MINUTE_MS);
  await inTransaction(trx, async (t) => {
    await t.insertInto('sessions').values({
      id_hash: hashSessionId(sessionId), user_id: user.id, csrf_token: csrfToken, mfa_satisfied: how.mfaSatisfied,
      method: how.method, created_at: now, last_seen_at: now, expires_at: expiresAt, ended_at: null, end_reason: null,
    }).execute();
    await t.updateTable('users').set({ last_sign_in_at: now }).where('id', '=', user.id).execute();
    await audit(t, {
      time: auditTime(now), actor: userActor({ id: user.id, organisationOds: user.organisationOds, role: user.role }),
      action: 'sign-in', outcome: 'success', details: { method: how.method, mfa: how.mfaSatisfied },
    });
  });
  return { sessionId, csrfToken, expiresAt };
}

/**
 * How stale the recorded activity may get before a request writes it again. Writing it on every
 * request made each page a write transaction (a WAL flush) before anything was read; instead a
 * busy session writes at most this often, and its idle timeout counts from the activity recorded,
 * so it can end up to this much before a full idle period after the last request — and says so
 * truthfully in idleExpiresAt, which the page's warning counts down to.
 */
export const ACTIVITY_RECORDED_EVERY_MS = 30_000;

/**
 * Checks a session on a request and records the activity (see ACTIVITY_RECORDED_EVERY_MS). A
 * session past its idle or absolute timeout, or whose user is suspended, is ended here (and the
 * ending audited), so it cannot be revived by a later request. A live session costs one read, and
 * now and then one small write.
 */
export async function touchSession(db: Kysely<Tables>, sessionId: string, now: Date, audit: AuditSink, options: AccessOptions = {}): Promise<SessionCheck> {
  const o = resolveAccessOptions(options);
  const idleMs = o.sessionIdleMinutes * MINUTE_MS;
  const idHash = hashSessionId(sessionId);
  const t = now.getTime();
  const s = await readSession(db, idHash, false);
  if (!s) return { ok: false, reason: 'unknown' };
  if (s.ended_at) return { ok: false, reason: s.end_reason ?? 'ended' };
  if (!endReason(s, t, idleMs)) {
    let lastSeen = s.last_seen_at.getTime();
    if (t - lastSeen >= ACTIVITY_RECORDED_EVERY_MS) {
      // Only a session still open is touched: one ended meanwhile (signed out in another tab) stays ended.
      const touched = await db.updateTable('sessions').set({ last_seen_at: now })
        .where('id_hash', '=', idHash).where('ended_at', 'is', null).returning('id_hash').executeTakeFirst();
      if (!touched) return { ok: false, reason: 'ended' };
      lastSeen = t;
    }
    return {
      ok: true,
      session: {
        userId: s.user_id, method: s.method, mfaSatisfied: s.mfa_satisfied, csrfToken: s.csrf_token, createdAt: s.created_at,
        expiresAt: s.expires_at, idleExpiresAt: new Date(Math.min(lastSeen + idleMs, s.expires_at.getTime())),
      },
    };
  }
  // Ending it: under the row's lock, checked again, so two requests cannot both end (and audit) it.
  const ended = await inTransaction(db, async (trx): Promise<SessionCheck | null> => {
    const locked = await readSession(trx, idHash, true);
    if (!locked) return { ok: false, reason: 'unknown' };
    if (locked.ended_at) return { ok: false, reason: locked.end_reason ?? 'ended' };
    const end = endReason(locked, t, idleMs);
    if (!end) return null; // a request in between recorded activity: the session goes on
    await trx.updateTable('sessions').set({ ended_at: now, end_reason: end }).where('id_hash', '=', idHash).execute();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: locked.user_id, organisationOds: locked.organisation_ods, role: locked.role }),
      action: 'sign-out', outcome: 'success', details: { reason: end },
    });
    return { ok: false, reason: end };
  });
  return ended ?? touchSession(db, sessionId, now, audit, options);
}

async function readSession(db: Kysely<Tables>, idHash: string, lock: boolean) {
  const q = db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.user_id', 'sessions.method', 'sessions.mfa_satisfied', 'sessions.csrf_token', 'sessions.created_at',
      'sessions.last_seen_at', 'sessions.expires_at', 'sessions.ended_at', 'sessions.end_reason', 'users.status',
      'users.organisation_ods', 'users.role'])
    .where('sessions.id_hash', '=', idHash);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
}

/** Why an open session must end at `t`, or null while it may go on. */
function endReason(s: { status: string; expires_at: Date; last_seen_at: Date }, t: number, idleMs: number): SessionEndReason | null {
  if (s.status === 'suspended') return 'user-suspended';
  if (t >= s.expires_at.getTime()) return 'expired';
  if (t - s.last_seen_at.getTime() >= idleMs) return 'idle';
  return null;
}

/** Signs out. Returns false when the session was unknown or already ended. */
export async function endSession(db: Kysely<Tables>, sessionId: string, now: Date, audit: AuditSink): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const ended = await trx.updateTable('sessions').set({ ended_at: now, end_reason: 'signed-out' })
      .where('id_hash', '=', hashSessionId(sessionId)).where('ended_at', 'is', null).returning('user_id').executeTakeFirst();
    if (!ended) return false;
    const u = await trx.selectFrom('users').select(['organisation_ods', 'role']).where('id', '=', ended.user_id).executeTakeFirstOrThrow();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: ended.user_id, organisationOds: u.organisation_ods, role: u.role }),
      action: 'sign-out', outcome: 'success', details: { reason: 'signed-out' },
    });
    return true;
  });
}

/** A form post carries the session's CSRF token; compared in constant time. */
export function csrfMatches(session: Pick<LiveSession, 'csrfToken'>, submitted: string | undefined | null): boolean {
  if (!submitted) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
