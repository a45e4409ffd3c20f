import { describe, expect, it } from 'vitest';
import type { Listen } from '../store/db.ts';
import type { DecisionUserRow } from './users.ts';
import { UserRowCache, USERS_CHANGED_CHANNEL, watchUsers, type UserKey } from './userCache.ts';

function row(username: string, status: 'active' | 'suspended' = 'active'): DecisionUserRow {
  return {
    id: `id-${username}`, username, role: 'clinician', status, lockedUntil: null, trainingValidUntil: '2099-12-31',
    registrationBody: 'GMC', registrationNumber: '1234567', systemWideIg: false,
    organisation: { ods: 'RJE', kind: 'nhs-trust', isaFrom: null, isaTo: null },
  };
}

/** A users table in memory that counts its reads. */
function table(...names: string[]) {
  const rows = new Map(names.map((n) => [n, row(n)]));
  const t = {
    rows,
    reads: 0,
    load: async (key: UserKey) => {
      t.reads++;
      const found = typeof key === 'string' ? [...rows.values()].find((r) => r.id === key) : rows.get(key.username);
      return found ?? null;
    },
  };
  return t;
}

/** A LISTEN the test controls: it can refuse, deliver notifications and lose its connection. */
function fakeListen() {
  const f = {
    refuse: false,
    attempts: 0,
    open: 0,
    notify: () => undefined as void,
    lose: () => undefined as void,
    listen: (async (channel, onNotify, onLost) => {
      f.attempts++;
      expect(channel).toBe(USERS_CHANGED_CHANNEL);
      if (f.refuse) throw new Error('connection refused');
      f.open++;
      let closed = false;
      f.notify = () => onNotify('users');
      f.lose = () => { if (!closed) { closed = true; f.open--; onLost(new Error('lost')); } };
      return { close: async () => { if (!closed) { closed = true; f.open--; } } };
    }) as Listen,
  };
  return f;
}

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
}

describe('UserRowCache', () => {
  it('reads through, keeping nothing, until it is listening', async () => {
    const t = table('a');
    const cache = new UserRowCache(t.load);
    for (let i = 0; i < 3; i++) expect(await cache.get({ username: 'a' })).toEqual(row('a'));
    expect(t.reads).toBe(3);
    expect(cache.size).toBe(0);
  });

  it('while listening, reads a user once by username or id, and again after any change is heard', async () => {
    const t = table('a', 'b');
    const cache = new UserRowCache(t.load);
    cache.setListening(true);
    await cache.get({ username: 'a' });
    await cache.get({ username: 'a' });
    await cache.get('id-a');
    expect(t.reads).toBe(1);
    t.rows.set('a', row('a', 'suspended'));
    expect((await cache.get({ username: 'a' }))?.status).toBe('active');
    cache.changed();
    expect((await cache.get({ username: 'a' }))?.status).toBe('suspended');
    expect(t.reads).toBe(2);
  });

  it('never keeps an unknown user: a user added later is found', async () => {
    const t = table();
    const cache = new UserRowCache(t.load);
    cache.setListening(true);
    expect(await cache.get({ username: 'new' })).toBeNull();
    t.rows.set('new', row('new'));
    expect(await cache.get({ username: 'new' })).toEqual(row('new'));
  });

  it('does not keep a row read while a change was heard (it may be from before the change)', async () => {
    const t = table('a');
    let release = () => undefined as void;
    const slow = async (key: UserKey) => {
      const r = await t.load(key);
      await new Promise<void>((resolve) => { release = resolve; });
      return r;
    };
    const cache = new UserRowCache(slow);
    cache.setListening(true);
    const pending = cache.get({ username: 'a' });
    await until(() => t.reads === 1);
    cache.changed();
    release();
    expect((await pending)?.status).toBe('active');
    expect(cache.size).toBe(0);
  });

  it('forgets everything and reads through when it stops listening', async () => {
    const t = table('a');
    const cache = new UserRowCache(t.load);
    cache.setListening(true);
    await cache.get({ username: 'a' });
    cache.setListening(false);
    expect(cache.size).toBe(0);
    await cache.get({ username: 'a' });
    await cache.get({ username: 'a' });
    expect(t.reads).toBe(3);
  });

  it('keeps at most its limit of users, dropping the oldest, and still finds the dropped one', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `u${i}`);
    const t = table(...names);
    const cache = new UserRowCache(t.load, 10);
    cache.setListening(true);
    for (const n of names) await cache.get({ username: n });
    expect(cache.size).toBeLessThanOrEqual(2 * 10);
    const reads = t.reads;
    expect(await cache.get({ username: 'u24' })).toEqual(row('u24'));
    expect(t.reads).toBe(reads);
    expect(await cache.get({ username: 'u0' })).toEqual(row('u0'));
    expect(t.reads).toBe(reads + 1);
  });
});

describe('watchUsers', () => {
  it('listens, forgets on every notification, and closes its subscription', async () => {
    const t = table('a');
    const cache = new UserRowCache(t.load);
    const f = fakeListen();
    const watch = watchUsers(cache, f.listen);
    await watch.ready;
    expect(cache.listening).toBe(true);
    await cache.get({ username: 'a' });
    f.notify();
    expect(cache.size).toBe(0);
    await watch.close();
    expect(f.open).toBe(0);
    expect(cache.listening).toBe(false);
  });

  it('is bypassed while it cannot listen or has lost its connection, and listens again', async () => {
    const t = table('a');
    const cache = new UserRowCache(t.load);
    const f = fakeListen();
    f.refuse = true;
    const watch = watchUsers(cache, f.listen, { retryMs: 5 });
    await watch.ready;
    expect(cache.listening).toBe(false);
    await cache.get({ username: 'a' });
    expect(cache.size).toBe(0);
    f.refuse = false;
    await until(() => cache.listening);
    await cache.get({ username: 'a' });
    expect(cache.size).toBeGreaterThan(0);

    f.lose();
    expect(cache.listening).toBe(false);
    expect(cache.size).toBe(0);
    t.rows.set('a', row('a', 'suspended'));
    expect((await cache.get({ username: 'a' }))?.status).toBe('suspended');
    await until(() => cache.listening);
    expect(f.open).toBe(1);
    await watch.close();
    expect(f.open).toBe(0);
  });

  it('stops trying when closed while it cannot listen', async () => {
    const cache = new UserRowCache(table().load);
    const f = fakeListen();
    f.refuse = true;
    const watch = watchUsers(cache, f.listen, { retryMs: 5 });
    await watch.ready;
    await watch.close();
    const attempts = f.attempts;
    await new Promise((r) => setTimeout(r, 30));
    expect(f.attempts).toBe(attempts);
  });
});
