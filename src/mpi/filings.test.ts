/**
 * mpi_filings (one row a linking transaction, read by the recheck) is pruned, but never while a
 * record still queued for the recheck, or a transaction still linking, may need a row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import type { Transaction } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { linkSourceRecord } from './link.ts';
import { pruneFilings, recheckAlone } from './recheck.ts';
import { FEEDS, link, registerFixtureFeeds } from './testSupport.ts';

const people: SourceDemographics[] = [
  { localId: 'p1', family: 'Whitfield', given: ['Mary'], birthDate: '1948-11-02', sex: 'female', postcode: 'TQ1 2BB' },
  { localId: 'p2', family: 'Harcourt', given: ['Peter'], birthDate: '1961-05-17', sex: 'male', postcode: 'EX8 1QQ' },
  { localId: 'p3', family: 'Okafor', given: ['Grace'], birthDate: '1990-02-28', sex: 'female', postcode: 'PL4 6AB' },
];

async function reset(db: TestDatabase): Promise<void> {
  await sql`truncate mpi_filings, mpi_filings_mark, mpi_recheck, mpi_link_events, mpi_pairs, mpi_blocking_keys, mpi_records, resources, source_records, persons cascade`.execute(db.db);
}

const filings = async (db: TestDatabase): Promise<number> => Number((await sql<{ n: number }>`select count(*)::int as n from mpi_filings`.execute(db.db)).rows[0]!.n);
const queued = async (db: TestDatabase): Promise<number> => Number((await sql<{ n: number }>`select count(*)::int as n from mpi_recheck`.execute(db.db)).rows[0]!.n);

/** A transaction held open on a connection of its own until `end`, which commits it. */
async function hold(db: TestDatabase): Promise<{ trx: Transaction<Tables>; end: () => Promise<void> }> {
  return new Promise((ready) => {
    let release!: () => void;
    const done = db.db.transaction().execute(async (trx) => {
      await new Promise<void>((r) => {
        release = r;
        ready({ trx, end: async () => { release(); await done; } });
      });
    });
  });
}

describe.each(testEngines())('pruning mpi_filings on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    await registerFixtureFeeds(db.db);
  });
  afterAll(async () => db.dispose());

  it('sets a mark first, and prunes what was filed before it once the queue is empty', async () => {
    await reset(db);
    for (const p of people) await link(db.db, FEEDS.gp, p);
    expect(await filings(db)).toBe(3);
    // Each was alone when filed: queued, and its filing kept, whatever the mark says.
    expect(await queued(db)).toBe(3);
    expect(await pruneFilings(db.db)).toBe(0);
    expect(await pruneFilings(db.db)).toBe(0);
    expect(await filings(db)).toBe(3);
    // The recheck empties the queue and prunes behind the mark set above.
    expect(await recheckAlone(db.db, { now: new Date('2026-01-01T00:05:00Z') })).toEqual({ checked: 3, linked: 0 });
    expect(await filings(db)).toBe(0);
  });

  it('keeps the filings a queued record may need', async () => {
    await reset(db);
    await link(db.db, FEEDS.gp, people[0]!);
    await recheckAlone(db.db, { now: new Date() });
    // p2 is queued; p3, filed after it, is not (as if it had linked to a committed record).
    await link(db.db, FEEDS.gp, people[1]!);
    await link(db.db, FEEDS.gp, people[2]!);
    await sql`delete from mpi_recheck where record_id = (select id from mpi_records where local_id = 'p3')`.execute(db.db);
    await pruneFilings(db.db);
    await pruneFilings(db.db);
    // p1's filing went (nothing queued looked before it); p2's and p3's stay while p2 waits.
    const left = await sql<{ local_id: string }>`select r.local_id from mpi_filings f join mpi_records r on r.filed_by = f.filed_by order by r.local_id`.execute(db.db);
    expect(left.rows.map((x) => x.local_id)).toEqual(['p2', 'p3']);
  });

  // Only PostgreSQL runs transactions side by side (PGlite has one connection).
  if (engine === 'postgres') it('keeps what a transaction that looked before the mark may need until it has finished', async () => {
    await reset(db);
    const at = new Date('2026-01-01T00:00:00Z');
    const peter: SourceDemographics = { localId: '', family: 'Harcourt', given: ['Peter'], birthDate: '1961-05-17', sex: 'male', postcode: 'EX8 1QQ' };
    // u is running when t looks for candidates, so t's records say they looked below u. v, which
    // had its id before t, files peter's twin after t looked and commits before u and t do.
    const u = await hold(db);
    await sql`select pg_current_xact_id()`.execute(u.trx);
    const v = await hold(db);
    await sql`select pg_current_xact_id()`.execute(v.trx);
    const t = await hold(db);
    await linkSourceRecord(t.trx, FEEDS.gp, { ...peter, localId: 't1' }, 'v1', [], at);
    await linkSourceRecord(v.trx, FEEDS.acute, { ...peter, localId: 'v1', family: 'Harcort' }, 'v1', [], at);
    // Only t1 is looked at again (as if v1 had linked to a committed record).
    await sql`delete from mpi_recheck where record_id = (select id from mpi_records where local_id = 'v1')`.execute(v.trx);
    await v.end();
    await u.end();
    // The mark is set while t runs: v's filing is older than everything running, yet t1 needs it.
    await pruneFilings(db.db);
    const second = await pruneFilings(db.db);
    await t.end();
    expect(second).toBe(0);
    await recheckAlone(db.db, { now: at });
    const persons = await sql<{ n: number }>`select count(distinct person_id)::int as n from source_records where local_id in ('t1', 'v1')`.execute(db.db);
    expect(persons.rows[0]!.n).toBe(1);
  });
});
