import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from './feeds.ts';
import { claimPending, markProcessed, storeInInbox } from './inbox.ts';

const FEEDS = ['feed-a', 'feed-b', 'feed-c', 'feed-d', 'feed-e', 'feed-f'];

describe.each(testEngines())('claiming the inbox on %s', (engine) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
    for (const id of FEEDS) await addFeed(t.db, { id, organisationOds: 'RJE', format: 'hl7v2', sendingApplication: id });
  });
  afterAll(async () => t.dispose());

  /** Messages interleaved across `feeds`: a 1, b 1, …, a 2, … */
  async function store(feeds: readonly string[], rounds: number, tag: string): Promise<void> {
    let at = Date.UTC(2025, 0, 1);
    for (let n = 1; n <= rounds; n++) {
      for (const feedId of feeds) await storeInInbox(t.db, { feedId, messageId: `${feedId}-${tag}${n}`, kind: 'hl7v2', content: 'MSH|^~\\&|', units: 1 }, new Date(at++));
    }
  }

  it('takes one feed at a time, the one waiting longest, in order, each message once', async () => {
    await store(FEEDS, 3, 'o');
    const claims: string[][] = [];
    for (;;) {
      const claim = await transaction(t.db, async (trx) => {
        const got = await claimPending(trx, 2);
        await markProcessed(trx, got.rows.map((g) => Number(g.id)), 'done', new Date());
        return got;
      });
      if (claim.rows.length === 0) {
        expect(claim.busy).toBe(false);
        break;
      }
      claims.push(claim.rows.map((r) => r.message_id));
    }
    // Each claim holds one feed's messages, in the order they arrived.
    for (const c of claims) {
      expect(new Set(c.map((m) => m.replace(/-o\d+$/, ''))).size).toBe(1);
      expect(c).toEqual([...c].sort());
    }
    expect(claims.flat().sort()).toEqual(FEEDS.flatMap((f) => [1, 2, 3].map((n) => `${f}-o${n}`)).sort());
    // The feed whose oldest message is oldest goes first, then the next oldest (feed-b's first
    // message is older than feed-a's second).
    expect(claims[0]).toEqual(['feed-a-o1', 'feed-a-o2']);
    expect(claims[1]).toEqual(['feed-b-o1', 'feed-b-o2']);
  });

  // Two workers at once need two connections: PGlite has one, and runs one transaction at a time.
  it.skipIf(engine === 'pglite')('gives a second worker the next feed nobody holds, and tells it busy, not empty, when every pending feed is held', async () => {
    await store(['feed-e', 'feed-f'], 2, 'c');
    await transaction(t.db, async (first) => {
      const mine = await claimPending(first, 10);
      expect(mine.rows.map((r) => r.message_id)).toEqual(['feed-e-c1', 'feed-e-c2']);
      // feed-e is held by the first transaction until it ends: the second takes feed-f.
      const second = await transaction(t.db, async (trx) => claimPending(trx, 10));
      expect(second.rows.map((r) => r.message_id)).toEqual(['feed-f-c1', 'feed-f-c2']);
      // Its transaction has ended, so feed-f is free again; a third, while feed-f's rows are taken by a
      // fourth that is still open, finds only held work: busy, not empty.
      await transaction(t.db, async (fourth) => {
        const again = await claimPending(fourth, 10);
        expect(again.rows.map((r) => r.message_id)).toEqual(['feed-f-c1', 'feed-f-c2']);
        expect(await transaction(t.db, async (trx) => claimPending(trx, 10))).toEqual({ rows: [], busy: true });
        await markProcessed(fourth, again.rows.map((r) => Number(r.id)), 'done', new Date());
      });
      await markProcessed(first, mine.rows.map((r) => Number(r.id)), 'done', new Date());
    });
    // Nothing pending anywhere: empty.
    expect(await transaction(t.db, async (trx) => claimPending(trx, 10))).toEqual({ rows: [], busy: false });
  });
});
