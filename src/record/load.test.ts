import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { loadPerson, resolvePersonId } from './load.ts';
import { personsByDemographics, personsByNhsNumber } from './find.ts';
import { seedRecord } from './testing.ts';

describe.each(testEngines())('loading and finding persons on %s', (engine) => {
  let database: TestDatabase;
  let survivor: string;
  let merged: string;
  const nhs = testRangeNhsNumber(501);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const a = await seedRecord(database.db, {
      organisations: [{ ods: 'GPX', name: 'Test Practice', kind: 'gp-practice' }],
      feeds: [{ id: 'gpx', ods: 'GPX', lastSuccessAt: new Date('2025-06-01T00:00:00Z') }],
      persons: [{
        sourceRecords: [{ feedId: 'gpx', localId: 'L1', nhsNumber: nhs, verified: true, demographics: { family: 'Ng', given: ['Lee'], birthDate: '1980-01-02', postcode: 'ST1 2AB' } }],
        resources: [
          { feedId: 'gpx', resource: { resourceType: 'Condition', id: 'c1' }, sensitiveCategories: ['safeguarding'] },
          { feedId: 'gpx', resource: { resourceType: 'Condition', id: 'c2' }, deleted: true },
        ],
      }],
    });
    survivor = a.personIds[0]!;
    const b = await seedRecord(database.db, { persons: [{ mergedInto: survivor }] });
    merged = b.personIds[0]!;
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('loads current resources with provenance, never deleted ones', async () => {
    const loaded = await loadPerson(database.db, survivor);
    expect(loaded.entries.map((e) => [e.sourceId, e.sourceOrg, e.sensitiveCategories])).toEqual([['c1', 'GPX', ['safeguarding']]]);
    expect(loaded.sourceRecords).toEqual([expect.objectContaining({ feedId: 'gpx', localId: 'L1', nhsNumber: nhs, nhsNumberVerified: true })]);
    expect(loaded.feeds).toEqual([{ feedId: 'gpx', ods: 'GPX', feedName: null, lastSuccessAt: new Date('2025-06-01T00:00:00Z') }]);
    expect(loaded.organisations).toEqual([{ ods: 'GPX', name: 'Test Practice', kind: 'gp-practice', isaFrom: '2024-04-01', isaTo: null }]);
  });

  it('names each feed and organisation once: a feed by the organisation of its resources, else its own', async () => {
    const seeded = await seedRecord(database.db, {
      organisations: [
        { ods: 'HUB', name: 'Test Hub', kind: 'other' }, { ods: 'RXX', name: 'Test Acute', kind: 'acute', isaTo: '2030-03-31' },
        { ods: 'SCX', name: 'Test Council', kind: 'social-care', isaFrom: null },
      ],
      feeds: [{ id: 'hub', ods: 'HUB', name: 'Hub feed' }, { id: 'scx', ods: 'SCX', lastSuccessAt: null }],
      persons: [{
        sourceRecords: [{ feedId: 'scx', localId: 'S1', demographics: { gpPracticeOds: 'GPX' } }],
        resources: [{ feedId: 'hub', resource: { resourceType: 'Condition', id: 'h1' } }, { feedId: 'hub', resource: { resourceType: 'Observation', id: 'h2' } }],
      }],
    });
    const person = seeded.personIds[0]!;
    // A hub sends on behalf of the acute trust: its resources name that trust.
    await database.db.updateTable('resources').set({ source_org: 'RXX' }).where('person_id', '=', person).execute();
    const loaded = await loadPerson(database.db, person);
    expect(loaded.entries.map((e) => [e.sourceId, e.feedId, e.sourceOrg]).sort()).toEqual([['h1', 'hub', 'RXX'], ['h2', 'hub', 'RXX']]);
    expect(loaded.feeds).toEqual([
      { feedId: 'hub', ods: 'RXX', feedName: 'Hub feed', lastSuccessAt: new Date('2025-06-01T00:00:00Z') },
      { feedId: 'scx', ods: 'SCX', feedName: null, lastSuccessAt: null },
    ]);
    // The hub itself holds nothing of the person's; the registered practice comes from the demographics.
    expect(loaded.organisations).toEqual([
      { ods: 'RXX', name: 'Test Acute', kind: 'acute', isaFrom: '2024-04-01', isaTo: '2030-03-31' },
      { ods: 'SCX', name: 'Test Council', kind: 'social-care', isaFrom: null, isaTo: null },
      { ods: 'GPX', name: 'Test Practice', kind: 'gp-practice', isaFrom: '2024-04-01', isaTo: null },
    ]);
    expect((await loadPerson(database.db, person, { types: ['Observation'] })).entries.map((e) => e.sourceId)).toEqual(['h2']);
  });

  it.each([
    ['a current person', () => survivor, () => survivor],
    ['a merged person resolves to the survivor', () => merged, () => survivor],
    ['an unknown uuid', () => '00000000-0000-4000-8000-000000000999', () => null],
    ['not a uuid', () => "x' or 1=1", () => null],
  ])('resolvePersonId: %s', async (_name, id, expected) => {
    expect(await resolvePersonId(database.db, id())).toBe(expected());
  });

  it('finds by NHS number in any spacing, and by demographics', async () => {
    expect(await personsByNhsNumber(database.db, `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`)).toEqual([survivor]);
    expect(await personsByDemographics(database.db, { family: 'NG', birthDate: { from: '1980-01-02', before: '1980-01-03' } })).toEqual([survivor]);
    expect(await personsByDemographics(database.db, { given: 'lee', postcode: 'st12ab' })).toEqual([survivor]);
    expect(await personsByDemographics(database.db, { family: 'Ng' })).toEqual([]);
  });
});
