import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { loadAccessFacts, ODS_SYSTEM, type AccessFactsUser } from '../access/facts.ts';
import { declareRelationship } from '../access/declarations.ts';
import { inferRelationship } from '../access/policy/index.ts';
import { recordObjection } from '../access/objections.ts';
import { addUser } from '../access/users.ts';
import { CLI_ACTOR } from '../access/audit.ts';
import { recordingSink, TEST_SCRYPT } from '../access/testing.ts';
import { loadPerson, loadPersonWithFacts, personsByNhsNumberWithFacts, resolvePersonId } from './load.ts';
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

  it('loads the access facts and the record in one statement, as the two loads do apart; no record for a person who is absent or opted out', async () => {
    const user: AccessFactsUser = { id: '00000000-0000-4000-8000-000000000001', organisation: { ods: 'GPX', kind: 'gp-practice' } };
    const now = new Date('2025-06-15T10:00:00Z');
    for (const types of [undefined, ['Condition'], ['Patient']]) {
      const opts = types ? { types } : {};
      const both = await loadPersonWithFacts(database.db, survivor, user, now, opts);
      expect(both.person).toEqual(await loadAccessFacts(database.db, survivor, user, now));
      expect(both.loaded).toEqual(await loadPerson(database.db, survivor, opts));
    }
    for (const id of [merged, '00000000-0000-4000-8000-000000000999', "x' or 1=1"]) {
      expect(await loadPersonWithFacts(database.db, id, user, now)).toEqual({ person: { exists: false, optedOut: false }, loaded: null });
    }
    const optNhs = testRangeNhsNumber(502);
    const seeded = await seedRecord(database.db, {
      feeds: [{ id: 'gpx', ods: 'GPX' }],
      persons: [{ sourceRecords: [{ feedId: 'gpx', localId: 'L2', nhsNumber: optNhs, demographics: { family: 'Out' } }], resources: [{ feedId: 'gpx', resource: { resourceType: 'Condition', id: 'c9' } }] }],
    });
    const optedOut = seeded.personIds[0]!;
    await addUser(database.db, { username: 'pals.load', name: 'Pat Pals', organisationOds: 'GPX', role: 'pals-officer', trainingValidUntil: '2026-01-01' }, now, recordingSink().sink, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    await recordObjection(database.db, { nhsNumber: optNhs, channel: 'pals', byUsername: 'pals.load' }, now, recordingSink().sink);
    const both = await loadPersonWithFacts(database.db, optedOut, user, now);
    expect(both.person).toEqual(await loadAccessFacts(database.db, optedOut, user, now));
    expect(both.person).toMatchObject({ exists: true, optedOut: true });
    expect(both.loaded).toBeNull();
  });

  it('with onlyIfRelated, reads the record only when the facts hold a relationship the user could have; the facts are the same either way', async () => {
    const now = new Date('2025-06-15T10:00:00Z');
    const seeded = await seedRecord(database.db, {
      organisations: [
        { ods: 'GPY', name: 'Practice Y', kind: 'gp-practice' }, { ods: 'HOSPY', name: 'Hospital Y', kind: 'acute' },
        { ods: 'ELSEY', name: 'Elsewhere', kind: 'acute' },
      ],
      feeds: [{ id: 'gpy', ods: 'GPY' }, { id: 'hospy', ods: 'HOSPY' }],
      persons: [{
        sourceRecords: [{ feedId: 'gpy', localId: 'R1', nhsNumber: testRangeNhsNumber(505), demographics: { family: 'Related' } }],
        resources: [
          // The practice as a sender may write it: lower case, spaced (namesPractice trims and upper-cases).
          { feedId: 'gpy', resource: { resourceType: 'Patient', id: 'p1', generalPractitioner: [{ identifier: { system: ODS_SYSTEM, value: ' gpy ' } }] } },
          { feedId: 'hospy', resource: { resourceType: 'Encounter', id: 'e1', status: 'finished', period: { start: '2025-06-01T09:00:00Z', end: '2025-06-01T10:00:00Z' } } },
          { feedId: 'gpy', resource: { resourceType: 'Condition', id: 'c1' } },
        ],
      }],
    });
    const personId = seeded.personIds[0]!;
    const declarer = await addUser(database.db, { username: 'else.declarer', name: 'Dee Clarer', organisationOds: 'ELSEY', role: 'pals-officer', trainingValidUntil: '2026-01-01' }, now, recordingSink().sink, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    const users: Record<string, AccessFactsUser> = {
      practice: { id: '00000000-0000-4000-8000-000000000011', organisation: { ods: 'GPY', kind: 'gp-practice' } },
      hospital: { id: '00000000-0000-4000-8000-000000000012', organisation: { ods: 'HOSPY', kind: 'acute' } },
      elsewhere: { id: declarer.user.id, organisation: { ods: 'ELSEY', kind: 'acute' } },
    };
    const cases: Array<{ who: keyof typeof users; declared: boolean; read: boolean }> = [
      { who: 'practice', declared: false, read: true },
      { who: 'hospital', declared: false, read: true },
      { who: 'elsewhere', declared: false, read: false },
      { who: 'elsewhere', declared: true, read: true },
    ];
    for (const c of cases) {
      const user = users[c.who]!;
      if (c.declared) await declareRelationship(database.db, { ...user, role: 'pals-officer' }, personId, 'present-and-consenting', null, now, recordingSink().sink);
      const screened = await loadPersonWithFacts(database.db, personId, user, now, { onlyIfRelated: true });
      expect(screened.person, c.who).toEqual(await loadAccessFacts(database.db, personId, user, now));
      expect(screened.loaded !== null, `${c.who} read`).toBe(c.read);
      // The screen agrees with the relationship rules on the same facts: it never holds back a record they would open.
      expect(inferRelationship(screened.person.facts ?? {}, user, now) !== null, `${c.who} relationship`).toBe(c.read);
      if (c.read) expect(screened.loaded).toEqual(await loadPerson(database.db, personId));
      // Without the screen the record is read for anyone, as for a search's demographics.
      expect((await loadPersonWithFacts(database.db, personId, user, now)).loaded).not.toBeNull();
    }
  });

  it('finds by NHS number with the facts and the record of the only person it names; several or none are only listed', async () => {
    const user: AccessFactsUser = { id: '00000000-0000-4000-8000-000000000001', organisation: { ods: 'GPX', kind: 'gp-practice' } };
    const now = new Date('2025-06-15T10:00:00Z');
    const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
    const found = await personsByNhsNumberWithFacts(database.db, spaced, user, now, { types: ['Condition'] });
    expect(found).toEqual({ candidates: [survivor], only: { personId: survivor, ...(await loadPersonWithFacts(database.db, survivor, user, now, { types: ['Condition'] })) } });
    expect(found?.only?.loaded?.entries.map((e) => e.sourceId)).toEqual(['c1']);
    expect(await personsByNhsNumberWithFacts(database.db, testRangeNhsNumber(503), user, now)).toEqual({ candidates: [], only: null });
    expect(await personsByNhsNumberWithFacts(database.db, '123', user, now)).toBeNull();
    // The same number on two persons' records (a duplicate the person index has not merged).
    const twice = testRangeNhsNumber(504);
    const two = await seedRecord(database.db, {
      feeds: [{ id: 'gpx', ods: 'GPX' }],
      persons: [
        { sourceRecords: [{ feedId: 'gpx', localId: 'T1', nhsNumber: twice, demographics: { family: 'Twin' } }] },
        { sourceRecords: [{ feedId: 'gpx', localId: 'T2', nhsNumber: twice, demographics: { family: 'Twin' } }] },
      ],
    });
    expect(await personsByNhsNumberWithFacts(database.db, twice, user, now)).toEqual({ candidates: [...two.personIds].sort(), only: null });
    expect((await personsByNhsNumberWithFacts(database.db, twice, user, now))?.candidates).toEqual(await personsByNhsNumber(database.db, twice));
  });
});
