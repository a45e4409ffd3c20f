import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { addUser, CLI_ACTOR, loadAccessFacts, loadDecisionUser, type AuditSink } from '../access/index.ts';
import { decide } from '../access/policy/index.ts';
import { seedPartners, seedResource, TEST_SCRYPT } from '../access/testing.ts';
import { appendAudit } from '../audit/index.ts';
import { liftForCase, logRightsRequest, restrictForCase, restrictionView, rightsActor, changePart } from './index.ts';

const NOW = new Date('2026-09-03T10:00:00.000Z');
const audit: AuditSink = async (trx, d) => { await appendAudit(trx, d); };
const NHS = testRangeNhsNumber(7201);

describe.each(testEngines())('restricting contested information for a rights case on %s', (engine) => {
  let t: TestDatabase;
  let personId: string;
  let asthma: string;
  let councilEntry: string;
  let rectification: string;
  let complaint: string;
  const actor = (username: string) => rightsActor(t.db, username, NOW);
  const withheldFor = async (username: string) => {
    const user = (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
    const u = (await loadDecisionUser(t.db, user, { mfaSatisfied: true }, NOW))!;
    return decide(u, await loadAccessFacts(t.db, personId, u, NOW), 'direct-care-view', NOW);
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    const mk = (username: string, ods: string, role: string) => addUser(t.db, {
      username, name: username, organisationOds: ods, role, trainingValidUntil: '2099-01-01', password: 'a long test passphrase 1234',
      ...(role === 'clinician' ? { registration: 'GMC:1234567' } : {}),
    }, NOW, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    await mk('pals.one', 'RJE', 'pals-officer');
    await mk('atr.rje', 'RJE', 'access-to-records');
    await mk('atr.scc', 'SCC01', 'access-to-records');
    await mk('dr.rje', 'RJE', 'clinician');
    personId = (await t.db.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow()).id;
    await t.db.insertInto('source_records').values({
      feed_id: 'feed-rje', local_id: randomUUID(), person_id: personId, nhs_number: NHS,
      demographics: JSON.stringify({ family: 'Contest', given: ['Ada'], birthDate: '1970-05-06' }), data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
    }).execute();
    asthma = await seedResource(t.db, personId, 'RJE', { resourceType: 'Condition', code: { text: 'Asthma' }, recordedDate: '2024-02-01' });
    await seedResource(t.db, personId, 'RJE', { resourceType: 'Encounter', status: 'finished', period: { start: '2026-08-30T09:00:00Z' } });
    councilEntry = await seedResource(t.db, personId, 'SCC01', { resourceType: 'EpisodeOfCare', status: 'active' });
    const pals = await actor('pals.one');
    rectification = (await logRightsRequest(t.db, { nhsNumber: NHS, kind: 'rectification', receivedOn: '2026-09-01', description: 'The asthma diagnosis is wrong' }, pals, NOW, audit)).id;
    complaint = (await logRightsRequest(t.db, { nhsNumber: NHS, kind: 'complaint', receivedOn: '2026-09-01', description: '' }, pals, NOW, audit)).id;
  });
  afterAll(async () => t.dispose());

  it("lists only the team's own entries, newest first, and audits the view", async () => {
    const v = await restrictionView(t.db, rectification, await actor('atr.rje'), NOW, audit);
    expect(v.entries.map((e) => [e.resourceType, e.date, e.text])).toEqual([['Encounter', '2026-08-30', null], ['Condition', '2024-02-01', 'Asthma']]);
    expect(v.inForce).toEqual([]);
    const seen = (await sql<{ details: { resources: string[] } }>`select details from audit_events where details ->> 'route' = 'rights-case/restrict' order by seq desc limit 1`.execute(t.db)).rows[0]!;
    expect(seen.details.resources).toContain(`Condition/${asthma}`);
    expect(seen.details.resources).not.toContain(`EpisodeOfCare/${councilEntry}`);
  });

  it("restricts the team's own entry: withheld from a clinician with the marker, in the case history, audited; then lifted", async () => {
    const atr = await actor('atr.rje');
    const { restrictionId } = await restrictForCase(t.db, rectification, { entryId: asthma, reason: 'Person says they never had asthma' }, atr, NOW, audit);
    const d = await withheldFor('dr.rje');
    expect(d.allow && d.obligations.find((o) => o.type === 'withhold-restricted-entries')).toMatchObject({ entryIds: [asthma] });
    const v = await restrictionView(t.db, rectification, atr, NOW, audit);
    expect(v.inForce).toMatchObject([{ id: restrictionId, scope: 'entry', reason: 'Person says they never had asthma', liftable: true, entry: { id: asthma } }]);
    const history = (await t.db.selectFrom('rights_case_events').select('action').where('case_id', '=', rectification).orderBy('id').execute()).map((r) => r.action);
    expect(history).toContain('restricted');
    const changed = (await sql<{ n: number }>`select count(*)::int8 as n from audit_events where action = 'restriction-changed' and person_id = ${personId}`.execute(t.db)).rows[0]!;
    expect(Number(changed.n)).toBe(1);

    await liftForCase(t.db, rectification, restrictionId, 'Diagnosis confirmed by the consultant', atr, NOW, audit);
    const after = await withheldFor('dr.rje');
    expect(after.allow && after.obligations.find((o) => o.type === 'withhold-restricted-entries')).toMatchObject({ entryIds: [] });
    expect((await restrictionView(t.db, rectification, atr, NOW, audit)).inForce).toEqual([]);
  });

  it('restricts the whole shared record when the person asks: a clinician is then refused', async () => {
    const atr = await actor('atr.rje');
    const { restrictionId } = await restrictForCase(t.db, rectification, { entryId: null, reason: 'Person asks that nothing is shared while this is looked at', validTo: '2026-12-31' }, atr, NOW, audit);
    const d = await withheldFor('dr.rje');
    expect(d).toMatchObject({ allow: false, reason: 'record-restricted' });
    await liftForCase(t.db, rectification, restrictionId, 'Request settled', atr, NOW, audit);
    expect((await withheldFor('dr.rje')).allow).toBe(true);
  });

  const refusals: Array<[string, () => Promise<unknown>, string]> = [
    ["another organisation's entry", async () => restrictForCase(t.db, rectification, { entryId: councilEntry, reason: 'x' }, await actor('atr.rje'), NOW, audit), 'unknown-entry'],
    ['an entry id that is not an entry', async () => restrictForCase(t.db, rectification, { entryId: 'not-an-id', reason: 'x' }, await actor('atr.rje'), NOW, audit), 'unknown-entry'],
    ['a request of a kind that is not about accuracy', async () => restrictForCase(t.db, complaint, { entryId: asthma, reason: 'x' }, await actor('atr.rje'), NOW, audit), 'not-restrictable'],
    ['no reason', async () => restrictForCase(t.db, rectification, { entryId: asthma, reason: '  ' }, await actor('atr.rje'), NOW, audit), 'invalid-text'],
    ['an end date that is not a date', async () => restrictForCase(t.db, rectification, { entryId: asthma, reason: 'x', validTo: '31/12/2026' }, await actor('atr.rje'), NOW, audit), 'invalid-date'],
    ['a restriction that does not exist', async () => liftForCase(t.db, rectification, 999_999, 'x', await actor('atr.rje'), NOW, audit), 'unknown-restriction'],
  ];
  it.each(refusals)('refuses %s', async (_what, attempt, code) => {
    await expect(attempt()).rejects.toMatchObject({ code });
  });

  it("lets another organisation's team restrict only its own entries, and nothing once its part is done", async () => {
    // The council holds data, so it has a part; it may restrict only its own entry.
    const scc = await actor('atr.scc');
    await expect(restrictForCase(t.db, rectification, { entryId: asthma, reason: 'x' }, scc, NOW, audit)).rejects.toMatchObject({ code: 'unknown-entry' });
    await changePart(t.db, rectification, { change: 'completed', note: '' }, scc, NOW, audit);
    await expect(restrictForCase(t.db, rectification, { entryId: councilEntry, reason: 'x' }, scc, NOW, audit)).rejects.toMatchObject({ code: 'not-permitted' });
    const restrictions = await t.db.selectFrom('restrictions').select('id').where('person_id', '=', personId).where('lifted_at', 'is', null).execute();
    expect(restrictions).toEqual([]);
  });
});
