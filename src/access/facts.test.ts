import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { CLI_ACTOR } from './audit.ts';
import { declareRelationship, declarationsForReview, reviewDeclaration } from './declarations.ts';
import { loadAccessFacts, type AccessFactsUser } from './facts.ts';
import { objectionHistory, recordObjection, withdrawObjection } from './objections.ts';
import { addRestriction, liftRestriction, restrictionHistory } from './restrictions.ts';
import { addUser, type UserRecord } from './users.ts';
import { decide, inferRelationship, type DecisionUser } from './policy/index.ts';
import { recordingSink, seedPartners, seedPerson, seedResource, TEST_SCRYPT } from './testing.ts';

const NOW = new Date('2025-06-15T10:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const acute: AccessFactsUser = { id: '00000000-0000-4000-8000-000000000001', organisation: { ods: 'RJE', kind: 'acute' } };
const gp: AccessFactsUser = { id: acute.id, organisation: { ods: 'M83001', kind: 'gp-practice' } };
const council: AccessFactsUser = { id: acute.id, organisation: { ods: 'SCC01', kind: 'social-care' } };
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';

type Res = Record<string, unknown> & { resourceType: string };
interface FactCase { name: string; user: AccessFactsUser; ods: string; resource: Res; deleted?: boolean; expect: unknown }

const cases: FactCase[] = [
  { name: 'registered with the user\'s practice', user: gp, ods: 'M83001', resource: { resourceType: 'Patient', generalPractitioner: [{ identifier: { system: ODS, value: 'M83001' } }] }, expect: { basis: 'gp-registration', ods: 'M83001' } },
  { name: 'a hospital\'s copy of the registration counts', user: gp, ods: 'RJE', resource: { resourceType: 'Patient', generalPractitioner: [{ identifier: { system: ODS, value: 'M83001' } }] }, expect: { basis: 'gp-registration', ods: 'M83001' } },
  { name: 'registered with another practice', user: gp, ods: 'M83002', resource: { resourceType: 'Patient', generalPractitioner: [{ identifier: { system: ODS, value: 'M83002' } }] }, expect: null },
  { name: 'practice named by display only', user: gp, ods: 'M83001', resource: { resourceType: 'Patient', generalPractitioner: [{ display: 'M83001' }] }, expect: null },
  { name: 'deleted registration', user: gp, ods: 'M83001', deleted: true, resource: { resourceType: 'Patient', generalPractitioner: [{ identifier: { system: ODS, value: 'M83001' } }] }, expect: null },
  { name: 'inpatient stay ongoing', user: acute, ods: 'RJE', resource: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, period: { start: daysAgo(3) } }, expect: { basis: 'involvement', kind: 'admission', ods: 'RJE' } },
  { name: 'outpatient encounter 80 days ago', user: acute, ods: 'RJE', resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: daysAgo(80), end: daysAgo(80) } }, expect: { basis: 'involvement', kind: 'encounter', ods: 'RJE' } },
  { name: 'encounter 100 days ago (outside the window)', user: acute, ods: 'RJE', resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: daysAgo(101), end: daysAgo(100) } }, expect: null },
  { name: 'encounter at another trust', user: acute, ods: 'RTG', resource: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, period: { start: daysAgo(1) } }, expect: null },
  { name: 'deleted encounter', user: acute, ods: 'RJE', deleted: true, resource: { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, period: { start: daysAgo(1) } }, expect: null },
  { name: 'cancelled encounter', user: acute, ods: 'RJE', resource: { resourceType: 'Encounter', status: 'cancelled', class: { code: 'IMP' }, period: { start: daysAgo(1) } }, expect: null },
  { name: 'open community episode from years ago', user: acute, ods: 'RJE', resource: { resourceType: 'EpisodeOfCare', status: 'active', period: { start: '2021-03-01' } }, expect: { basis: 'involvement', kind: 'episode', ods: 'RJE' } },
  { name: 'social care allocation', user: council, ods: 'SCC01', resource: { resourceType: 'EpisodeOfCare', status: 'active', period: { start: '2024-09-01' } }, expect: { basis: 'involvement', kind: 'social-care-involvement', ods: 'SCC01' } },
  { name: 'social care allocation closed a year ago', user: council, ods: 'SCC01', resource: { resourceType: 'EpisodeOfCare', status: 'finished', period: { start: '2023-01-01', end: '2024-06-01' } }, expect: null },
  { name: 'referral made last week', user: acute, ods: 'RJE', resource: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', authoredOn: daysAgo(7) }, expect: { basis: 'involvement', kind: 'referral', ods: 'RJE' } },
  { name: 'referral revoked', user: acute, ods: 'RJE', resource: { resourceType: 'ServiceRequest', status: 'revoked', intent: 'order', authoredOn: daysAgo(7) }, expect: null },
  { name: 'appointment booked for next week', user: acute, ods: 'RJE', resource: { resourceType: 'Appointment', status: 'booked', start: '2025-06-22T09:00:00Z', end: '2025-06-22T09:30:00Z' }, expect: { basis: 'involvement', kind: 'appointment', ods: 'RJE' } },
  { name: 'appointment not attended', user: acute, ods: 'RJE', resource: { resourceType: 'Appointment', status: 'noshow', start: daysAgo(2), end: daysAgo(2) }, expect: null },
  { name: 'appointment a year away', user: acute, ods: 'RJE', resource: { resourceType: 'Appointment', status: 'booked', start: '2026-06-22T09:00:00Z' }, expect: null },
  { name: 'a condition is not care', user: acute, ods: 'RJE', resource: { resourceType: 'Condition', subject: { reference: 'Patient/x' } }, expect: null },
];

