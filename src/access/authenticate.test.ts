import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { CLI_ACTOR } from './audit.ts';
import { afterFailure, confirmSecondFactor, signInWithPassword } from './authenticate.ts';
import { csrfMatches, endSession, hashSessionId, touchSession } from './sessions.ts';
import { addUser, loadDecisionUser, suspendUser } from './users.ts';
import { decide } from './policy/index.ts';
import { decideOptions } from './options.ts';
import { recordingSink, seedPartners, TEST_SCRYPT } from './testing.ts';

const T0 = Date.parse('2025-06-15T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const opts = { scrypt: TEST_SCRYPT };
const PASSWORD = 'orange bicycle harbour cloud';

describe('afterFailure', () => {
  const o = { maxFailures: 3, lockMinutes: 10, failureWindowMinutes: 15 };
  it.each([
    ['first failure', { failed_attempts: 0, last_failed_at: null }, 0, { failed_attempts: 1, locked_until: null }],
    ['second within the window', { failed_attempts: 1, last_failed_at: at(0) }, 5, { failed_attempts: 2, locked_until: null }],
    ['third within the window locks', { failed_attempts: 2, last_failed_at: at(0) }, 5, { failed_attempts: 0, locked_until: at(15) }],
    ['an old failure is forgotten', { failed_attempts: 2, last_failed_at: at(0) }, 16, { failed_attempts: 1, locked_until: null }],
  ])('%s', (_n, row, minutes, expected) => {
    expect(afterFailure(row, at(minutes), o)).toEqual({ ...expected, last_failed_at: at(minutes) });
  });
});

describe.each(testEngines())('signing in on %s', (engine) => {
  let t: TestDatabase;
  let secret: string;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    const audit = recordingSink();
    await addUser(t.db, { username: 'doc', name: 'Dana Doctor', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:1234567', trainingValidUntil: '2026-01-01', password: PASSWORD, enrolTotp: true }, at(0), audit.sink, CLI_ACTOR, opts);
    await addUser(t.db, { username: 'nofactor', name: 'Nora Nofactor', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:7654321', trainingValidUntil: '2026-01-01', password: PASSWORD }, at(0), audit.sink, CLI_ACTOR, opts);
    await addUser(t.db, { username: 'pals', name: 'Pat Pals', organisationOds: 'RJE', role: 'pals-officer', trainingValidUntil: '2026-01-01', password: PASSWORD }, at(0), audit.sink, CLI_ACTOR, opts);
    secret = (await t.db.selectFrom('users').select('totp_secret').where('username', '=', 'doc').executeTakeFirstOrThrow()).totp_secret!;
  });
  afterAll(async () => t.dispose());

  it('signs in with the right password, then confirms the session with a code; decide() sees the second factor', async () => {
    const audit = recordingSink();
    const r = await signInWithPassword(t.db, { username: 'Doc', password: PASSWORD }, at(1), audit.sink, opts);
    if (!r.ok) throw new Error(r.code);
    expect(r.secondFactor).toBe('totp');
    const before = await touchSession(t.db, r.session.sessionId, at(1), audit.sink, opts);
    expect(before.ok && before.session.mfaSatisfied).toBe(false);
    const user = await loadDecisionUser(t.db, r.user.id, { mfaSatisfied: false }, at(1));
    expect(decide(user, null, 'direct-care-view', at(1), decideOptions()).allow).toBe(false);

    const code = await generate({ secret, epoch: Math.floor(at(2).getTime() / 1000) });
    expect(await confirmSecondFactor(t.db, r.session.sessionId, code, at(2), audit.sink, opts)).toEqual({ ok: true });
    const after = await touchSession(t.db, r.session.sessionId, at(2), audit.sink, opts);
    expect(after.ok && after.session.mfaSatisfied).toBe(true);
    // The same code again (say, seen over a shoulder) is refused.
    expect(await confirmSecondFactor(t.db, r.session.sessionId, code, at(2), audit.sink, opts)).toMatchObject({ ok: false, code: 'replayed-code' });
    expect(audit.events.map((e) => [e.action, e.details.method])).toEqual([['sign-in', 'password'], ['sign-in', 'totp'], ['sign-in-failed', 'totp']]);
    expect(csrfMatches(after.ok ? after.session : { csrfToken: 'x' }, r.session.csrfToken)).toBe(true);
    expect(csrfMatches(after.ok ? after.session : { csrfToken: 'x' }, `${r.session.csrfToken}x`)).toBe(false);
    expect(csrfMatches(after.ok ? after.session : { csrfToken: 'x' }, undefined)).toBe(false);
  });

  it('tells a viewing role without an authenticator app to enrol one, and a front-desk role nothing', async () => {
    const audit = recordingSink();
    const a = await signInWithPassword(t.db, { username: 'nofactor', password: PASSWORD }, at(1), audit.sink, opts);
    expect(a.ok && a.secondFactor).toBe('enrolment-needed');
    const b = await signInWithPassword(t.db, { username: 'pals', password: PASSWORD }, at(1), audit.sink, opts);
    expect(b.ok && b.secondFactor).toBe('none');
    const c = await signInWithPassword(t.db, { username: 'nofactor', password: PASSWORD }, at(1), audit.sink, { ...opts, mfaRequired: false });
    expect(c.ok && c.secondFactor).toBe('none');
  });

  it('gives one answer for an unknown user and a wrong password, without auditing the attempted username', async () => {
    const audit = recordingSink();
    const unknown = await signInWithPassword(t.db, { username: 'nobody', password: PASSWORD }, at(1), audit.sink, opts);
    const wrong = await signInWithPassword(t.db, { username: 'pals', password: 'not the password at all' }, at(1), audit.sink, opts);
    expect(unknown).toEqual(wrong);
    expect(unknown).toMatchObject({ ok: false, code: 'invalid-credentials' });
    expect(audit.events[0]).toMatchObject({ action: 'sign-in-failed', actor: { kind: 'system', id: 'sign-in' }, details: { reason: 'unknown-user' } });
    expect(JSON.stringify(audit.events)).not.toContain('nobody');
  });

  it('locks after 5 failures, refuses even the right password while locked, and lets in after 15 minutes', async () => {
    const audit = recordingSink();
    await addUser(t.db, { username: 'victim', name: 'Vic Tim', organisationOds: 'RJE', role: 'pals-officer', password: PASSWORD }, at(0), audit.sink, CLI_ACTOR, opts);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await signInWithPassword(t.db, { username: 'victim', password: `wrong guess number ${i}` }, at(10 + i), audit.sink, opts);
      codes.push(r.ok ? 'ok' : r.code);
    }
    expect(codes).toEqual(['invalid-credentials', 'invalid-credentials', 'invalid-credentials', 'invalid-credentials', 'locked']);
    expect(await signInWithPassword(t.db, { username: 'victim', password: PASSWORD }, at(20), audit.sink, opts)).toMatchObject({ ok: false, code: 'locked' });
    const victim = await t.db.selectFrom('users').select('id').where('username', '=', 'victim').executeTakeFirstOrThrow();
    expect((await loadDecisionUser(t.db, victim.id, { mfaSatisfied: true }, at(20)))?.status).toBe('locked');
    expect((await signInWithPassword(t.db, { username: 'victim', password: PASSWORD }, at(29), audit.sink, opts)).ok).toBe(true);
    expect(audit.events.filter((e) => e.details.locked === true)).toHaveLength(1);
  });

  it('forgets failures spread wider than the window', async () => {
    const audit = recordingSink();
    await addUser(t.db, { username: 'slowtypist', name: 'Sam Slow', organisationOds: 'RJE', role: 'pals-officer', password: PASSWORD }, at(0), audit.sink, CLI_ACTOR, opts);
    for (let i = 0; i < 6; i++) {
      const r = await signInWithPassword(t.db, { username: 'slowtypist', password: 'wrong wrong wrong' }, at(i * 20), audit.sink, opts);
      expect(r).toMatchObject({ ok: false, code: 'invalid-credentials' });
    }
  });

  it('counts wrong codes towards the lock, and a lock ends the half-signed-in session', async () => {
    const audit = recordingSink();
    const r = await signInWithPassword(t.db, { username: 'doc', password: PASSWORD }, at(100), audit.sink, { ...opts, maxFailures: 3 });
    if (!r.ok) throw new Error(r.code);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await confirmSecondFactor(t.db, r.session.sessionId, '000000', at(100), audit.sink, { ...opts, maxFailures: 3 }));
    expect(results.map((x) => (x.ok ? 'ok' : x.code))).toEqual(['invalid-code', 'invalid-code', 'locked']);
    expect(await touchSession(t.db, r.session.sessionId, at(100), audit.sink, opts)).toEqual({ ok: false, reason: 'signed-out' });
    await t.db.updateTable('users').set({ locked_until: null }).where('username', '=', 'doc').execute();
  });

  it('refuses a suspended account only after the right password', async () => {
    const audit = recordingSink();
    await addUser(t.db, { username: 'gone', name: 'Gus Gone', organisationOds: 'RJE', role: 'pals-officer', password: PASSWORD }, at(0), audit.sink, CLI_ACTOR, opts);
    await suspendUser(t.db, 'gone', at(0), audit.sink, CLI_ACTOR);
    expect(await signInWithPassword(t.db, { username: 'gone', password: 'some wrong password' }, at(1), audit.sink, opts)).toMatchObject({ code: 'invalid-credentials' });
    expect(await signInWithPassword(t.db, { username: 'gone', password: PASSWORD }, at(1), audit.sink, opts)).toMatchObject({ code: 'suspended' });
  });

  it.each([
    ['used every 20 minutes until the absolute timeout', [20, 40, 60, 80, 100, 120], 12 * 60, 'expired'],
    ['idle for exactly 30 minutes', [], 30, 'idle'],
  ])('a session %s ends', async (_n, uses, finalMinute, reason) => {
    const audit = recordingSink();
    const r = await signInWithPassword(t.db, { username: 'pals', password: PASSWORD }, at(0), audit.sink, opts);
    if (!r.ok) throw new Error(r.code);
    for (const m of uses) expect((await touchSession(t.db, r.session.sessionId, at(m), audit.sink, opts)).ok).toBe(true);
    if (reason === 'expired') {
      for (let m = 140; m < finalMinute; m += 20) expect((await touchSession(t.db, r.session.sessionId, at(m), audit.sink, opts)).ok).toBe(true);
    }
    expect(await touchSession(t.db, r.session.sessionId, at(finalMinute), audit.sink, opts)).toEqual({ ok: false, reason });
    expect(await touchSession(t.db, r.session.sessionId, at(finalMinute + 1), audit.sink, opts)).toEqual({ ok: false, reason });
    expect(audit.events.at(-1)).toMatchObject({ action: 'sign-out', details: { reason } });
  });

  it('records activity at most every 30 seconds, and counts the idle timeout from the activity recorded', async () => {
    const audit = recordingSink();
    const r = await signInWithPassword(t.db, { username: 'pals', password: PASSWORD }, at(0), audit.sink, opts);
    if (!r.ok) throw new Error(r.code);
    const lastSeen = async () => (await t.db.selectFrom('sessions').select('last_seen_at').where('id_hash', '=', hashSessionId(r.session.sessionId)).executeTakeFirstOrThrow()).last_seen_at.toISOString();
    const idleAt = async (ms: number) => {
      const c = await touchSession(t.db, r.session.sessionId, new Date(at(0).getTime() + ms), audit.sink, opts);
      if (!c.ok) throw new Error(c.reason);
      return c.session.idleExpiresAt.toISOString();
    };
    const minutes = (m: number, plusMs = 0) => new Date(at(0).getTime() + m * 60_000 + plusMs).toISOString();
    // A request 10 s after sign-in writes nothing; the timeout still runs from sign-in.
    expect(await idleAt(10_000)).toBe(minutes(30));
    expect(await lastSeen()).toBe(at(0).toISOString());
    // 30 s after the recorded activity, the request is recorded and the timeout moves on.
    expect(await idleAt(30_000)).toBe(minutes(30, 30_000));
    expect(await lastSeen()).toBe(minutes(0, 30_000));
    // Idle for 30 minutes from the activity recorded: ended, once, with the ending audited.
    expect(await touchSession(t.db, r.session.sessionId, new Date(at(0).getTime() + 30 * 60_000 + 30_000), audit.sink, opts)).toEqual({ ok: false, reason: 'idle' });
    expect(audit.events.filter((e) => e.action === 'sign-out')).toHaveLength(1);
  });

  it('signs out once; an unknown session id is unknown; only a hash of the id is stored', async () => {
    const audit = recordingSink();
    const r = await signInWithPassword(t.db, { username: 'pals', password: PASSWORD }, at(0), audit.sink, opts);
    if (!r.ok) throw new Error(r.code);
    const stored = await t.db.selectFrom('sessions').select('id_hash').execute();
    expect(stored.some((s) => s.id_hash === r.session.sessionId)).toBe(false);
    expect(await endSession(t.db, r.session.sessionId, at(1), audit.sink)).toBe(true);
    expect(await endSession(t.db, r.session.sessionId, at(2), audit.sink)).toBe(false);
    expect(await touchSession(t.db, r.session.sessionId, at(2), audit.sink, opts)).toEqual({ ok: false, reason: 'signed-out' });
    expect(await touchSession(t.db, 'not-a-session', at(2), audit.sink, opts)).toEqual({ ok: false, reason: 'unknown' });
  });
});
