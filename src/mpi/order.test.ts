/**
 * The clustering must not depend on the order records arrive in (property test, on the database),
 * and two workers linking records of one new person at the same moment must not leave two persons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { linkSourceRecord } from './link.ts';
import { recheckAlone } from './recheck.ts';
import { FEEDS, link, registerFixtureFeeds } from './testSupport.ts';

const NHS_A = '9434765919';
const NHS_B = '9434765870';
const mary: SourceDemographics = { localId: '', family: 'Whitfield', given: ['Mary'], birthDate: '1948-11-02', sex: 'female', postcode: 'TQ1 2BB', addressLines: ['3 Abbey Road'] };
const peter: SourceDemographics = { localId: '', family: 'Harcourt', given: ['Peter'], birthDate: '1961-05-17', sex: 'male', postcode: 'EX8 1QQ', addressLines: ['40 Marine Parade'] };

const RECORDS: [string, SourceDemographics][] = [
  [FEEDS.gp, { ...mary, localId: 'g-mary', nhsNumber: NHS_A, nhsNumberVerified: true }],
  [FEEDS.acute, { ...mary, localId: 'a-mary', nhsNumber: NHS_A, family: 'Whitfeld' }],
  [FEEDS.council, { ...mary, localId: 'c-mary', given: ['Molly'] }],
  // Mary's twin sister: the same everything but the given name and NHS number.
  [FEEDS.acute, { ...mary, localId: 'a-twin', given: ['Margaret'], nhsNumber: NHS_B }],
  [FEEDS.council, { ...mary, localId: 'c-twin', given: ['Margaret'] }],
  [FEEDS.gp, { ...peter, localId: 'g-peter' }],
  [FEEDS.acute, { ...peter, localId: 'a-peter', postcode: 'EX8 2ZZ', addressLines: [] }],
  [FEEDS.council, { ...peter, localId: 'c-peter', family: 'Harcort' }],
];

async function reset(db: TestDatabase): Promise<void> {
  await sql`truncate mpi_recheck, mpi_link_events, mpi_parameters, mpi_merges, mpi_separations, mpi_must_links, mpi_pairs, mpi_blocking_keys, mpi_records, resources, source_records, persons cascade`.execute(db.db);
}

async function partition(db: TestDatabase): Promise<string[]> {
  const rows = await db.db.selectFrom('source_records').select(['person_id', 'local_id']).execute();
  const by = new Map<string, string[]>();
  for (const r of rows) by.set(r.person_id, [...(by.get(r.person_id) ?? []), r.local_id]);
  return [...by.values()].map((x) => x.sort().join(',')).sort();
}

/**
 * Links `a1` (peter, misspelt) while `hiddenLocalId`'s keys are out of the index, as if its
 * transaction had not committed, then puts them back: as they were filed (their transaction and
 * snapshot kept) or, when `unfiled`, as an index filed before migration 0010 holds them. Returns
 * the hidden record's id.
 */
async function linkA1Unseen(db: TestDatabase, hiddenLocalId: string, unfiled: boolean): Promise<string> {
  const hidden = (await sql<{ key: string; record_id: string; filed_by: string | null; seen_below: string | null }>`
    select k.key, k.record_id, k.filed_by::text, k.seen_below::text from mpi_blocking_keys k join mpi_records r on r.id = k.record_id where r.local_id = ${hiddenLocalId}`.execute(db.db)).rows;
  expect(hidden.every((k) => k.filed_by !== null && k.seen_below !== null)).toBe(true);
  await sql`delete from mpi_blocking_keys where record_id = ${hidden[0]!.record_id}`.execute(db.db);
  await link(db.db, FEEDS.acute, { ...peter, localId: 'a1', family: 'Harcort' });
  await sql`insert into mpi_blocking_keys (key, record_id, filed_by, seen_below)
    select * from unnest(${hidden.map((k) => k.key)}::text[], ${hidden.map((k) => k.record_id)}::bigint[],
      ${hidden.map((k) => (unfiled ? null : k.filed_by))}::xid8[], ${hidden.map((k) => (unfiled ? null : k.seen_below))}::xid8[])`.execute(db.db);
  return hidden[0]!.record_id;
}

