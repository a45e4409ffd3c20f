import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptMappings, receiptMappings } from './receiptMappings.ts';
import type { SourceAction } from './sourceAction.ts';
import { createTestDatabase, type TestDatabase } from '../store/testing.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed, getFeed, type Feed } from './feeds.ts';
import { receiveHl7Message } from './receive/hl7v2.ts';
import { mapStored } from './mapStored.ts';
import { parse } from '../formats/hl7v2/index.ts';
import { mapHl7v2 } from './map/hl7v2/index.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';

const action = (sourceId: string): SourceAction => ({ kind: 'delete', resourceType: 'Encounter', sourceId, sourceVersion: '1', subjectLocalId: 'H1' });

type Step =
  | { put: [feed: string, id: string, ods: string, text: string]; at?: number }
  | { take: [feed: string, id: string, ods: string, text: string]; gets: string | undefined }
  | { drop: [feed: string, id: string] };

const cases: Array<[string, { maxEntries: number; maxChars: number; maxAgeMs: number }, Step[]]> = [
  ['the same text from the same feed is taken', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { take: ['f', 'm1', 'RJE', 'text-1'], gets: 'm1' }]],
  ['each entry is taken once', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { take: ['f', 'm1', 'RJE', 'text-1'], gets: 'm1' }, { take: ['f', 'm1', 'RJE', 'text-1'], gets: undefined }]],
  ['a reused control id with other text is mapped again', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { take: ['f', 'm1', 'RJE', 'text-2'], gets: undefined }]],
  ['another feed\'s message with the same id is not this one', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { take: ['g', 'm1', 'RJE', 'text-1'], gets: undefined }]],
  ['a feed now under another organisation maps again', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { take: ['f', 'm1', 'RTG', 'text-1'], gets: undefined }]],
  ['a dropped entry is gone', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'text-1'] }, { drop: ['f', 'm1'] }, { take: ['f', 'm1', 'RJE', 'text-1'], gets: undefined }]],
  ['when full by number the newest is not kept (workers take the oldest first)', { maxEntries: 2, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'a'] }, { put: ['f', 'm2', 'RJE', 'b'] }, { put: ['f', 'm3', 'RJE', 'c'] },
    { take: ['f', 'm1', 'RJE', 'a'], gets: 'm1' }, { take: ['f', 'm2', 'RJE', 'b'], gets: 'm2' }, { take: ['f', 'm3', 'RJE', 'c'], gets: undefined }]],
  ['when full by size the newest is not kept', { maxEntries: 10, maxChars: 10, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'aaaaaa'] }, { put: ['f', 'm2', 'RJE', 'bbbbbb'] },
    { take: ['f', 'm1', 'RJE', 'aaaaaa'], gets: 'm1' }, { take: ['f', 'm2', 'RJE', 'bbbbbb'], gets: undefined }]],
  ['taking makes room again', { maxEntries: 1, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'a'] }, { take: ['f', 'm1', 'RJE', 'a'], gets: 'm1' }, { put: ['f', 'm2', 'RJE', 'b'] }, { take: ['f', 'm2', 'RJE', 'b'], gets: 'm2' }]],
  ['an entry nobody took in time gives way to a new one', { maxEntries: 1, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'a'], at: 0 }, { put: ['f', 'm2', 'RJE', 'b'], at: 1000 },
    { take: ['f', 'm1', 'RJE', 'a'], gets: undefined }, { take: ['f', 'm2', 'RJE', 'b'], gets: 'm2' }]],
  ['a young entry stays', { maxEntries: 1, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'a'], at: 0 }, { put: ['f', 'm2', 'RJE', 'b'], at: 999 },
    { take: ['f', 'm1', 'RJE', 'a'], gets: 'm1' }, { take: ['f', 'm2', 'RJE', 'b'], gets: undefined }]],
  ['a message larger than the whole limit is not kept', { maxEntries: 10, maxChars: 4, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'aaaaaa'] }, { take: ['f', 'm1', 'RJE', 'aaaaaa'], gets: undefined }]],
  ['putting the same id again keeps the newer text', { maxEntries: 10, maxChars: 1000, maxAgeMs: 1000 }, [
    { put: ['f', 'm1', 'RJE', 'old'] }, { put: ['f', 'm1', 'RJE', 'new'] }, { take: ['f', 'm1', 'RJE', 'new'], gets: 'm1' }]],
];

describe('ReceiptMappings', () => {
  it.each(cases)('%s', (_name, limits, steps) => {
    const kept = new ReceiptMappings(limits);
    for (const step of steps) {
      if ('put' in step) kept.put(...step.put, [action(step.put[1])], step.at ?? 0);
      else if ('drop' in step) kept.drop(...step.drop);
      else expect(kept.take(...step.take)?.map((a) => (a.kind === 'delete' ? a.sourceId : ''))[0]).toBe(step.gets);
    }
  });
});

describe('receipt hands its mapping to the worker', () => {
  let t: TestDatabase;
  let feed: Feed;
  const text = (controlId: string) => [
    `MSH|^~\\&|PAS|RJE|OHC|OHC|20250101120000||ADT^A28^ADT_A05|${controlId}|P|2.4`,
    `PID|1||${testRangeNhsNumber(7)}^^^NHS^NH~H700^^^RJE^PI||Example^Jo||19800215|F`,
  ].join('\r');
  const row = async (controlId: string) => t.db.selectFrom('inbox').selectAll().where('message_id', '=', controlId).executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
    await addFeed(t.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
    feed = (await getFeed(t.db, 'rje-pas'))!;
  });
  afterAll(async () => t.dispose());

  it('the worker takes the actions receipt mapped instead of mapping again', async () => {
    const before = receiptMappings.size;
    const r = await receiveHl7Message(t.db, text('KEEP1'), new Date());
    expect(r.code).toBe('AA');
    expect(receiptMappings.size).toBe(before + 1);
    const taken = await mapStored(await row('KEEP1'), feed, t.db);
    expect(receiptMappings.size).toBe(before);
    const parsed = parse(text('KEEP1'));
    expect(parsed.ok && mapHl7v2(parsed.message, { feedId: feed.id, odsCode: feed.organisationOds })).toEqual({ ok: true, actions: taken.actions });
  });

  it('a repeat keeps nothing for a worker that will never come', async () => {
    await receiveHl7Message(t.db, text('KEEP2'), new Date());
    await mapStored(await row('KEEP2'), feed, t.db);
    const before = receiptMappings.size;
    const again = await receiveHl7Message(t.db, text('KEEP2'), new Date());
    expect(again.stored).toBe(false);
    expect(receiptMappings.size).toBe(before);
  });

  it('what the worker gets is what receipt kept for exactly that text', async () => {
    await receiveHl7Message(t.db, text('KEEP3'), new Date());
    const stored = await row('KEEP3');
    // Stand in for the kept entry: the worker returns it rather than parsing the text.
    receiptMappings.put(feed.id, 'KEEP3', feed.organisationOds, stored.content, [action('sentinel')]);
    expect((await mapStored(stored, feed, t.db)).actions).toEqual([action('sentinel')]);
  });
});
