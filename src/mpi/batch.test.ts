/**
 * Linking a worker batch at once (linkSourceRecords) must give the persons linking the same
 * records one by one gives, whatever the order and however they are split into batches; a record
 * sent twice in a batch takes its newer version; an unchanged record is refreshed, not re-matched.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { linkSourceRecords, personsForSubjects, type LinkRequest } from './link.ts';
import { listReviewQueue } from './review.ts';
import { recheckAlone } from './recheck.ts';
import { FEEDS, link, personOf, registerFixtureFeeds } from './testSupport.ts';

const NHS_A = '9434765919';
const NHS_B = '9434765870';
const mary: SourceDemographics = { localId: '', family: 'Whitfield', given: ['Mary'], birthDate: '1948-11-02', sex: 'female', postcode: 'TQ1 2BB', addressLines: ['3 Abbey Road'] };
const peter: SourceDemographics = { localId: '', family: 'Harcourt', given: ['Peter'], birthDate: '1961-05-17', sex: 'male', postcode: 'EX8 1QQ', addressLines: ['40 Marine Parade'] };
const at = new Date('2026-01-01T10:00:00Z');

const RECORDS: [string, SourceDemographics][] = [
  [FEEDS.gp, { ...mary, localId: 'g-mary', nhsNumber: NHS_A, nhsNumberVerified: true }],
  [FEEDS.acute, { ...mary, localId: 'a-mary', nhsNumber: NHS_A, family: 'Whitfeld' }],
  [FEEDS.council, { ...mary, localId: 'c-mary', given: ['Molly'] }],
  // The twin: a review with Mary, never a link; with a second NHS number, never bridged.
  [FEEDS.acute, { ...mary, localId: 'a-twin', given: ['Margaret'], nhsNumber: NHS_B }],
  [FEEDS.council, { ...mary, localId: 'c-twin', given: ['Margaret'] }],
  [FEEDS.gp, { ...peter, localId: 'g-peter' }],
  [FEEDS.acute, { ...peter, localId: 'a-peter', postcode: 'EX8 2ZZ', addressLines: [] }],
  [FEEDS.council, { ...peter, localId: 'c-peter', family: 'Harcort' }],
  // A duplicate registration in one feed: needs the stronger evidence to join.
  [FEEDS.gp, { ...peter, localId: 'g-peter-2', given: ['Pete'] }],
];

const request = (feedId: string, d: SourceDemographics, versionKey = 'v1'): LinkRequest => ({ feedId, demographics: d, versionKey, dataQuality: [], at });

async function reset(db: TestDatabase): Promise<void> {
  await sql`truncate mpi_recheck, mpi_link_events, mpi_parameters, mpi_merges, mpi_separations, mpi_must_links, mpi_pairs, mpi_blocking_keys, mpi_records, resources, source_records, persons cascade`.execute(db.db);
}

/** Persons as sets of local ids, with each record's link reason. */
async function partition(db: TestDatabase): Promise<{ persons: string[]; hows: string[]; reviews: number }> {
  const rows = await db.db.selectFrom('source_records').select(['person_id', 'local_id', 'link_how']).orderBy('local_id').execute();
  const by = new Map<string, string[]>();
  for (const r of rows) by.set(r.person_id, [...(by.get(r.person_id) ?? []), r.local_id]);
  return {
    persons: [...by.values()].map((x) => x.sort().join(',')).sort(),
    hows: rows.map((r) => `${r.local_id}:${r.link_how === 'review' || r.link_how === 'new-person' ? 'alone-or-review' : 'linked'}`),
    reviews: (await listReviewQueue(db.db)).length,
  };
}

