import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { issueToken, tokenKey } from '../access/tokens.ts';
import { addUser } from '../access/users.ts';
import { CLI_ACTOR } from '../access/audit.ts';
import { recordingSink, seedPartners, TEST_SCRYPT } from '../access/testing.ts';
import { UserRowCache, watchUsers } from '../access/userCache.ts';
import { loadConfig } from '../config/config.ts';
import { listenerOf, type Listen } from '../store/db.ts';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { readPathDeps, VerifiedTokens, type ApiUser, type ReadPathDeps } from './readPath.ts';

const T0 = new Date('2026-12-01T09:00:00Z');
const key = randomBytes(32);
const other = randomBytes(32);

describe('VerifiedTokens', () => {
  it('answers a token as verifyToken would, at every moment of its life', async () => {
    let now = T0;
    const cache = new VerifiedTokens(key, () => now);
    const token = await issueToken(key, { kind: 'user', username: 'dr.patel' }, T0, 60);
    const cases: Array<[offsetSeconds: number, expected: string]> = [[0, 'ok'], [30, 'ok'], [59, 'ok'], [60, 'expired'], [3600, 'expired']];
    for (const [offset, expected] of cases) {
      now = new Date(T0.getTime() + offset * 1000);
      const v = await cache.verify(token);
      expect(v.ok ? 'ok' : v.reason, `at +${offset} s`).toBe(expected);
    }
  });

  it('never remembers a token that failed: a forged or malformed one fails every time', async () => {
    const cache = new VerifiedTokens(key, () => T0);
    const forged = await issueToken(other, { kind: 'user', username: 'dr.patel' }, T0, 60);
    for (const token of [forged, forged, 'not-a-token', `${forged.slice(0, -2)}xx`]) {
      expect(await cache.verify(token)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('keeps at most its limit of tokens, dropping the oldest, and still verifies the dropped one', async () => {
    const cache = new VerifiedTokens(key, () => T0, 2);
    const tokens = await Promise.all(['a', 'b', 'c'].map((u) => issueToken(key, { kind: 'user', username: u }, T0, 60)));
    for (const t of tokens) expect((await cache.verify(t)).ok).toBe(true);
    const first = await cache.verify(tokens[0]!);
    expect(first.ok && first.subject).toEqual({ kind: 'user', username: 'a' });
  });
});

describe.each(testEngines())('who a token names, kept between requests, on %s', (engine) => {
  let t: TestDatabase;
  let deps: ReadPathDeps;
  let clock = new Date();
  let token = '';
  const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
  const request = () => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;
  const signedIn = async () => {
    const r = await deps.authenticate(request());
    if (!('user' in r)) throw new Error(`not authenticated: ${r.message}`);
    return r.user;
  };
  /** Polls (each poll one request) until the user is as expected, for up to about a second. */
  const eventually = async (check: (u: ApiUser) => boolean): Promise<ApiUser> => {
    let u = await signedIn();
    for (let i = 0; i < 100 && !check(u); i++) {
      await new Promise((r) => setTimeout(r, 10));
      u = await signedIn();
    }
    expect(check(u)).toBe(true);
    return u;
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    await addUser(t.db, { username: 'dr.cached', name: 'Dr Cached', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:1234567', trainingValidUntil: '2099-12-31' }, clock, recordingSink().sink, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    token = await issueToken(await tokenKey(t.db), { kind: 'user', username: 'dr.cached' }, clock, 3600);
    deps = await readPathDeps(t.db, config, () => clock);
  });
  afterAll(async () => {
    await deps.close();
    await t.dispose();
  });

  it('reads the user once while nothing changes', async () => {
    expect(deps.users.listening).toBe(true);
    expect((await signedIn()).decisionUser.status).toBe('active');
    expect(deps.users.size).toBeGreaterThan(0);
    const again = await signedIn();
    expect(again.decisionUser).toMatchObject({ status: 'active', role: 'clinician', organisation: { ods: 'RJE' } });
  });

  it('a suspension made in SQL, outside the server, refuses the next request once the database says so', async () => {
    await signedIn();
    await sql`update users set status = 'suspended' where username = 'dr.cached'`.execute(t.db);
    const u = await eventually((x) => x.decisionUser.status === 'suspended');
    const d = await deps.decide({ user: u, personId: null, purpose: 'direct-care-view', now: clock });
    expect(d.allow).toBe(false);
    await sql`update users set status = 'active' where username = 'dr.cached'`.execute(t.db);
    await eventually((x) => x.decisionUser.status === 'active');
  });

  it('a change to the organisation is seen the same way', async () => {
    await signedIn();
    await sql`update organisations set isa_to = '2020-01-01' where ods_code = 'RJE'`.execute(t.db);
    const u = await eventually((x) => x.decisionUser.organisation.isaMemberships[0]?.to === '2020-01-01');
    expect(u.decisionUser.organisation.isaMemberships).toEqual([{ from: '2019-01-01', to: '2020-01-01' }]);
  });

  it('works out the clock-dependent parts on every request from the row kept', async () => {
    const until = new Date(clock.getTime() + 10 * 60_000);
    await sql`update users set locked_until = ${until}, training_valid_until = ${'2099-12-31'} where username = 'dr.cached'`.execute(t.db);
    await eventually((x) => x.decisionUser.status === 'locked');
    const before = clock;
    clock = new Date(until.getTime() + 1000);
    try {
      // No change to the row, no notification: the lock has simply run out.
      expect((await signedIn()).decisionUser.status).toBe('active');
    } finally {
      clock = before;
    }
  });

  it('reads every request afresh while it is not listening, and listens again', async () => {
    const real = listenerOf(t.db)!;
    let lose = () => undefined as void;
    let refuse = false;
    const listen: Listen = async (channel, onNotify, onLost) => {
      if (refuse) throw new Error('simulated: cannot connect');
      const sub = await real(channel, onNotify, onLost);
      lose = () => { void sub.close(); onLost(new Error('simulated: connection lost')); };
      return sub;
    };
    const cache = UserRowCache.reading(t.db);
    const watch = watchUsers(cache, listen, { retryMs: 20 });
    try {
      await watch.ready;
      expect((await cache.get({ username: 'dr.cached' }))?.status).toBe('active');
      expect(cache.size).toBeGreaterThan(0);
      refuse = true;
      lose();
      expect(cache.size).toBe(0);
      // Nobody hears this change; the next lookup sees it all the same, with no wait.
      await sql`update users set status = 'suspended' where username = 'dr.cached'`.execute(t.db);
      expect((await cache.get({ username: 'dr.cached' }))?.status).toBe('suspended');
      expect(cache.size).toBe(0);
      await sql`update users set status = 'active' where username = 'dr.cached'`.execute(t.db);
      expect((await cache.get({ username: 'dr.cached' }))?.status).toBe('active');
      refuse = false;
      for (let i = 0; i < 100 && !cache.listening; i++) await new Promise((r) => setTimeout(r, 10));
      expect(cache.listening).toBe(true);
      await cache.get({ username: 'dr.cached' });
      expect(cache.size).toBeGreaterThan(0);
    } finally {
      await watch.close();
    }
  });
});