describe.each(testEngines())('order independence on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    await registerFixtureFeeds(db.db);
  });
  afterAll(async () => db.dispose());

  it('gives the same persons whatever the arrival order', async () => {
    await reset(db);
    for (const [feed, d] of RECORDS) await link(db.db, feed, d);
    const reference = await partition(db);
    expect(reference).toContain('a-mary,c-mary,g-mary');
    expect(reference.some((p) => p.includes('a-twin') && p.includes('mary'))).toBe(false);
    await fc.assert(fc.asyncProperty(fc.shuffledSubarray(RECORDS.map((_r, i) => i), { minLength: RECORDS.length }), async (order) => {
      await reset(db);
      for (const i of order) {
        const [feed, d] = RECORDS[i]!;
        await link(db.db, feed, d);
      }
      expect(await partition(db)).toEqual(reference);
    }), { numRuns: 8, seed: 7 });
  }, 60_000);

  it('joins a record that could not see its twin when filed once the recheck looks again', async () => {
    await reset(db);
    await link(db.db, FEEDS.gp, { ...peter, localId: 'g1' });
    // As if g1 were still uncommitted in another worker's transaction: a1 cannot find it…
    await linkA1Unseen(db, 'g1', true);
    // …and a1 looked for candidates before g1's transaction had finished, as in the real race.
    await sql`update mpi_records set seen_below = (select filed_by from mpi_records where local_id = 'g1') where local_id = 'a1'`.execute(db.db);
    expect(await partition(db)).toEqual(['a1', 'g1']);
    const r = await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') });
    expect(r.linked).toBe(1);
    expect(await partition(db)).toEqual(['a1,g1']);
    expect(await recheckAlone(db.db, { now: new Date() })).toEqual({ checked: 0, linked: 0 });
  });

  it('finds the twin through the transactions that filed at the same moment, and only then', async () => {
    await reset(db);
    await link(db.db, FEEDS.gp, { ...peter, localId: 'g1' });
    // As above, but g1's keys come back as filed (their transaction and snapshot kept), so the
    // recheck must learn from mpi_filings, not from keys of unknown filing, that a1 may have missed them.
    await linkA1Unseen(db, 'g1', false);
    // As in a quiet database, each looked for candidates after the other had committed: nothing was
    // missed, nothing is scored again.
    await sql`update mpi_records set seen_below = filed_by where local_id in ('g1', 'a1')`.execute(db.db);
    await sql`update mpi_blocking_keys set seen_below = filed_by`.execute(db.db);
    await sql`update mpi_filings set seen_below = filed_by`.execute(db.db);
    expect(await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') })).toEqual({ checked: 2, linked: 0 });
    expect(await partition(db)).toEqual(['a1', 'g1']);
    // a1 looked before g1's transaction had finished (as in the real race) and is queued again.
    await sql`update mpi_records set seen_below = (select filed_by from mpi_records where local_id = 'g1') where local_id = 'a1'`.execute(db.db);
    await sql`insert into mpi_recheck (record_id) select id from mpi_records where local_id = 'a1'`.execute(db.db);
    expect(await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') })).toEqual({ checked: 1, linked: 1 });
    expect(await partition(db)).toEqual(['a1,g1']);
  });

  it('looks under each key as far as the last transaction that may have missed the record', async () => {
    await reset(db);
    // Two transactions file while a1 looks for candidates: g-mary's first, then c1's with a1's twin.
    await link(db.db, FEEDS.gp, { ...mary, localId: 'g-mary' });
    await link(db.db, FEEDS.council, { ...peter, localId: 'c1' });
    await linkA1Unseen(db, 'c1', false);
    // a1 looked before g-mary's transaction had finished, so c1's (filed after it) may have been missed too.
    await sql`update mpi_records set seen_below = (select filed_by from mpi_records where local_id = 'g-mary') where local_id = 'a1'`.execute(db.db);
    await sql`update mpi_filings set seen_below = (select seen_below from mpi_records where local_id = 'a1') where filed_by = (select filed_by from mpi_records where local_id = 'a1')`.execute(db.db);
    expect(await partition(db)).toEqual(['a1', 'c1', 'g-mary']);
    expect(await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') })).toMatchObject({ linked: 1 });
    expect(await partition(db)).toEqual(['a1,c1', 'g-mary']);
  });

  it('reads the blocks of keys filed before their transactions were recorded (migration 0010)', async () => {
    await reset(db);
    await link(db.db, FEEDS.gp, { ...peter, localId: 'g1' });
    // g1 comes back as an index filed before 0010 holds it: no filing transaction, no snapshot.
    const g1 = await linkA1Unseen(db, 'g1', true);
    await sql`update mpi_records set filed_by = null, seen_below = null where local_id = 'g1'`.execute(db.db);
    // Only a1 is looked at again (g1's own second look was long ago).
    await sql`delete from mpi_recheck where record_id = ${g1}`.execute(db.db);
    expect(await partition(db)).toEqual(['a1', 'g1']);
    expect(await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') })).toMatchObject({ linked: 1 });
    expect(await partition(db)).toEqual(['a1,g1']);
  });

  // Only PostgreSQL has concurrent transactions (PGlite has one connection).
  if (engine === 'postgres') it('two records of one new person linked at once by two workers make one person after the recheck', async () => {
    for (let round = 0; round < 5; round++) {
      await reset(db);
      const at = new Date('2026-01-01T00:00:00Z');
      await Promise.all([
        transaction(db.db, (trx) => linkSourceRecord(trx, FEEDS.gp, { ...peter, localId: `g${round}` }, 'v1', [], at)),
        transaction(db.db, (trx) => linkSourceRecord(trx, FEEDS.acute, { ...peter, localId: `a${round}`, family: 'Harcort' }, 'v1', [], at)),
      ]);
      await recheckAlone(db.db, { now: at });
      expect(await partition(db)).toEqual([`a${round},g${round}`]);
    }
  });
});
