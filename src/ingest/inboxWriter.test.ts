import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from './feeds.ts';
import { InboxWriter, inboxWriterFor } from './inboxWriter.ts';
import { BUSY_LOOP_SHARE, givingWayWhenBusy } from './worker.ts';
import type { InboxItem } from './inbox.ts';

const item = (messageId: string): InboxItem => ({ feedId: 'rje-pas', messageId, kind: 'hl7v2', content: `MSH|^~\\&|PAS|RJE|||||ADT^A08|${messageId}|P|2.4`, units: 1 });

describe.each(testEngines())('InboxWriter on %s', (engine) => {
  let t: TestDatabase;
  const count = async (prefix: string) => Number((await sql<{ n: number }>`select count(*)::int as n from inbox where message_id like ${`${prefix}%`}`.execute(t.db)).rows[0]!.n);

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
    await addFeed(t.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
  });
  afterAll(async () => t.dispose());

  it('several batches in flight store every message once and tell repeats apart', async () => {
    const writer = new InboxWriter(t.db, { maxBatch: 7, inFlight: 3 });
    const ids = Array.from({ length: 60 }, (_, i) => `GC${i}`);
    // Every message sent twice at the same moment: one copy is new, the other a repeat.
    const results = await Promise.all([...ids, ...ids].map((id) => writer.store(item(id), new Date())));
    expect(results.filter(Boolean)).toHaveLength(60);
    expect(await count('GC')).toBe(60);
    const again = await Promise.all(ids.map((id) => writer.store(item(id), new Date())));
    expect(again.some(Boolean)).toBe(false);
  });

  it('a worker giving way resumes only once what senders were waiting on is committed', async () => {
    const writer = new InboxWriter(t.db);
    expect(inboxWriterFor(t.db)).toBe(writer);
    const stored = writer.store(item('GW1'), new Date());
    await writer.giveWay(0, 60_000);
    expect(await count('GW1')).toBe(1);
    expect(await stored).toBe(true);
  });

  // Workers in other processes wait only while receiving keeps this server's loop busy: a
  // moderate stream must not hold them to a batch a second.
  it.each([
    ['an idle loop: the worker goes at once, though a message is on its way', 0.1, false],
    ['a loop just under the mark: goes at once', BUSY_LOOP_SHARE - 0.01, false],
    ['a busy loop: waits until the message is stored and senders are quiet', BUSY_LOOP_SHARE, true],
    ['a saturated loop: waits', 1, true],
  ])('%s', async (_name, utilisation, waits) => {
    const writer = new InboxWriter(t.db);
    const id = `BW${String(utilisation)}`;
    const stored = writer.store(item(id), new Date());
    let storedFirst = false;
    void stored.then(() => { storedFirst = true; });
    await givingWayWhenBusy(writer, 2, () => utilisation)();
    expect(storedFirst).toBe(waits);
    expect(await stored).toBe(true);
  });

  it('messages that arrived while a worker kept the thread busy are written before it goes on', async () => {
    const writer = new InboxWriter(t.db);
    let stored: Promise<boolean> | undefined;
    // A socket read waiting its turn of the event loop, as when a worker chained query after query.
    setImmediate(() => { stored = writer.store(item('GW2'), new Date()); });
    await writer.giveWay(0, 60_000);
    expect(await count('GW2')).toBe(1);
    expect(await stored).toBe(true);
  });
});