describe.each(testEngines())('access facts on %s', (engine) => {
  let t: TestDatabase;
  let pals: UserRecord;
  let gpStaff: UserRecord;
  let doctor: UserRecord;
  let clinician: UserRecord;
  const audit = recordingSink();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    const o = { scrypt: TEST_SCRYPT };
    pals = (await addUser(t.db, { username: 'pals', name: 'Pat Pals', organisationOds: 'RJE', role: 'pals-officer', trainingValidUntil: '2026-01-01' }, NOW, audit.sink, CLI_ACTOR, o)).user;
    gpStaff = (await addUser(t.db, { username: 'reception', name: 'Rae Ception', organisationOds: 'M83001', role: 'gp-practice-staff', trainingValidUntil: '2026-01-01' }, NOW, audit.sink, CLI_ACTOR, o)).user;
    doctor = (await addUser(t.db, { username: 'doc', name: 'Dana Doctor', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:1234567', trainingValidUntil: '2026-01-01' }, NOW, audit.sink, CLI_ACTOR, o)).user;
    clinician = doctor;
  });
  afterAll(async () => t.dispose());

  it.each(cases)('$name', async (c) => {
    const person = await seedPerson(t.db, { ods: c.ods });
    await seedResource(t.db, person, c.ods, c.resource, { deleted: c.deleted ?? false });
    const facts = await loadAccessFacts(t.db, person, c.user, NOW);
    expect(facts.exists).toBe(true);
    expect(inferRelationship(facts.facts ?? {}, c.user, NOW)).toEqual(c.expect);
  });

  it('reports an unknown, a malformed and a merged person as not existing', async () => {
    expect(await loadAccessFacts(t.db, '00000000-0000-4000-8000-00000000dead', acute, NOW)).toEqual({ exists: false, optedOut: false });
    expect(await loadAccessFacts(t.db, 'not-a-uuid', acute, NOW)).toEqual({ exists: false, optedOut: false });
    const survivor = await seedPerson(t.db);
    const merged = await seedPerson(t.db);
    await t.db.updateTable('persons').set({ merged_into: survivor }).where('id', '=', merged).execute();
    expect((await loadAccessFacts(t.db, merged, acute, NOW)).exists).toBe(false);
  });

  it('reports death from any source', async () => {
    const person = await seedPerson(t.db);
    await seedResource(t.db, person, 'RTG', { resourceType: 'Patient', deceasedDateTime: '2025-06-01T08:00:00Z' });
    expect((await loadAccessFacts(t.db, person, acute, NOW)).deceased).toBe(true);
  });

  it('applies an objection recorded before any data arrived, and its withdrawal, at once', async () => {
    const nhs = testRangeNhsNumber(101);
    const recorded = await recordObjection(t.db, { nhsNumber: nhs, channel: 'pals', byUsername: 'pals' }, NOW, audit.sink);
    expect(recorded.personId).toBeNull();
    // Data for the person arrives afterwards, from two sources.
    const person = await seedPerson(t.db, { nhsNumber: nhs });
    await t.db.insertInto('source_records').values({ feed_id: 'feed-rtg', local_id: 'late', person_id: person, nhs_number: nhs, demographics: '{}', data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null }).execute();
    await seedResource(t.db, person, 'RJE', { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, period: { start: daysAgo(1) } });
    const facts = await loadAccessFacts(t.db, person, acute, NOW);
    expect(facts.optedOut).toBe(true);
    const user: DecisionUser = { ...acute, id: clinician.id, role: 'clinician', status: 'active', trainingValidUntil: '2026-01-01', registration: { body: 'GMC', number: '1234567' }, mfaSatisfied: true, organisation: { ...acute.organisation, isaMemberships: [{ from: '2019-01-01' }] } };
    expect(decide(user, facts, 'direct-care-view', NOW)).toMatchObject({ allow: false, reason: 'person-not-found' });

    const withdrawn = await withdrawObjection(t.db, { nhsNumber: nhs, channel: 'gp', byUsername: 'reception' }, new Date(NOW.getTime() + 60_000), audit.sink);
    expect(withdrawn.personId).toBe(person);
    expect((await loadAccessFacts(t.db, person, acute, NOW)).optedOut).toBe(false);
    expect(decide(user, await loadAccessFacts(t.db, person, acute, NOW), 'direct-care-view', NOW).allow).toBe(true);
    const history = await objectionHistory(t.db, nhs);
    expect(history.map((h) => [h.action, h.channel, h.byUsername, h.organisationOds])).toEqual([['recorded', 'pals', 'pals', 'RJE'], ['withdrawn', 'gp', 'reception', 'M83001']]);
    expect(audit.events.filter((e) => e.action.startsWith('objection'))).toMatchObject([
      { action: 'objection-recorded', actor: { id: pals.id, role: 'pals-officer' }, details: { objectionEventId: recorded.id, channel: 'pals', personKnown: false } },
      { action: 'objection-withdrawn', personId: person, actor: { id: gpStaff.id } },
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(nhs);
  });

  it.each([
    ['a clinician', { nhsNumber: testRangeNhsNumber(102), channel: 'pals', byUsername: 'doc' }, 'not-permitted'],
    ['an unknown user', { nhsNumber: testRangeNhsNumber(102), channel: 'pals', byUsername: 'nobody' }, 'unknown-user'],
    ['hospital PALS through the gp channel', { nhsNumber: testRangeNhsNumber(102), channel: 'gp', byUsername: 'pals' }, 'not-permitted'],
    ['a bad NHS number', { nhsNumber: '1234567890', channel: 'pals', byUsername: 'pals' }, 'invalid-nhs-number'],
    ['an unknown channel', { nhsNumber: testRangeNhsNumber(102), channel: 'letter', byUsername: 'pals' }, 'invalid-channel'],
    ['a withdrawal with no objection', { nhsNumber: testRangeNhsNumber(103), channel: 'pals', byUsername: 'pals', withdraw: true }, 'not-objected'],
  ])('refuses an objection change by %s', async (_n, req, code) => {
    const op = 'withdraw' in req ? withdrawObjection : recordObjection;
    await expect(op(t.db, req, NOW, audit.sink)).rejects.toMatchObject({ code });
  });

  it('refuses a second objection and keeps the history append-only', async () => {
    const nhs = testRangeNhsNumber(104);
    await recordObjection(t.db, { nhsNumber: nhs, channel: 'pals', byUsername: 'pals' }, NOW, audit.sink);
    await expect(recordObjection(t.db, { nhsNumber: nhs, channel: 'pals', byUsername: 'pals' }, NOW, audit.sink)).rejects.toMatchObject({ code: 'already-objected' });
    await expect(t.db.deleteFrom('objection_events').where('nhs_number', '=', nhs).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('objection_events').set({ channel: 'gp' }).where('nhs_number', '=', nhs).execute()).rejects.toThrow(/append-only/);
  });

  it('restricts the whole record or single entries for their dates, lifts, and keeps the history', async () => {
    const by = { id: pals.id, organisation: { ods: 'RJE' }, role: 'access-to-records' };
    const person = await seedPerson(t.db);
    const entry = await seedResource(t.db, person, 'RJE', { resourceType: 'Condition' });
    const other = await seedPerson(t.db);
    const foreign = await seedResource(t.db, other, 'RJE', { resourceType: 'Condition' });
    const e = await addRestriction(t.db, by, { personId: person, entryId: entry, reason: 'contests the diagnosis' }, NOW, audit.sink);
    expect((await loadAccessFacts(t.db, person, acute, NOW)).restriction).toEqual({ wholeRecord: false, entryIds: [entry] });
    const w = await addRestriction(t.db, by, { personId: person, reason: 'contests the record', validFrom: '2025-06-16', validTo: '2025-07-31' }, NOW, audit.sink);
    expect((await loadAccessFacts(t.db, person, acute, NOW)).restriction).toEqual({ wholeRecord: false, entryIds: [entry] });
    expect((await loadAccessFacts(t.db, person, acute, new Date('2025-06-16T00:30:00Z'))).restriction).toEqual({ wholeRecord: true, entryIds: [entry] });
    expect((await loadAccessFacts(t.db, person, acute, new Date('2025-08-01T12:00:00Z'))).restriction).toEqual({ wholeRecord: false, entryIds: [entry] });
    await liftRestriction(t.db, by, e.id, 'corrected at source', NOW, audit.sink);
    expect((await loadAccessFacts(t.db, person, acute, NOW)).restriction).toBeNull();
    await expect(liftRestriction(t.db, by, e.id, 'again', NOW, audit.sink)).rejects.toMatchObject({ code: 'already-lifted' });
    await expect(addRestriction(t.db, by, { personId: person, entryId: foreign, reason: 'x' }, NOW, audit.sink)).rejects.toMatchObject({ code: 'unknown-entry' });
    await expect(addRestriction(t.db, by, { personId: person, reason: ' ' }, NOW, audit.sink)).rejects.toMatchObject({ code: 'invalid-reason' });
    await expect(addRestriction(t.db, by, { personId: person, reason: 'x', validFrom: '2025-06-10', validTo: '2025-06-01' }, NOW, audit.sink)).rejects.toMatchObject({ code: 'invalid-date' });
    expect((await restrictionHistory(t.db, person)).map((r) => [r.id, r.scope, r.liftedAt !== null])).toEqual([[e.id, 'entry', true], [w.id, 'whole-record', false]]);
    expect(audit.events.filter((x) => x.action === 'restriction-changed' && x.personId === person).map((x) => x.details.change)).toEqual(['added', 'added', 'lifted']);
  });

  it('loads the user\'s own live declarations, which expire by their reason and end on revocation', async () => {
    const user = { id: doctor.id, organisation: { ods: 'RJE', kind: 'acute' }, role: 'clinician' };
    const person = await seedPerson(t.db);
    await expect(declareRelationship(t.db, user, person, 'other', '', NOW, audit.sink)).rejects.toMatchObject({ code: 'invalid-declaration', where: 'detail' });
    await expect(declareRelationship(t.db, user, person, 'because', 'x', NOW, audit.sink)).rejects.toMatchObject({ code: 'invalid-declaration', where: 'reason' });
    const d = await declareRelationship(t.db, user, person, 'emergency', 'collapsed in the emergency department', NOW, audit.sink);
    expect(d.expiresAt.toISOString()).toBe('2025-06-16T10:00:00.000Z');
    const within = await loadAccessFacts(t.db, person, user, new Date('2025-06-16T09:59:00Z'));
    expect(inferRelationship(within.facts ?? {}, user, new Date('2025-06-16T09:59:00Z'))).toMatchObject({ basis: 'declared', reason: 'emergency' });
    const after = await loadAccessFacts(t.db, person, user, new Date('2025-06-16T10:00:00Z'));
    expect(inferRelationship(after.facts ?? {}, user, new Date('2025-06-16T10:00:00Z'))).toBeNull();
    // Another professional at the same trust gets nothing from it.
    const colleague = { ...user, id: pals.id };
    expect((await loadAccessFacts(t.db, person, colleague, NOW)).facts?.declarations).toEqual([]);

    const referral = await declareRelationship(t.db, user, person, 'new-referral', 'referred by GP letter', NOW, audit.sink);
    expect((await declarationsForReview(t.db, { organisationOds: 'RJE' })).map((x) => x.id)).toEqual(expect.arrayContaining([d.id, referral.id]));
    expect(await declarationsForReview(t.db, { organisationOds: 'RTG' })).toEqual([]);
    await reviewDeclaration(t.db, { id: pals.id, organisation: { ods: 'RJE' }, role: 'ig-officer' }, referral.id, 'revoked', 'no referral found', NOW, audit.sink);
    await expect(reviewDeclaration(t.db, { id: pals.id, organisation: { ods: 'RJE' }, role: 'ig-officer' }, referral.id, 'appropriate', null, NOW, audit.sink)).rejects.toMatchObject({ code: 'already-reviewed' });
    const later = new Date('2025-06-20T10:00:00Z');
    expect(inferRelationship((await loadAccessFacts(t.db, person, user, later)).facts ?? {}, user, later)).toBeNull();
    expect(audit.events.filter((x) => x.action === 'declare-relationship' && x.personId === person).map((x) => [x.purpose, x.details.reason ?? x.details.review])).toEqual([
      ['emergency-care', 'emergency'], ['direct-care', 'new-referral'], ['information-governance', 'revoked'],
    ]);
  });
});