describe.each(testEngines())('batched linking on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    await registerFixtureFeeds(db.db);
  });
  afterAll(async () => db.dispose());
  beforeEach(async () => reset(db));

  it('gives the persons of one-by-one linking, whatever the order and the batches', async () => {
    for (const [feed, d] of RECORDS) await link(db.db, feed, d, at, 'v1');
    const reference = await partition(db);
    expect(reference.persons).toContain('a-mary,c-mary,g-mary');
    expect(reference.persons.some((p) => p.includes('twin') && p.includes('mary'))).toBe(false);
    await fc.assert(fc.asyncProperty(
      fc.shuffledSubarray(RECORDS.map((_r, i) => i), { minLength: RECORDS.length }),
      fc.array(fc.integer({ min: 1, max: RECORDS.length }), { minLength: RECORDS.length, maxLength: RECORDS.length }),
      async (order, sizes) => {
        await reset(db);
        for (let i = 0, s = 0; i < order.length; i += sizes[s++]!) {
          const batch = order.slice(i, i + sizes[s]!).map((j) => request(...RECORDS[j]!));
          await transaction(db.db, (trx) => linkSourceRecords(trx, batch));
        }
        await recheckAlone(db.db, { now: at });
        expect(await partition(db)).toEqual(reference);
      },
    ), { numRuns: 10, seed: 11 });
  }, 120_000);

  it('takes the newer version of a record sent twice in one batch, and says both requests', async () => {
    const results = await transaction(db.db, (trx) => linkSourceRecords(trx, [
      request(FEEDS.gp, { ...peter, localId: 'g1', family: 'Harcourt' }, 'v2'),
      request(FEEDS.gp, { ...peter, localId: 'g1', family: 'Smith' }, 'v1'),
    ]));
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual(results[1]);
    const row = await db.db.selectFrom('source_records').select(['source_version', 'demographics']).where('local_id', '=', 'g1').executeTakeFirstOrThrow();
    expect(row.source_version).toBe('v2');
    expect((row.demographics as { family?: string }).family).toBe('Harcourt');
  });

  it('refreshes a record sent again with the same demographics without matching it again, and ignores an older version', async () => {
    await transaction(db.db, (trx) => linkSourceRecords(trx, [request(FEEDS.gp, { ...peter, localId: 'g1' }, 'v1'), request(FEEDS.acute, { ...peter, localId: 'a1' }, 'v1')]));
    const person = await personOf(db.db, FEEDS.gp, 'g1');
    const pairs = await db.db.selectFrom('mpi_pairs').select('id').execute();
    const results = await transaction(db.db, (trx) => linkSourceRecords(trx, [
      request(FEEDS.gp, { ...peter, localId: 'g1', phone: undefined }, 'v2'),
      request(FEEDS.acute, { ...peter, localId: 'a1', family: 'Other' }, 'v0'),
    ]));
    expect(results.map((r) => [r.personId, r.applied])).toEqual([[person, true], [person, false]]);
    // Same pair row: nothing was re-filed.
    expect(await db.db.selectFrom('mpi_pairs').select('id').execute()).toEqual(pairs);
    const versions = await db.db.selectFrom('source_records').select(['local_id', 'source_version']).orderBy('local_id').execute();
    expect(versions).toEqual([{ local_id: 'a1', source_version: 'v1' }, { local_id: 'g1', source_version: 'v2' }]);
  });

  it('gives each unknown subject a placeholder person once, and leaves known subjects alone', async () => {
    await link(db.db, FEEDS.gp, { ...peter, localId: 'g1' });
    const person = await personOf(db.db, FEEDS.gp, 'g1');
    await transaction(db.db, (trx) => personsForSubjects(trx, [
      { feedId: FEEDS.gp, localId: 'g1', at }, { feedId: FEEDS.acute, localId: 'x1', at }, { feedId: FEEDS.acute, localId: 'x1', at },
    ]));
    expect(await personOf(db.db, FEEDS.gp, 'g1')).toBe(person);
    const placeholder = await db.db.selectFrom('source_records').select(['person_id', 'source_version', 'link_how']).where('local_id', '=', 'x1').execute();
    expect(placeholder).toHaveLength(1);
    expect(placeholder[0]).toMatchObject({ source_version: '', link_how: 'new-person' });
    // Its demographics arriving later link it properly (here: to Peter; either person id may stay).
    await transaction(db.db, (trx) => linkSourceRecords(trx, [request(FEEDS.acute, { ...peter, localId: 'x1' }, 'v1')]));
    expect(await personOf(db.db, FEEDS.acute, 'x1')).toBe(await personOf(db.db, FEEDS.gp, 'g1'));
  });
});
