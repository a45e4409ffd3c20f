/**
 * No clinical read bypasses the access decision and the audit write. Every route the running
 * system serves is listed here by kind; a new route fails this test until it is classified. Each
 * route that returns clinical data is then exercised: refused without a legitimate relationship
 * (the decision ran) with the refusal audited, answered with the relationship only once the answer's
 * audit is committed, and nothing returned (503) when the audit cannot be written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestSystem, type TestSystem } from '../support/system.ts';
import { testEngines } from '../../src/store/testing.ts';
import { routesOf } from '../../src/http/server.ts';
import { seedRecord } from '../../src/record/testing.ts';
import { addUser } from '../../src/access/index.ts';
import { issueToken, tokenKey } from '../../src/access/tokens.ts';
import { appendAudit } from '../../src/audit/index.ts';
import { createSession } from '../../src/access/index.ts';
import { testRangeNhsNumber } from '../../src/nhs/nhsNumber.ts';

type Kind = 'public' | 'feed' | 'sign-in' | 'clinical-api' | 'clinical-web' | 'governance' | 'admin-web' | 'front-desk-web' | 'session' | 'rights-web' | 'statistics-web';

const ROUTES: Record<string, Kind> = {
  'GET /healthz': 'public',
  'GET /fhir/metadata': 'public',
  'POST /ingest/hl7v2': 'feed',
  'POST /ingest/fhir': 'feed',
  'POST /ingest/csv': 'feed',
  'GET /fhir/Patient': 'clinical-api',
  'GET /fhir/Patient/:id': 'clinical-api',
  'GET /fhir/Patient/:id/$everything': 'clinical-api',
  'POST /fhir/Patient/:id/$declare-relationship': 'clinical-api',
  'GET /fhir/:type': 'clinical-api',
  // Answers 404 "not supported" (no data) for every type: reads go through Patient or a search.
  'GET /fhir/:type/:id': 'public',
  'GET /fhir/AuditEvent': 'governance',
  'GET /assets/*': 'public',
  'GET /static/*': 'public',
  'GET /sign-in': 'sign-in',
  'POST /sign-in': 'sign-in',
  'GET /sign-in/code': 'sign-in',
  'POST /sign-in/code': 'sign-in',
  'GET /sign-in/oidc': 'sign-in',
  'GET /sign-in/oidc/callback': 'sign-in',
  'POST /sign-out': 'session',
  'POST /session/extend': 'session',
  'GET /': 'session',
  'GET /search': 'clinical-web',
  'POST /search': 'clinical-web',
  'GET /record/:id': 'clinical-web',
  'POST /record/:id/relationship': 'clinical-web',
  'GET /record/:id/attachments/:entry/:index': 'clinical-web',
  'GET /objections': 'front-desk-web',
  'POST /objections/find': 'front-desk-web',
  'POST /objections/confirm': 'front-desk-web',
  'POST /objections/submit': 'front-desk-web',
  'GET /audit': 'governance',
  'GET /audit/who-viewed': 'governance',
  'POST /audit/person': 'governance',
  'POST /audit/user': 'governance',
  'POST /audit/who-viewed': 'governance',
  'GET /admin/organisations': 'admin-web',
  'GET /admin/feeds': 'admin-web',
  'GET /admin/dead-letters': 'admin-web',
  'POST /admin/dead-letters/replay': 'admin-web',
  'GET /admin/users': 'admin-web',
  'POST /admin/users': 'admin-web',
  'POST /admin/users/suspend': 'admin-web',
  'POST /admin/users/training': 'admin-web',
  'GET /rights': 'front-desk-web',
  'POST /rights/confirm': 'front-desk-web',
  'POST /rights/edit': 'front-desk-web',
  'POST /rights/submit': 'front-desk-web',
  // Decided (handle-rights-case / export) and audited in src/rights; tested there and in test/web/rights.test.ts.
  'GET /rights/cases': 'rights-web',
  'GET /rights/cases/:id': 'rights-web',
  'POST /rights/cases/:id/done': 'rights-web',
  'POST /rights/cases/:id/extend': 'rights-web',
  'GET /rights/cases/:id/export': 'rights-web',
  'POST /rights/cases/:id/restrict': 'rights-web',
  'POST /rights/cases/:id/lift': 'rights-web',
  // Aggregates only (suppressed and rounded), decided and audited in src/statistics.
  'GET /statistics': 'statistics-web',
};

const NHS = testRangeNhsNumber(4242);

describe.each(testEngines())('every route decides and audits on %s', (engine) => {
  let s: TestSystem;
  let personId: string;
  let tokens: { allowed: string; stranger: string };
  let webCookie: string;

  const auditCount = async () => Number((await sql<{ n: number }>`select count(*)::int8 as n from audit_events`.execute(s.t.db)).rows[0]!.n);
  const lastAudit = async () => (await sql<{ action: string; outcome: string; person_id: string | null }>`select action, outcome, person_id from audit_events order by seq desc limit 1`.execute(s.t.db)).rows[0];
  const get = (path: string, token: string) => fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });

  beforeAll(async () => {
    s = await startTestSystem(engine);
    const today = new Date().toISOString().slice(0, 10);
    const seeded = await seedRecord(s.t.db, {
      organisations: [
        { ods: 'RJE', name: 'University Hospitals of North Midlands', kind: 'acute', isaFrom: '2020-01-01' },
        { ods: 'RTG', name: 'University Hospitals of Derby and Burton', kind: 'acute', isaFrom: '2020-01-01' },
      ],
      feeds: [{ id: 'rje-pas', ods: 'RJE', format: 'hl7v2', lastSuccessAt: new Date() }],
      persons: [{
        sourceRecords: [{ feedId: 'rje-pas', localId: 'H1', nhsNumber: NHS, verified: true, demographics: { family: 'Routecheck', given: ['Ada'], birthDate: '1960-02-03', sex: 'female' } }],
        resources: [
          { feedId: 'rje-pas', resource: { resourceType: 'Patient', id: 'H1', name: [{ family: 'Routecheck', given: ['Ada'] }], birthDate: '1960-02-03', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }] } },
          { feedId: 'rje-pas', resource: { resourceType: 'Encounter', id: 'E1', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }, subject: { reference: 'Patient/H1' }, period: { start: `${today}T08:00:00Z` } } },
          { feedId: 'rje-pas', resource: { resourceType: 'Condition', id: 'C1', subject: { reference: 'Patient/H1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '195967001', display: 'Asthma' }] }, recordedDate: '2020-01-01' } },
        ],
      }],
    });
    personId = seeded.personIds[0]!;
    const audit = async (trx: Parameters<typeof appendAudit>[0], d: Parameters<typeof appendAudit>[1]) => void (await appendAudit(trx, d));
    const opts = { mfaRequired: false, scrypt: { N: 2 ** 10, r: 8, p: 1 } };
    const actor = { kind: 'system' as const, id: 'test' };
    const training = '2099-01-01';
    const pw = 'route coverage oatcake passphrase 77';
    const allowed = await addUser(s.t.db, { username: 'dr.allowed', name: 'Dr Allowed', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:7000001', trainingValidUntil: training, password: pw }, new Date(), audit, actor, opts);
    await addUser(s.t.db, { username: 'dr.stranger', name: 'Dr Stranger', organisationOds: 'RTG', role: 'clinician', registration: 'GMC:7000002', trainingValidUntil: training, password: pw }, new Date(), audit, actor, opts);
    const key = await tokenKey(s.t.db);
    tokens = {
      allowed: await issueToken(key, { kind: 'user', username: 'dr.allowed' }, new Date(), 600),
      stranger: await issueToken(key, { kind: 'user', username: 'dr.stranger' }, new Date(), 600),
    };
    const session = await s.t.db.transaction().execute((trx) => createSession(trx, { id: allowed.user.id, organisationOds: 'RJE', role: 'clinician' }, { method: 'password', mfaSatisfied: true }, new Date(), audit, opts));
    webCookie = `ohc_session=${session.sessionId}`;
  });
  afterAll(async () => s.close());

  it('classifies every route the server serves', () => {
    const served = routesOf(s.system.http).map((r) => `${r.method} ${r.url}`);
    const unclassified = served.filter((r) => !(r in ROUTES));
    expect(unclassified).toEqual([]);
    // And every classified clinical route is really served (the list is not stale).
    for (const [route, kind] of Object.entries(ROUTES)) if (kind.startsWith('clinical')) expect(served).toContain(route);
  });

  // Routes that return clinical content; Patient/{id} returns demographics (the same as a search
  // by NHS number) and is decided with the search purpose, so it is checked separately below.
  const clinicalApi = () => [
    ['GET /fhir/Patient/:id/$everything', `/fhir/Patient/${personId}/$everything`],
    ['GET /fhir/:type', `/fhir/Condition?patient=${personId}`],
  ] as const;

  it('refuses each clinical API route without a relationship, and audits the refusal', async () => {
    for (const [, path] of clinicalApi()) {
      const before = await auditCount();
      const res = await get(path, tokens.stranger);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { issue: Array<{ details?: { coding: Array<{ code: string }> } }> };
      expect(body.issue[0]!.details!.coding[0]!.code).toBe('relationship-required');
      expect(await auditCount()).toBe(before + 1);
      expect(await lastAudit()).toMatchObject({ action: 'access-denied', outcome: 'denied', person_id: personId });
    }
  });

  it('answers each clinical API route with a relationship, audited before it answers', async () => {
    const cases = [...clinicalApi(), ['GET /fhir/Patient/:id', `/fhir/Patient/${personId}`], ['GET /fhir/Patient', `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${NHS}`]] as const;
    for (const [, path] of cases) {
      const before = await auditCount();
      const res = await get(path, tokens.allowed);
      expect(res.status, path).toBe(200);
      expect(await auditCount(), path).toBe(before + 1);
      const last = await lastAudit();
      expect(['view', 'search']).toContain(last!.action);
      expect(last!.outcome).toBe('success');
    }
  });

  it('returns nothing when the audit cannot be written (fail closed, 503)', async () => {
    // A trigger that makes every audit insert fail, as a full disk or a lost connection would.
    await sql`create or replace function fail_audit() returns trigger language plpgsql as $$ begin raise exception 'audit unavailable'; end $$`.execute(s.t.db);
    await sql`create trigger fail_audit before insert on audit_events for each row execute function fail_audit()`.execute(s.t.db);
    try {
      for (const path of [...clinicalApi().map(([, p]) => p), `/fhir/Patient/${personId}`, `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${NHS}`]) {
        const res = await get(path, tokens.allowed);
        expect(res.status, path).toBe(503);
        const text = await res.text();
        expect(text).not.toContain('Routecheck');
        expect(text).not.toContain('Asthma');
      }
      const web = await fetch(`${s.url}/record/${personId}`, { headers: { cookie: webCookie } });
      expect(web.status).toBe(503);
      expect(await web.text()).not.toContain('Routecheck');
    } finally {
      await sql`drop trigger fail_audit on audit_events`.execute(s.t.db);
    }
  });

  it('answers a demographics read without a relationship, audited, and reads of single resources with no data', async () => {
    const before = await auditCount();
    const res = await get(`/fhir/Patient/${personId}`, tokens.stranger);
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('Asthma');
    expect(await auditCount()).toBe(before + 1);
    const condition = (await sql<{ id: string }>`select id from resources where resource_type = 'Condition'`.execute(s.t.db)).rows[0]!.id;
    const single = await get(`/fhir/Condition/${condition}`, tokens.allowed);
    expect(single.status).toBe(404);
    expect(await single.text()).not.toContain('Asthma');
  });

  it('shows the record page only through the decision and the audit', async () => {
    const before = await auditCount();
    const res = await fetch(`${s.url}/record/${personId}`, { headers: { cookie: webCookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Asthma');
    expect(await auditCount()).toBeGreaterThan(before);
    expect(await lastAudit()).toMatchObject({ action: 'view', outcome: 'success', person_id: personId });
  });
});
