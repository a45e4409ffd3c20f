import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { CLI_ACTOR } from './audit.ts';
import { AccessError, type AccessErrorCode } from './errors.ts';
import { addUser, enrolTotp, listUsers, loadDecisionUser, reinstateUser, setRegistration, setTraining, suspendUser, unlockUser, type NewUser } from './users.ts';
import { verifyPassword } from './passwords.ts';
import { recordingSink, seedPartners, TEST_SCRYPT } from './testing.ts';

const NOW = new Date('2025-06-15T10:00:00.000Z');
const opts = { scrypt: TEST_SCRYPT };
const base: NewUser = { username: 'a.clinician', name: 'Alex Clinician', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:1234567', trainingValidUntil: '2026-03-31' };

describe.each(testEngines())('users on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
  });
  afterAll(async () => t.dispose());

  it('adds a user, audits it and lists it', async () => {
    const audit = recordingSink();
    const { user, totpUri } = await addUser(t.db, { ...base, password: 'orange bicycle harbour cloud', enrolTotp: true }, NOW, audit.sink, CLI_ACTOR, opts);
    expect(user).toMatchObject({ username: 'a.clinician', organisationOds: 'RJE', role: 'clinician', registration: { body: 'GMC', number: '1234567' }, trainingValidUntil: '2026-03-31', status: 'active', totpEnrolled: true, passwordSet: true });
    expect(totpUri).toMatch(/^otpauth:\/\/totp\/.*a\.clinician/);
    expect(audit.events).toMatchObject([{ action: 'user-changed', actor: CLI_ACTOR, outcome: 'success', details: { change: 'created', userId: user.id, role: 'clinician' } }]);
    const stored = await t.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(stored.password_hash!, 'orange bicycle harbour cloud')).toBe(true);
    expect((await listUsers(t.db)).map((u) => u.username)).toContain('a.clinician');
  });

  it.each<[string, Partial<NewUser>, AccessErrorCode, string]>([
    ['username with a space', { username: 'a b' }, 'invalid-username', 'username'],
    ['one-character username', { username: 'a' }, 'invalid-username', 'username'],
    ['username taken', { username: 'A.Clinician' }, 'duplicate-username', 'username'],
    ['empty name', { name: '   ' }, 'invalid-name', 'name'],
    ['unknown role', { role: 'surgeon' }, 'unknown-role', 'role'],
    ['clinician without registration', { registration: null }, 'registration-required', 'registration'],
    ['registration without a colon', { registration: 'GMC1234567' }, 'invalid-registration', 'registration'],
    ['unknown register', { registration: 'XYZ:123' }, 'invalid-registration', 'registration'],
    ['GMC number of six digits', { registration: 'GMC:123456' }, 'invalid-registration', 'registration'],
    ['clinician on Social Work England', { registration: 'SWE:SW123456' }, 'wrong-register-for-role', 'registration'],
    ['training date not a date', { trainingValidUntil: '31/03/2026' }, 'invalid-date', 'training-until'],
    ['training date impossible', { trainingValidUntil: '2026-02-30' }, 'invalid-date', 'training-until'],
    ['short password', { password: 'short' }, 'weak-password', 'password'],
    ['common password', { password: 'password1234' }, 'weak-password', 'password'],
    ['password containing the username', { password: 'a.clinician-is-me-123' }, 'weak-password', 'password'],
    ['organisation not registered', { organisationOds: 'ZZZ99' }, 'unknown-organisation', 'org'],
  ])('refuses %s', async (_name, over, code, where) => {
    const audit = recordingSink();
    const err = await addUser(t.db, { ...base, username: 'other.user', ...over }, NOW, audit.sink, CLI_ACTOR, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessError);
    expect(err).toMatchObject({ code, where });
    expect(audit.events).toEqual([]);
  });

  it('adds roles that need no registration without one', async () => {
    const audit = recordingSink();
    const { user } = await addUser(t.db, { username: 'pals.one', name: 'Pat Pals', organisationOds: 'rje', role: 'pals-officer' }, NOW, audit.sink, CLI_ACTOR, opts);
    expect(user).toMatchObject({ organisationOds: 'RJE', registration: null, trainingValidUntil: null, passwordSet: false, totpEnrolled: false });
  });

  it('suspends (ending sessions), reinstates, records training and registration, unlocks; each audited', async () => {
    const audit = recordingSink();
    const { user } = await addUser(t.db, { ...base, username: 'sw.one', role: 'social-care-practitioner', registration: 'SWE:SW123456', organisationOds: 'SCC01' }, NOW, audit.sink, CLI_ACTOR, opts);
    await t.db.insertInto('sessions').values({ id_hash: 'h1', user_id: user.id, csrf_token: 'c', mfa_satisfied: true, method: 'password', created_at: NOW, last_seen_at: NOW, expires_at: new Date(NOW.getTime() + 3_600_000), ended_at: null, end_reason: null }).execute();
    expect((await suspendUser(t.db, 'SW.ONE', NOW, audit.sink, CLI_ACTOR)).status).toBe('suspended');
    expect(await t.db.selectFrom('sessions').select('end_reason').where('id_hash', '=', 'h1').executeTakeFirstOrThrow()).toEqual({ end_reason: 'user-suspended' });
    await expect(suspendUser(t.db, 'sw.one', NOW, audit.sink, CLI_ACTOR)).rejects.toMatchObject({ code: 'already-suspended' });
    expect((await loadDecisionUser(t.db, user.id, { mfaSatisfied: true }, NOW))?.status).toBe('suspended');
    expect((await reinstateUser(t.db, 'sw.one', NOW, audit.sink, CLI_ACTOR)).status).toBe('active');
    expect((await setTraining(t.db, 'sw.one', '2027-01-31', NOW, audit.sink, CLI_ACTOR)).trainingValidUntil).toBe('2027-01-31');
    await expect(setTraining(t.db, 'sw.one', '2027-13-01', NOW, audit.sink, CLI_ACTOR)).rejects.toMatchObject({ code: 'invalid-date' });
    await expect(setRegistration(t.db, 'sw.one', 'GMC:1234567', NOW, audit.sink, CLI_ACTOR)).rejects.toMatchObject({ code: 'wrong-register-for-role' });
    expect((await setRegistration(t.db, 'sw.one', 'swe:sw654321', NOW, audit.sink, CLI_ACTOR)).registration).toEqual({ body: 'SWE', number: 'SW654321' });
    await t.db.updateTable('users').set({ locked_until: new Date(NOW.getTime() + 60_000), failed_attempts: 0 }).where('id', '=', user.id).execute();
    expect((await loadDecisionUser(t.db, user.id, { mfaSatisfied: true }, NOW))?.status).toBe('locked');
    expect((await unlockUser(t.db, 'sw.one', NOW, audit.sink, CLI_ACTOR)).lockedUntil).toBeNull();
    await expect(suspendUser(t.db, 'nobody', NOW, audit.sink, CLI_ACTOR)).rejects.toMatchObject({ code: 'unknown-user' });
    expect(audit.events.map((e) => e.details.change)).toEqual(['created', 'suspended', 'reinstated', 'training-updated', 'registration-updated', 'unlocked']);
  });

  it('enrols a second factor once, and again only when replacing', async () => {
    const audit = recordingSink();
    await addUser(t.db, { ...base, username: 'totp.user' }, NOW, audit.sink, CLI_ACTOR, opts);
    expect(await enrolTotp(t.db, 'totp.user', NOW, audit.sink, CLI_ACTOR)).toMatch(/^otpauth:\/\/totp\//);
    await expect(enrolTotp(t.db, 'totp.user', NOW, audit.sink, CLI_ACTOR)).rejects.toMatchObject({ code: 'totp-already-enrolled' });
    expect(await enrolTotp(t.db, 'totp.user', NOW, audit.sink, CLI_ACTOR, { replace: true })).toMatch(/^otpauth:/);
  });

  it('gives decide() the organisation kind and agreement dates from the registry', async () => {
    const audit = recordingSink();
    const { user } = await addUser(t.db, { ...base, username: 'lapsed.org', organisationOds: 'RLAPSED' }, NOW, audit.sink, CLI_ACTOR, opts);
    expect(await loadDecisionUser(t.db, user.id, { mfaSatisfied: false }, NOW)).toEqual({
      id: user.id, organisation: { ods: 'RLAPSED', kind: 'acute', isaMemberships: [{ from: '2019-01-01', to: '2020-12-31' }] }, role: 'clinician',
      status: 'active', trainingValidUntil: '2026-03-31', registration: { body: 'GMC', number: '1234567' }, mfaSatisfied: false, systemWideIg: false,
    });
  });
});
