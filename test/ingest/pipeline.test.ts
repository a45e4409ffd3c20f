/**
 * The ingestion pipeline end to end over its real interfaces: replays change nothing, older
 * updates never overwrite newer ones, deletions remove from view, feeds may write only as their own
 * organisation, rejected input is kept and can be replayed after a fix, snapshot extracts remove
 * absent rows only within the configured share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { testEngines } from '../../src/store/testing.ts';
import { ensureOrganisations } from '../../src/registry/organisations.ts';
import { addFeed } from '../../src/ingest/feeds.ts';
import { MllpClient, ackCode } from '../../src/mllp/client.ts';
import { issueToken, tokenKey } from '../../src/access/tokens.ts';
import { testRangeNhsNumber } from '../../src/nhs/nhsNumber.ts';
import { listDeadLetters } from '../../src/ingest/deadLetters.ts';
import { replayDeadLetter } from '../../src/ingest/replay.ts';
import { listFeeds } from '../../src/ingest/feeds.ts';

const NHS_A = testRangeNhsNumber(101);

function adt(event: string, controlId: string, at: string, family: string, extra: string[] = []): string {
  return [
    `MSH|^~\\&|PAS|RJE|OHC|OHC|${at}||ADT^${event}^ADT_A01|${controlId}|P|2.4`,
    `EVN|${event}|${at}`,
    `PID|1||${NHS_A}^^^NHS^NH~H100^^^RJE^PI||${family}^Alice||19800215|F|||1 Hill Road^^Leek^^ST13 5AA`,
    ...extra,
  ].join('\r');
}

describe.each(testEngines())('ingestion pipeline on %s', (engine) => {
  let s: TestSystem;
  let mllp: MllpClient;
  let tokens: Record<string, string>;
  const post = (route: string, feed: string, body: string, type: string) =>
    fetch(`${s.url}${route}`, { method: 'POST', body, headers: { 'content-type': type, ...(feed ? { authorization: `Bearer ${tokens[feed]}` } : {}) } });

  beforeAll(async () => {
    s = await startTestSystem(engine);
    await ensureOrganisations(s.t.db, [
      { odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' },
      { odsCode: 'Y90001', name: 'Practice', kind: 'gp-practice', isaFrom: '2020-01-01' },
      { odsCode: 'SYNSTF', name: 'Council', kind: 'social-care', isaFrom: '2020-01-01' },
    ]);
    await addFeed(s.t.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
    await addFeed(s.t.db, { id: 'gp-y90001', organisationOds: 'Y90001', format: 'fhir' });
    await addFeed(s.t.db, { id: 'staffs-sc', organisationOds: 'SYNSTF', format: 'csv', snapshot: true });
    const key = await tokenKey(s.t.db);
    tokens = {};
    for (const f of ['rje-pas', 'gp-y90001', 'staffs-sc']) tokens[f] = await issueToken(key, { kind: 'feed', feedId: f }, new Date(), 600);
    mllp = await MllpClient.connect('127.0.0.1', s.system.mllpPort);
  });
  afterAll(async () => {
    await mllp.close();
    await s.close();
  });

  const patientFamily = async () => {
    await s.system.drained();
    const r = await sql<{ family: string }>`select resource->'name'->0->>'family' as family from resources where feed_id = 'rje-pas' and resource_type = 'Patient'`.execute(s.t.db);
    return r.rows.map((x) => x.family);
  };

  it('a replayed message (same feed, same control id) changes nothing', async () => {
    expect(ackCode(await mllp.send(adt('A28', 'C1', '20240101100000', 'Original')))).toBe('AA');
    expect(await patientFamily()).toEqual(['Original']);
    // The same control id again, even with other content, is acknowledged and ignored.
    expect(ackCode(await mllp.send(adt('A28', 'C1', '20240101100000', 'Changed')))).toBe('AA');
    expect(await patientFamily()).toEqual(['Original']);
    const inbox = await s.t.db.selectFrom('inbox').select('id').where('message_id', '=', 'C1').execute();
    expect(inbox).toHaveLength(1);
  });

  it('an older update arriving after a newer one does not overwrite it', async () => {
    expect(ackCode(await mllp.send(adt('A08', 'C3', '20240301100000', 'Newer')))).toBe('AA');
    expect(await patientFamily()).toEqual(['Newer']);
    expect(ackCode(await mllp.send(adt('A08', 'C2', '20240201100000', 'Older')))).toBe('AA');
    expect(await patientFamily()).toEqual(['Newer']);
    const sr = await s.t.db.selectFrom('source_records').select('demographics').where('feed_id', '=', 'rje-pas').where('local_id', '=', 'H100').executeTakeFirstOrThrow();
    expect((sr.demographics as { family?: string }).family).toBe('Newer');
  });

  it('a cancelled admission (A11) removes the encounter from view, and a late copy cannot bring it back', async () => {
    const pv1 = ['PV1|1|I|WARD1^^^RJE||||||||||||||||V900^^^RJE^VN|||||||||||||||||||||||||20240401090000'];
    expect(ackCode(await mllp.send(adt('A01', 'C4', '20240401090000', 'Newer', pv1)))).toBe('AA');
    await s.system.drained();
    const visible = async () => (await s.t.db.selectFrom('resources').select('deleted').where('resource_type', '=', 'Encounter').where('feed_id', '=', 'rje-pas').execute()).map((r) => r.deleted);
    expect(await visible()).toEqual([false]);
    expect(ackCode(await mllp.send(adt('A11', 'C5', '20240401100000', 'Newer', pv1)))).toBe('AA');
    await s.system.drained();
    expect(await visible()).toEqual([true]);
    expect(ackCode(await mllp.send(adt('A01', 'C4b', '20240401090000', 'Newer', pv1)))).toBe('AA');
    await s.system.drained();
    expect(await visible()).toEqual([true]);
  });

  it('answers 401 without a token, 403 for another feed\'s format, and AR when a feed writes as another organisation', async () => {
    expect((await post('/ingest/fhir', '', '{}', 'application/fhir+json')).status).toBe(401);
    const wrong = await post('/ingest/fhir', 'rje-pas', '{}', 'application/fhir+json');
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const impersonation = adt('A28', 'C6', '20240101100000', 'X').replace('|PAS|RJE|', '|PAS|RTG|');
    const res = await post('/ingest/hl7v2', 'rje-pas', impersonation, 'application/hl7-v2');
    const ack = await res.text();
    expect(ackCode(ack)).toBe('AR');
    expect(ack).toContain('MSH-4');
  });

  it('answers a FHIR batch entry by entry, keeps the failures and applies DELETE', async () => {
    const nhs = testRangeNhsNumber(202);
    const bundle = {
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { request: { method: 'PUT', url: 'Patient/gp1' }, resource: { resourceType: 'Patient', id: 'gp1', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }], name: [{ family: 'Gp', given: ['Bea'] }], birthDate: '1990-05-05' } },
        { request: { method: 'PUT', url: 'Condition/c1' }, resource: { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/gp1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } } },
        { request: { method: 'PUT', url: 'Patient/gp2' }, resource: { resourceType: 'Patient', id: 'gp2', birthDate: 'not-a-date' } },
        { request: { method: 'PUT', url: 'Basic/b1' }, resource: { resourceType: 'Basic', id: 'b1', code: { text: 'x' } } },
      ],
    };
    const res = await post('/ingest/fhir', 'gp-y90001', JSON.stringify(bundle), 'application/fhir+json');
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { type: string; entry: Array<{ response: { status: string; outcome?: unknown } }> };
    expect(answer.type).toBe('batch-response');
    expect(answer.entry.map((e) => e.response.status.slice(0, 3))).toEqual(['200', '200', '422', '400']);
    const dead = await listDeadLetters(s.t.db, { feedId: 'gp-y90001' });
    expect(dead).toHaveLength(2);
    await s.system.drained();
    const del = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'DELETE', url: 'Condition/c1' } }] };
    expect((await post('/ingest/fhir', 'gp-y90001', JSON.stringify(del), 'application/fhir+json')).status).toBe(200);
    await s.system.drained();
    const c = await s.t.db.selectFrom('resources').select('deleted').where('resource_type', '=', 'Condition').where('source_id', '=', 'c1').executeTakeFirstOrThrow();
    expect(c.deleted).toBe(true);
    const feeds = await listFeeds(s.t.db);
    const gp = feeds.find((f) => f.id === 'gp-y90001')!;
    expect(gp).toMatchObject({ accepted: 3, rejected: 2, deadLettered: 2, pending: 0 });
    expect(gp.lastSuccess).not.toBeNull();
  });

  it('replays a dead letter once the cause is fixed', async () => {
    // From a sender that is not registered yet…
    const msg = adt('A28', 'C7', '20240101100000', 'Later').replace('|PAS|RJE|', '|PAS|RLY|');
    expect(ackCode(await mllp.send(msg))).toBe('AR');
    const dl = (await listDeadLetters(s.t.db)).find((d) => d.content.includes('C7'))!;
    expect(dl.error.code).toBe('unknown-sender');
    expect((await replayDeadLetter(s.t.db, dl.id, new Date())).outcome).toBe('failed-again');
    // …registered now: the replay goes through and the dead letter is closed.
    await ensureOrganisations(s.t.db, [{ odsCode: 'RLY', name: 'NSCHT', kind: 'mental-health', isaFrom: '2020-01-01' }]);
    await addFeed(s.t.db, { id: 'rly-pas', organisationOds: 'RLY', format: 'hl7v2' });
    const open = (await listDeadLetters(s.t.db)).filter((d) => d.content.includes('C7'));
    const r = await replayDeadLetter(s.t.db, open[open.length - 1]!.id, new Date());
    expect(r.outcome).toBe('replayed');
    await s.system.drained();
    const stored = await s.t.db.selectFrom('inbox').select('feed_id').where('message_id', '=', 'C7').execute();
    expect(stored.map((x) => x.feed_id)).toEqual(['rly-pas']);
  });

  it('reports CSV rows with line and column, keeps bad ones and holds large snapshot removals', async () => {
    const header = 'local_id,nhs_number,family_name,given_names,date_of_birth,sex,address_line_1,address_line_2,town,postcode,phone';
    const rows = Array.from({ length: 10 }, (_, i) => `S${i},,Smith,Jo,1950-01-0${(i % 9) + 1},female,1 Road,,Stafford,ST16 2AA,`);
    const first = await post('/ingest/csv', 'staffs-sc', [header, ...rows, ',,NoId,,1950-01-01,female,,,,,'].join('\r\n'), 'text/csv');
    const report = (await first.json()) as { accepted: number; rejected: number; problems: Array<{ line: number; status: string; errors: Array<{ column?: string }> }> };
    expect(report.accepted).toBe(10);
    expect(report.rejected).toBe(1);
    expect(report.problems[0]).toMatchObject({ line: 12, status: 'rejected' });
    expect(report.problems[0]!.errors[0]!.column).toBe('local_id');
    await s.system.drained();
    // A snapshot missing 5 of 10 persons (50% > 20%): rows stored, removals held.
    const second = await post('/ingest/csv?asOf=2030-01-01', 'staffs-sc', [header, ...rows.slice(0, 5)].join('\r\n'), 'text/csv');
    const r2 = (await second.json()) as { snapshot: { removals: number; held: boolean } };
    expect(r2.snapshot).toMatchObject({ removals: 5, held: true });
    await s.system.drained();
    const live = async () => Number((await sql<{ n: number }>`select count(*)::int8 as n from resources where feed_id = 'staffs-sc' and resource_type = 'Patient' and not deleted`.execute(s.t.db)).rows[0]!.n);
    expect(await live()).toBe(10);
    // Confirmed: the absent rows leave view.
    const third = await post('/ingest/csv?asOf=2030-01-02&confirmRemovals=true', 'staffs-sc', [header, ...rows.slice(0, 5)].join('\r\n'), 'text/csv');
    expect(((await third.json()) as { snapshot: { held: boolean } }).snapshot.held).toBe(false);
    await s.system.drained();
    expect(await live()).toBe(5);
  });
});
