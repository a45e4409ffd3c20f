import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Bundle, OperationOutcome, Patient } from 'fhir/r4';
import { createTestDatabase, testEngines, type TestDatabase } from '../../store/testing.ts';
import { fhirSchemaProblems } from '../../fhir/schema.ts';
import { seedRecord } from '../../record/testing.ts';
import { buildApp, fakeDeps, NHS_ANN, NHS_NOBODY, NHS_OPTED_OUT, seedCounty, type FakeDeps, type Seeded } from './testing.ts';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const GP = { authorization: 'Bearer gp-token' };
const ACUTE = { authorization: 'Bearer acute-token' };
const STRANGER = { authorization: 'Bearer stranger-token' };

// Each engine, with deps that decide and then leave the reading to the routes, and with deps that
// read the record with the decision (as the production read path does): the answers are the same.
const VARIANTS = testEngines().flatMap((engine) => [
  { engine, alongside: false, name: `${engine}, deciding first` },
  { engine, alongside: true, name: `${engine}, the record read with the decision` },
]);

describe.each(VARIANTS)('FHIR read API on $name', ({ engine, alongside }) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let fake: FakeDeps;
  let seeded: Seeded;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    seeded = await seedCounty(database.db);
    fake = fakeDeps(database.db, seeded, { alongside });
    app = await buildApp(fake.deps);
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  const get = (url: string, headers: Record<string, string> = GP) => app.inject({ method: 'GET', url, headers });
  const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
  const valid = (r: { body: string }) => expect(fhirSchemaProblems(JSON.parse(r.body))).toEqual([]);

  it('serves a valid CapabilityStatement to anyone, listing exactly the routes served', async () => {
    const r = await get('/fhir/metadata', {});
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('application/fhir+json');
    const cs = json<{ fhirVersion: string; rest: { resource: { type: string; operation?: { name: string }[] }[] }[] }>(r);
    expect(cs.fhirVersion).toBe('4.0.1');
    // The official R4 JSON schema file we validate with lists FHIR versions only up to 4.0.0; everything else must be valid.
    expect(fhirSchemaProblems({ ...cs, fhirVersion: '4.0.0' })).toEqual([]);
    const types = cs.rest[0]!.resource.map((x) => x.type);
    expect(types).toContain('Condition');
    expect(types).not.toContain('AuditEvent');
    expect(cs.rest[0]!.resource.find((x) => x.type === 'Patient')!.operation!.map((o) => o.name)).toEqual(['everything', 'declare-relationship']);
  });

  it.each([
    ['/fhir/Patient?identifier=x', {}],
    [`/fhir/Patient/00000000-0000-4000-8000-000000000000/$everything`, { authorization: 'Bearer nonsense' }],
    ['/fhir/Condition?patient=abc', {}],
    ['/fhir/Condition', {}],
    ['/fhir/Basic?patient=abc', {}],
  ])('answers 401 with an OperationOutcome without a valid token: %s', async (url, headers) => {
    const r = await get(url, headers);
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    valid(r);
  });

  it.each([
    [{ accept: 'application/fhir+xml' }, '/fhir/metadata'],
    [{ accept: 'text/html' }, '/fhir/metadata'],
    [{}, '/fhir/metadata?_format=xml'],
  ])('answers 406 to %o on %s', async (headers, url) => {
    const r = await get(url, headers);
    expect(r.statusCode).toBe(406);
    valid(r);
  });

  it('accepts _format=json and Accept: application/json', async () => {
    expect((await get('/fhir/metadata?_format=json', {})).statusCode).toBe(200);
    expect((await get('/fhir/metadata', { accept: 'application/json' })).statusCode).toBe(200);
  });

  it('finds a person by NHS number and composes their Patient from every source, audited', async () => {
    const before = fake.audits.length;
    const r = await get(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${NHS_ANN}`)}`);
    expect(r.statusCode).toBe(200);
    valid(r);
    const b = json<Bundle>(r);
    expect(b.type).toBe('searchset');
    expect(b.total).toBe(1);
    const p = b.entry![0]!.resource as Patient;
    expect(p.id).toBe(seeded.ann);
    expect(p.identifier![0]).toEqual({ system: NHS, value: NHS_ANN });
    expect(p.birthDate).toBe('1950-02-03');
    expect(p.generalPractitioner?.[0]?.identifier?.value).toBe('GP1');
    expect(p.contact?.[0]?.name?.text).toBe('Bob Ozturk');
    expect(p.meta?.tag?.map((t) => t.code).sort()).toEqual(['GP1', 'RJE', 'SCC']);
    const audit = fake.audits.slice(before);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'search', outcome: 'success', personId: seeded.ann, details: { terms: ['identifier'], resources: [`Patient/${seeded.ann}`] } });
    expect(JSON.stringify(audit)).not.toContain(NHS_ANN);
  });

  it('an opted-out person is indistinguishable from an unknown one in search', async () => {
    const optedOut = await get(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${NHS_OPTED_OUT}`)}`);
    const unknown = await get(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${NHS_NOBODY}`)}`);
    expect(optedOut.statusCode).toBe(200);
    expect(optedOut.body.replace(NHS_OPTED_OUT, 'N')).toBe(unknown.body.replace(NHS_NOBODY, 'N'));
    expect(json<Bundle>(optedOut).total).toBe(0);
  });

  it('an opted-out id and an unknown id get the very same 404', async () => {
    const a = await get(`/fhir/Patient/${seeded.optedOut}/$everything`);
    const b = await get('/fhir/Patient/00000000-0000-4000-8000-00000000abcd/$everything');
    const c = await get('/fhir/Patient/not-a-uuid');
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([404, 404, 404]);
    expect(a.body).toBe(b.body);
    expect(c.body).toBe(b.body);
    valid(a);
  });

  it.each<[string, Record<string, string>, number]>([
    ['exact family and birth date', { family: 'Ozturk', birthdate: '1950-02-03' }, 1],
    ['accents, case and a typo', { family: 'OZTÜRKK', birthdate: '1950-02-03' }, 1],
    ['a prefix of the name', { family: 'oztu', birthdate: '1950-02-03' }, 1],
    ['given name and postcode', { given: 'ann', 'address-postcode': 'st41aa' }, 1],
    ['a different name', { family: 'Jones', birthdate: '1950-02-03' }, 0],
    ['a different birth date', { family: 'Ozturk', birthdate: '1950-02-04' }, 0],
    ['the opted-out person by name', { family: 'Hidden', birthdate: '1960-06-06' }, 0],
  ])('Patient search by %s', async (_name, params, total) => {
    const r = await get(`/fhir/Patient?${new URLSearchParams(params).toString()}`);
    expect(r.statusCode).toBe(200);
    valid(r);
    expect(json<Bundle>(r).total).toBe(total);
  });

  it('refuses a search it cannot answer with a 400 OperationOutcome', async () => {
    const r = await get('/fhir/Patient?family=Ozturk');
    expect(r.statusCode).toBe(400);
    valid(r);
    expect(json<OperationOutcome>(r).issue[0]!.code).toBe('required');
  });

  it('a role without direct care is refused with 403 and the reason', async () => {
    const r = await get(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${NHS_ANN}`)}`, { authorization: 'Bearer admin-token' });
    expect(r.statusCode).toBe(403);
    valid(r);
    expect(json<OperationOutcome>(r).issue[0]!.details!.coding![0]!.code).toBe('role-not-permitted');
    expect(fake.audits.at(-1)).toMatchObject({ action: 'access-denied', outcome: 'denied' });
  });

  it('reads a Patient by id', async () => {
    const r = await get(`/fhir/Patient/${seeded.ann}`, STRANGER);
    expect(r.statusCode).toBe(200);
    valid(r);
    expect(json<Patient>(r).id).toBe(seeded.ann);
  });

  describe('$everything', () => {
    it('returns the combined record: provenance on every resource, references rewritten, each fact once', async () => {
      const r = await get(`/fhir/Patient/${seeded.ann}/$everything`);
      expect(r.statusCode).toBe(200);
      valid(r);
      const b = json<Bundle>(r);
      const resources = b.entry!.filter((e) => e.search?.mode === 'match').map((e) => e.resource!);
      expect(resources[0]!.resourceType).toBe('Patient');
      const conditions = resources.filter((x) => x.resourceType === 'Condition');
      // Diabetes from GP and hospital is one item with both sources; asthma (historic) another; deleted one absent.
      expect(conditions).toHaveLength(2);
      const diabetes = conditions.find((c) => JSON.stringify(c).includes('44054006'))!;
      expect(diabetes.meta!.tag!.map((t) => [t.system, t.code])).toEqual([[ODS, 'RJE'], [ODS, 'GP1']]);
      expect(diabetes.meta!.lastUpdated).toBe('2025-06-01T12:00:00.000Z');
      for (const res of resources.slice(1)) {
        expect(res.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.meta?.tag?.[0]?.system).toBe(ODS);
        expect(res.meta?.source).toMatch(/^urn:ohc:feed:/);
        const text = JSON.stringify(res);
        expect(text).not.toMatch(/Patient\/gp-ann|"H100"|"SC-9"/);
        expect(text).toContain(`Patient/${seeded.ann}`);
      }
      // The report's result points at the observation's stored id.
      const report = resources.find((x) => x.resourceType === 'DiagnosticReport') as { result: { reference: string }[] };
      const obs = resources.find((x) => x.resourceType === 'Observation' && JSON.stringify(x).includes('4548-4'))!;
      expect(report.result[0]!.reference).toBe(`Observation/${obs.id}`);
      // The sensitive entry is withheld with a marker that does not name its category.
      const marker = b.entry!.find((e) => e.search?.mode === 'outcome')!.resource as OperationOutcome;
      expect(marker.issue[0]).toMatchObject({ severity: 'information', code: 'suppressed' });
      expect(JSON.stringify(b)).not.toContain('8098009');
      expect(fake.audits.at(-1)).toMatchObject({ action: 'view', purpose: 'direct-care', personId: seeded.ann, details: { relationship: 'gp-registration', withheld: { sensitive: 1 } } });
    });

    it('pages with _count and opaque next links that lead through every resource once', async () => {
      const seen: string[] = [];
      let url: string | undefined = `/fhir/Patient/${seeded.ann}/$everything?_count=3`;
      let pages = 0;
      let total = 0;
      while (url) {
        const r = await get(url);
        expect(r.statusCode).toBe(200);
        valid(r);
        const b = json<Bundle>(r);
        total = b.total!;
        seen.push(...b.entry!.filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!));
        const next = b.link?.find((l) => l.relation === 'next')?.url;
        url = next ? next.replace(/^https?:\/\/[^/]+/, '') : undefined;
        pages++;
      }
      expect(new Set(seen).size).toBe(total);
      expect(seen).toHaveLength(total);
      expect(pages).toBe(Math.ceil(total / 3));
    });

    it('follows a merge: an id merged away answers with the surviving person, decided and audited as them', async () => {
      const merged = (await seedRecord(database.db, { persons: [{ mergedInto: seeded.ann }] })).personIds[0]!;
      const asked: (string | null)[] = [];
      const decide = fake.deps.decide.bind(fake.deps);
      fake.deps.decide = (input) => {
        asked.push(input.personId);
        return decide(input);
      };
      try {
        for (const id of [merged, merged.toUpperCase()]) {
          asked.length = 0;
          const r = await get(`/fhir/Patient/${id}/$everything`);
          expect(r.statusCode).toBe(200);
          const b = json<Bundle>(r);
          expect(b.entry![0]!.resource).toMatchObject({ resourceType: 'Patient', id: seeded.ann });
          expect(fake.audits.at(-1)).toMatchObject({ action: 'view', personId: seeded.ann });
          // The id as asked is no current person, so the survivor is decided about in its place.
          expect(asked).toEqual([merged, seeded.ann]);
        }
        const refused = await get(`/fhir/Patient/${merged}/$everything`, STRANGER);
        expect(refused.statusCode).toBe(403);
        expect(fake.audits.at(-1)).toMatchObject({ action: 'access-denied', personId: seeded.ann });
        // A current person is decided about once: the decision's facts are the existence check.
        asked.length = 0;
        expect((await get(`/fhir/Patient/${seeded.ann}/$everything`)).statusCode).toBe(200);
        expect(asked).toEqual([seeded.ann]);
      } finally {
        fake.deps.decide = decide;
      }
    });

    it('without a legitimate relationship: 403 relationship-required', async () => {
      const r = await get(`/fhir/Patient/${seeded.ann}/$everything`, STRANGER);
      expect(r.statusCode).toBe(403);
      valid(r);
      expect(json<OperationOutcome>(r).issue[0]!.details!.coding![0]!.code).toBe('relationship-required');
    });

    it('when the audit cannot be written: 503 and no data', async () => {
      fake.failAudit.on = true;
      try {
        const r = await get(`/fhir/Patient/${seeded.ann}/$everything`);
        expect(r.statusCode).toBe(503);
        valid(r);
        expect(r.body).not.toMatch(/Diabetes|Ozturk|Patient\//);
        const s = await get(`/fhir/Patient?identifier=${encodeURIComponent(`${NHS}|${NHS_ANN}`)}`);
        expect(s.statusCode).toBe(503);
        expect(s.body).not.toContain(seeded.ann);
      } finally {
        fake.failAudit.on = false;
      }
    });
  });

  describe('searching one type', () => {
    it.each<[string, string, number]>([
      ['all conditions', '', 2],
      ['by code', '&code=http://snomed.info/sct|44054006', 1],
      ['by code without system', '&code=195967001', 1],
      ['by category', '&category=problem-list-item', 1],
      ['by date range', '&date=ge2015&date=lt2020', 1],
      ['by a date that matches nothing', '&date=2030', 0],
    ])('Condition: %s', async (_name, extra, total) => {
      const r = await get(`/fhir/Condition?patient=${seeded.ann}${extra}`);
      expect(r.statusCode).toBe(200);
      valid(r);
      const b = json<Bundle>(r);
      expect(b.total).toBe(total);
      expect(b.entry?.filter((e) => e.search?.mode === 'match').every((e) => e.resource!.resourceType === 'Condition') ?? true).toBe(true);
    });

    it('sorts newest first by default and oldest first with _sort=date', async () => {
      const dates = async (sort: string) => json<Bundle>(await get(`/fhir/Condition?patient=Patient/${seeded.ann}${sort}`)).entry!
        .map((e) => (e.resource as { onsetDateTime: string }).onsetDateTime);
      expect(await dates('')).toEqual(['2016-01-10', '1990-01-01']);
      expect(await dates('&_sort=date')).toEqual(['1990-01-01', '2016-01-10']);
    });

    it('allergy category is matched on its plain codes', async () => {
      const r = await get(`/fhir/AllergyIntolerance?patient=${seeded.ann}&category=medication`);
      expect(json<Bundle>(r).total).toBe(1);
    });

    it('a user whose relationship is an admission sees the record too', async () => {
      const r = await get(`/fhir/Encounter?patient=${seeded.ann}`, ACUTE);
      expect(r.statusCode).toBe(200);
      expect(json<Bundle>(r).total).toBe(1);
      expect(fake.audits.at(-1)).toMatchObject({ details: { relationship: 'involvement' } });
    });

    it.each([
      ['/fhir/Condition', 400],
      ['/fhir/Condition?patient=x&colour=blue', 400],
      ['/fhir/Basic?patient=x', 404],
      ['/fhir/Condition/123', 404],
    ])('%s → %d with an OperationOutcome', async (url, status) => {
      const r = await get(url);
      expect(r.statusCode).toBe(status);
      valid(r);
    });
  });

  describe('$declare-relationship', () => {
    const post = (payload: unknown, headers: Record<string, string> = STRANGER) => app.inject({
      method: 'POST', url: `/fhir/Patient/${seeded.ann}/$declare-relationship`, headers: { ...headers, 'content-type': 'application/fhir+json' }, payload: JSON.stringify(payload),
    });

    it.each([
      [{ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'sometimes' }] }, 'code-invalid'],
      [{ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'other' }] }, 'required'],
      [{ resourceType: 'Patient' }, 'structure'],
    ])('refuses a bad declaration %#', async (payload, code) => {
      const r = await post(payload);
      expect(r.statusCode).toBe(400);
      valid(r);
      expect(json<OperationOutcome>(r).issue[0]!.code).toBe(code);
    });

    it('records a declaration, audited and flagged, after which the record opens', async () => {
      const r = await post({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'emergency' }, { name: 'detail', valueString: 'Seen in the emergency department' }] });
      expect(r.statusCode).toBe(200);
      valid(r);
      expect(fake.audits.at(-1)).toMatchObject({ action: 'declare-relationship', personId: seeded.ann, details: { reason: 'emergency', flagForReview: ['declared-relationship'] } });
      const after = await get(`/fhir/Patient/${seeded.ann}/$everything`, STRANGER);
      expect(after.statusCode).toBe(200);
      expect(fake.audits.at(-1)).toMatchObject({ purpose: 'emergency-care', details: { relationship: 'declared' } });
    });

    it('cannot be declared for an opted-out person: 404', async () => {
      const r = await app.inject({ method: 'POST', url: `/fhir/Patient/${seeded.optedOut}/$declare-relationship`, headers: { ...STRANGER, 'content-type': 'application/fhir+json' }, payload: '{"resourceType":"Parameters","parameter":[{"name":"reason","valueCode":"emergency"}]}' });
      expect(r.statusCode).toBe(404);
    });
  });
});
