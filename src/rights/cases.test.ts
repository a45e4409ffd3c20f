import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { addUser, CLI_ACTOR, recordObjection, type AuditSink } from '../access/index.ts';
import { seedPartners, seedResource, TEST_SCRYPT } from '../access/testing.ts';
import { appendAudit } from '../audit/index.ts';
import {
  accessExport, casesForOrganisation, changePart, logRightsRequest, openCaseForTeam, organisationsHoldingData, rightsActor, RightsError,
} from './index.ts';

const NOW = new Date('2026-09-03T10:00:00.000Z');
const LATER = new Date('2026-09-20T10:00:00.000Z');
const audit: AuditSink = async (trx, d) => { await appendAudit(trx, d); };
const NHS = testRangeNhsNumber(7101);
const NHS_UNKNOWN = testRangeNhsNumber(7102);
const NHS_OBJECTOR = testRangeNhsNumber(7103);

describe.each(testEngines())('rights cases on %s', (engine) => {
  let t: TestDatabase;
  let personId: string;

  const events = async (action: string) => (await sql<{ action: string; person_id: string | null; purpose: string | null; outcome: string; details: Record<string, unknown> }>`
    select action, person_id, purpose, outcome, details from audit_events where action = ${action} order by seq`.execute(t.db)).rows;
  const actor = (username: string) => rightsActor(t.db, username, NOW);

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    const mk = (username: string, ods: string, role: string) => addUser(t.db, {
      username, name: username, organisationOds: ods, role, trainingValidUntil: '2099-01-01', password: 'a long test passphrase 1234',
      ...(role === 'clinician' ? { registration: 'GMC:1234567' } : {}),
    }, NOW, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    await mk('pals.one', 'RJE', 'pals-officer');
    await mk('gp.desk', 'M83001', 'gp-practice-staff');
    await mk('atr.rje', 'RJE', 'access-to-records');
    await mk('atr.rtg', 'RTG', 'access-to-records');
    await mk('atr.scc', 'SCC01', 'access-to-records');
    await mk('dr.who', 'RJE', 'clinician');
    // One person: the hospital's and the GP practice's records of them; entries from the hospital and the council.
    const person = await t.db.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
    personId = person.id;
    for (const ods of ['RJE', 'M83001']) {
      await t.db.insertInto('source_records').values({
        feed_id: `feed-${ods.toLowerCase()}`, local_id: randomUUID(), person_id: personId, nhs_number: NHS,
        demographics: JSON.stringify({ family: 'Casefile', given: ['Rhea'], birthDate: '1970-05-06' }), data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
      }).execute();
    }
    await seedResource(t.db, personId, 'RJE', { resourceType: 'Condition', code: { text: 'Asthma' } });
    await seedResource(t.db, personId, 'RJE', { resourceType: 'Condition', code: { text: 'Eczema' } });
    await seedResource(t.db, personId, 'RJE', { resourceType: 'Encounter', status: 'finished' });
    await seedResource(t.db, personId, 'RJE', { resourceType: 'Observation', status: 'final' }, { deleted: true });
    await seedResource(t.db, personId, 'SCC01', { resourceType: 'EpisodeOfCare', status: 'active' });
  });
  afterAll(async () => t.dispose());

  it('finds the organisations that originated data about the person', async () => {
    const r = await organisationsHoldingData(t.db, NHS);
    expect(r.personIds).toEqual([personId]);
    expect(r.organisations.map((o) => [o.ods, o.resources, o.sourceRecords])).toEqual([['M83001', 0, 1], ['RJE', 3, 1], ['SCC01', 1, 0]]);
    expect((await organisationsHoldingData(t.db, NHS_UNKNOWN)).organisations).toEqual([]);
  });

  it('logs an access request, routes a part to each organisation, and audits it in the same transaction', async () => {
    const logged = await logRightsRequest(t.db, { nhsNumber: NHS, kind: 'access', receivedOn: '2026-09-01', description: 'All my records' }, await actor('pals.one'), NOW, audit);
    expect(logged.parts.map((p) => [p.ods, p.basis])).toEqual([['M83001', 'holds-data'], ['RJE', 'holds-data'], ['SCC01', 'holds-data']]);
    expect(logged.dueOn).toBe('2026-10-01');
    expect(logged.channel).toBe('pals');
    const history = await t.db.selectFrom('rights_case_events').select('action').where('case_id', '=', logged.id).orderBy('id').execute();
    expect(history.map((h) => h.action)).toEqual(['logged', 'routed', 'routed', 'routed']);
    const [a] = (await events('rights-case-changed')).filter((e) => e.details.rightsCaseId === logged.id);
    expect(a).toMatchObject({ person_id: personId, purpose: 'rights-request', outcome: 'success', details: { change: 'logged', kind: 'access', routedTo: ['M83001', 'RJE', 'SCC01'] } });
    // The audit names the case, never the NHS number or the person's words.
    expect(JSON.stringify(a)).not.toContain(NHS);
    expect(JSON.stringify(a)).not.toContain('All my records');
  });

  it('routes a request about an NHS number with no data to the logging organisation', async () => {
    const logged = await logRightsRequest(t.db, { nhsNumber: NHS_UNKNOWN, kind: 'rectification', receivedOn: '2026-09-03', description: '' }, await actor('gp.desk'), NOW, audit);
    expect(logged.parts).toEqual([{ ods: 'M83001', name: 'Partner M83001', basis: 'no-data-held' }]);
    expect(logged.channel).toBe('gp');
  });

  it.each([
    ['not an NHS number', { nhsNumber: '1234567890', kind: 'access', receivedOn: '2026-09-01' }, 'invalid-nhs-number'],
    ['an unknown kind', { nhsNumber: NHS, kind: 'erasure', receivedOn: '2026-09-01' }, 'invalid-kind'],
    ['a date in the future', { nhsNumber: NHS, kind: 'access', receivedOn: '2026-09-04' }, 'invalid-date'],
    ['an impossible date', { nhsNumber: NHS, kind: 'access', receivedOn: '2026-02-30' }, 'invalid-date'],
  ] as const)('refuses %s', async (_name, req, code) => {
    await expect(logRightsRequest(t.db, { description: '', ...req }, await actor('pals.one'), NOW, audit)).rejects.toMatchObject({ code });
  });

  it('refuses a clinician logging a request, and stores nothing when the audit cannot be written', async () => {
    await expect(logRightsRequest(t.db, { nhsNumber: NHS, kind: 'complaint', receivedOn: '2026-09-01', description: '' }, await actor('dr.who'), NOW, audit))
      .rejects.toMatchObject({ code: 'not-permitted' });
    const before = await t.db.selectFrom('rights_cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const failing: AuditSink = async () => { throw new Error('audit unavailable'); };
    await expect(logRightsRequest(t.db, { nhsNumber: NHS, kind: 'complaint', receivedOn: '2026-09-01', description: '' }, await actor('pals.one'), NOW, failing)).rejects.toThrow('audit unavailable');
    const after = await t.db.selectFrom('rights_cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('lists the parts routed to an organisation with their deadlines; none for an organisation without a part', async () => {
    const rje = await casesForOrganisation(t.db, 'RJE', LATER);
    expect(rje.map((c) => [c.kind, c.clock.dueOn, c.clock.state])).toEqual([['access', '2026-10-01', 'open']]);
    expect(await casesForOrganisation(t.db, 'RTG', LATER)).toEqual([]);
    const overdue = await casesForOrganisation(t.db, 'RJE', new Date('2026-10-02T09:00:00Z'));
    expect(overdue[0]!.clock.state).toBe('overdue');
  });

  it('shows a team the scope from its own organisation only, never clinical content, audited as a view', async () => {
    const [c] = await casesForOrganisation(t.db, 'RJE', LATER);
    const view = await openCaseForTeam(t.db, c!.caseId, await actor('atr.rje'), LATER, audit);
    expect(view.scope).toEqual([{ resourceType: 'Condition', count: 2 }, { resourceType: 'Encounter', count: 1 }]);
    expect(view.sourceRecords).toBe(1);
    expect(view.otherParts).toBe(2);
    expect(view.person).toEqual({ family: 'Casefile', given: ['Rhea'], birthDate: '1970-05-06' });
    expect(JSON.stringify(view)).not.toContain('Asthma');
    const last = (await events('view')).at(-1);
    expect(last).toMatchObject({ person_id: personId, purpose: 'rights-request', outcome: 'success', details: { rightsCaseId: c!.caseId } });
  });

  it('refuses a team the case is not routed to, and audits the refusal', async () => {
    const [c] = await casesForOrganisation(t.db, 'RJE', LATER);
    const err = await openCaseForTeam(t.db, c!.caseId, await actor('atr.rtg'), LATER, audit).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RightsError);
    expect((err as RightsError).code).toBe('not-permitted');
    expect((await events('access-denied')).at(-1)).toMatchObject({ person_id: personId, outcome: 'denied', details: { rightsCaseId: c!.caseId, reason: 'case-not-routed' } });
    await expect(openCaseForTeam(t.db, randomUUID(), await actor('atr.rje'), LATER, audit)).rejects.toMatchObject({ code: 'unknown-case' });
    await expect(openCaseForTeam(t.db, 'not-a-case', await actor('atr.rje'), LATER, audit)).rejects.toMatchObject({ code: 'unknown-case' });
  });

  it('extends the time limit within the first month, with a reason, audited', async () => {
    const [c] = await casesForOrganisation(t.db, 'RJE', LATER);
    const atr = await actor('atr.rje');
    await expect(changePart(t.db, c!.caseId, { change: 'extended', months: 1, reason: '' }, atr, LATER, audit)).rejects.toMatchObject({ code: 'extension-refused', where: 'reason' });
    const r = await changePart(t.db, c!.caseId, { change: 'extended', months: 2, reason: 'Records from many services' }, atr, LATER, audit);
    expect(r.dueOn).toBe('2026-12-01');
    await expect(changePart(t.db, c!.caseId, { change: 'extended', months: 1, reason: 'less' }, atr, LATER, audit)).rejects.toMatchObject({ code: 'extension-refused' });
    expect((await events('rights-case-changed')).at(-1)).toMatchObject({ details: { change: 'extended', extensionMonths: 2, part: 'RJE' } });
    // Only this team's part is extended.
    const scc = await casesForOrganisation(t.db, 'SCC01', LATER);
    expect(scc[0]!.clock.dueOn).toBe('2026-10-01');
  });

  it('exports everything the shared record holds and who used it, for an open access part only, audited as an export', async () => {
    const [c] = await casesForOrganisation(t.db, 'RJE', LATER);
    const ex = await accessExport(t.db, c!.caseId, await actor('atr.rje'), LATER, audit);
    const doc = ex.document as { nhsNumber: string; record: { entry: { resource: { resourceType: string; meta: { tag: { code: string }[] } } }[] }; sourceRecords: unknown[]; accessHistory: { activity: string; purpose?: string }[] };
    expect(ex.filename).toMatch(/^subject-access-RR-\d{6}\.json$/);
    expect(doc.nhsNumber).toBe(NHS);
    // Every source's entries, not only the exporting team's; deleted entries are no longer held.
    expect(doc.record.entry.map((e) => `${e.resource.resourceType}@${e.resource.meta.tag[0]!.code}`).sort()).toEqual(['Condition@RJE', 'Condition@RJE', 'Encounter@RJE', 'EpisodeOfCare@SCC01']);
    expect(doc.sourceRecords).toHaveLength(2);
    expect(doc.accessHistory.some((h) => h.activity === 'viewed' && h.purpose === 'Your request about your data')).toBe(true);
    expect((await events('export')).at(-1)).toMatchObject({ person_id: personId, purpose: 'rights-request', outcome: 'success' });

    await changePart(t.db, c!.caseId, { change: 'completed', note: 'Sent by secure email' }, await actor('atr.rje'), LATER, audit);
    await expect(accessExport(t.db, c!.caseId, await actor('atr.rje'), LATER, audit)).rejects.toMatchObject({ code: 'not-permitted' });
    await expect(changePart(t.db, c!.caseId, { change: 'completed', note: '' }, await actor('atr.rje'), LATER, audit)).rejects.toMatchObject({ code: 'not-permitted' });
    const rje = await casesForOrganisation(t.db, 'RJE', LATER);
    expect(rje[0]!.clock.state).toBe('done');
    // The council's part is still open: the council's team can still export.
    await expect(accessExport(t.db, c!.caseId, await actor('atr.scc'), LATER, audit)).resolves.toMatchObject({ filename: ex.filename });
  });

  it('refuses an export within a case that is not an access request', async () => {
    const logged = await logRightsRequest(t.db, { nhsNumber: NHS, kind: 'restriction', receivedOn: '2026-09-03', description: 'Contests a diagnosis' }, await actor('pals.one'), NOW, audit);
    await expect(accessExport(t.db, logged.id, await actor('atr.rje'), NOW, audit)).rejects.toMatchObject({ code: 'not-permitted' });
    await expect(openCaseForTeam(t.db, logged.id, await actor('atr.rje'), NOW, audit)).resolves.toMatchObject({ kind: 'restriction' });
  });

  it('still handles a request from a person who has objected', async () => {
    await addUser(t.db, { username: 'gp.two', name: 'gp two', organisationOds: 'M83001', role: 'gp-practice-staff', trainingValidUntil: '2099-01-01', password: 'a long test passphrase 1234' }, NOW, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    const p = await t.db.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('source_records').values({
      feed_id: 'feed-rje', local_id: randomUUID(), person_id: p.id, nhs_number: NHS_OBJECTOR, demographics: '{}', data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
    }).execute();
    await recordObjection(t.db, { nhsNumber: NHS_OBJECTOR, channel: 'gp', byUsername: 'gp.two' }, NOW, audit);
    const logged = await logRightsRequest(t.db, { nhsNumber: NHS_OBJECTOR, kind: 'access', receivedOn: '2026-09-03', description: '' }, await actor('gp.two'), NOW, audit);
    expect(logged.parts.map((x) => x.ods)).toEqual(['RJE']);
    const ex = await accessExport(t.db, logged.id, await actor('atr.rje'), NOW, audit);
    expect((ex.document as { nhsNumber: string }).nhsNumber).toBe(NHS_OBJECTOR);
  });

  it('keeps the case history append-only', async () => {
    await expect(sql`update rights_case_events set note = 'changed'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from rights_case_events`.execute(t.db)).rejects.toThrow(/append-only/);
  });
});
