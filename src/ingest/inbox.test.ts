import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from './feeds.ts';
import { claimPending, markProcessed, storeInInbox } from './inbox.ts';

const FEEDS = ['feed-a', 'feed-b', 'feed-c', 'feed-d', 'feed-e', 'feed-f'];

describe.each(testEngines())('claiming the inbox on %s', (engine) => {
  let t: TestDatabase;
  /** Which share (of 2) each feed falls in, as the database hashes it. */
  let share: Map<string, number>;

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
    for (const id of FEEDS) await addFeed(t.db, { id, organisationOds: 'RJE', format: 'hl7v2', sendingApplication: id });
    const r = await sql<{ id: string; s: number }>`select id, mod(abs(hashtext(id)), 2) as s from feeds`.execute(t.db);
    share = new Map(r.rows.map((x) => [x.id, Number(x.s)]));
  });
  afterAll(async () => t.dispose());

  it('takes one feed of its share at a time, the one waiting longest, in order, and never another share\'s feed', async () => {
    // Messages interleaved across every feed: feed-a 1, feed-b 1, …, feed-a 2, …
    let at = Date.UTC(2025, 0, 1);
    for (let n = 1; n <= 3; n++) {
      for (const feedId of FEEDS) await storeInInbox(t.db, { feedId, messageId: `${feedId}-${n}`, kind: 'hl7v2', content: 'MSH|^~\\&|', units: 1 }, new Date(at++));
    }
    for (const index of [0, 1]) {
      const mine = FEEDS.filter((f) => share.get(f) === index);
      const claims: string[][] = [];
      for (;;) {
        const rows = await transaction(t.db, async (trx) => {
          const got = await claimPending(trx, 2, { of: 2, index });
          await markProcessed(trx, got.map((g) => Number(g.id)), 'done', new Date());
          return got;
        });
        if (rows.length === 0) break;
        claims.push(rows.map((r) => r.message_id));
      }
      // Each claim holds one feed's messages, in the order they arrived.
      for (const c of claims) {
        const feeds = new Set(c.map((m) => m.replace(/-\d+$/, '')));
        expect(feeds.size).toBe(1);
        expect(c).toEqual([...c].sort());
      }
      // Every message of the share's feeds, and none of the other share's, each once; the feed
      // whose oldest message is oldest goes first.
      const all = claims.flat();
      expect(all.sort()).toEqual(mine.flatMap((f) => [1, 2, 3].map((n) => `${f}-${n}`)).sort());
      if (mine.length > 0) expect(claims[0]![0]).toBe(`${mine[0]}-1`);
    }
  });
});
