/**
 * The API as an outside FHIR client sees it: fhir-kit-client (a maintained FHIR client library)
 * against a listening server on 127.0.0.1, reading the CapabilityStatement, searching, following
 * next links and calling both operations.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Bundle, OperationOutcome, Patient } from 'fhir/r4';
import { Client, CapabilityTool } from 'fhir-kit-client';
import { createTestDatabase, type TestDatabase } from '../../store/testing.ts';
import { buildApp, fakeDeps, NHS_ANN, seedCounty, type Seeded } from './testing.ts';

describe('FHIR API through fhir-kit-client', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let seeded: Seeded;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    seeded = await seedCounty(database.db);
    app = await buildApp(fakeDeps(database.db, seeded).deps);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `${address}/fhir`;
  });
  afterAll(async () => {
    await app.close();
    await database.dispose();
  });

  const client = (token = 'gp-token') => new Client({ baseUrl, bearerToken: token });
  // The library has its own resource types; the answers are checked against @types/fhir's.
  const bundle = (r: unknown): Bundle => r as Bundle;
  type PageOf = Parameters<Client['nextPage']>[0]['bundle'];

  it('reads a CapabilityStatement the client library understands', async () => {
    const cs = await new Client({ baseUrl }).capabilityStatement();
    const tool = new CapabilityTool(cs);
    expect(tool.resourceCan('Patient', 'read')).toBe(true);
    expect(tool.resourceCan('Condition', 'search-type')).toBe(true);
    expect(tool.resourceCan('Condition', 'read')).toBe(false);
    expect(tool.resourceSearch('Patient', 'identifier')).toBe(true);
  });

  it('searches by NHS number, reads the Patient, pages through $everything with nextPage', async () => {
    const c = client();
    const found = bundle(await c.search({ resourceType: 'Patient', searchParams: { identifier: `https://fhir.nhs.uk/Id/nhs-number|${NHS_ANN}` } }));
    expect(found.total).toBe(1);
    const id = found.entry![0]!.resource!.id!;
    expect(id).toBe(seeded.ann);
    const patient = (await c.read({ resourceType: 'Patient', id })) as unknown as Patient;
    expect(patient.identifier?.[0]?.value).toBe(NHS_ANN);

    let page: Bundle | undefined = bundle(await c.operation({ name: '$everything', resourceType: 'Patient', id, method: 'GET', input: { _count: '4' } }));
    const ids: string[] = [];
    while (page) {
      ids.push(...(page.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!));
      const next = c.nextPage({ bundle: page as unknown as PageOf });
      page = next ? bundle(await next) : undefined;
    }
    expect(ids).toHaveLength(new Set(ids).size);
    expect(ids.length).toBeGreaterThan(4);
    expect(ids[0]).toBe(seeded.ann);
  });

  it('searches one type with token and date parameters', async () => {
    const b = bundle(await client().search({ resourceType: 'Condition', searchParams: { patient: seeded.ann, code: 'http://snomed.info/sct|44054006', date: 'ge2015' } }));
    expect(b.total).toBe(1);
    expect(b.entry![0]!.resource!.meta!.tag!.map((t) => t.code)).toEqual(['RJE', 'GP1']);
  });

  it('surfaces a 403 relationship-required as an OperationOutcome, then declares a relationship', async () => {
    const c = client('stranger-token');
    const refused = await c.operation({ name: '$everything', resourceType: 'Patient', id: seeded.ann, method: 'GET' }).then(() => null, (e: unknown) => e as { response: { status: number; data: OperationOutcome } });
    expect(refused?.response.status).toBe(403);
    expect(refused?.response.data.issue[0]?.details?.coding?.[0]?.code).toBe('relationship-required');
    const declared = await c.operation({
      name: 'declare-relationship', resourceType: 'Patient', id: seeded.ann,
      input: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'present-and-consenting' }, { name: 'detail', valueString: 'Seen in clinic' }] },
    }) as unknown as { parameter: { name: string }[] };
    expect(declared.parameter.map((p) => p.name)).toEqual(['reason', 'expires']);
    const b = bundle(await c.operation({ name: '$everything', resourceType: 'Patient', id: seeded.ann, method: 'GET' }));
    expect(b.total).toBeGreaterThan(1);
  });
});
