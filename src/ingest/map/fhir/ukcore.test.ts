import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mapFhirBundle } from './bundle.ts';

const dir = new URL('../../../../test/fixtures/ukcore/', import.meta.url);
const files = readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown> & { resourceType: string; id: string };
const examples = files.map(load);
const ctx = { feedId: 'leeds', odsCode: 'RR8', receivedAt: '2024-06-01T10:00:00Z' };
const RICHARD = 'UKCore-Patient-RichardSmith-Example';

describe('UK Core examples', () => {
  it('has the examples the brief lists', () => {
    expect(new Set(examples.map((e) => e.resourceType))).toEqual(
      new Set(['Patient', 'AllergyIntolerance', 'CarePlan', 'Condition', 'DocumentReference', 'Encounter', 'EpisodeOfCare', 'Immunization', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Organization', 'Practitioner', 'Procedure', 'RelatedPerson', 'ServiceRequest']),
    );
  });

  it.each(['batch', 'transaction'])('all map as PUT entries of one %s bundle', (type) => {
    const bundle = {
      resourceType: 'Bundle',
      type,
      entry: examples.map((r) => ({ fullUrl: `https://leeds.example/fhir/${r.resourceType}/${r.id}`, resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
    };
    const answer = mapFhirBundle(bundle, ctx);
    expect(answer.bundleError).toBeUndefined();
    for (const e of answer.entries) {
      expect({ index: e.index, ok: e.result.ok, status: e.responseStatus }).toEqual({ index: e.index, ok: true, status: '200 OK' });
    }
    const bySource = new Map(
      answer.entries.flatMap((e) => (e.result.ok ? e.result.actions : [])).flatMap((a) => (a.kind === 'upsert' ? [[a.sourceId, a] as const] : [])),
    );
    for (const r of examples) {
      const action = bySource.get(r.id);
      const expected =
        r.resourceType === 'Organization' || r.resourceType === 'Practitioner'
          ? ''
          : r.resourceType === 'AllergyIntolerance'
            ? 'UKCore-RichardSmith-Patient-Example'
            : RICHARD;
      expect({ id: r.id, subject: action?.subjectLocalId }).toEqual({ id: r.id, subject: expected });
    }
    const patient = bySource.get(RICHARD);
    expect(patient?.demographics).toEqual({
      localId: RICHARD,
      nhsNumber: '9912003888',
      nhsNumberVerified: true,
      family: 'SMITH',
      given: ['Richard'],
      birthDate: '1970-09-11',
      sex: 'male',
      addressLines: ['4 Sandmoor Drive', 'LEEDS'],
      postcode: 'LS17 7DF',
      phone: '01131231234',
    });
    expect(patient?.dataQuality).toBeUndefined();
    // The ServiceRequest carries meta.lastUpdated; the rest are versioned by arrival.
    expect(bySource.get('UKCore-ServiceRequest-ColonoscopyRequest-Example')?.sourceVersion).toBe('2021-11-26T15:15:15+00:00');
    expect(bySource.get('UKCore-Condition-BleedingFromEar-Example')?.sourceVersion).toBe(ctx.receivedAt);
  });

  it('map as a collection of POSTed urn:uuid entries with references rewritten to source ids', () => {
    const patient = examples.find((e) => e.resourceType === 'Patient');
    const condition = examples.find((e) => e.resourceType === 'Condition');
    if (!patient || !condition) throw new Error('fixtures missing');
    const pUrn = 'urn:uuid:6f9b1f3e-1c1a-4c39-9d5c-1a2b3c4d5e6f';
    const { id: _pid, ...patientNoId } = patient;
    const { id: _cid, ...conditionNoId } = condition;
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { fullUrl: pUrn, resource: patientNoId, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:6f9b1f3e-1c1a-4c39-9d5c-000000000002', resource: { ...conditionNoId, subject: { reference: pUrn } }, request: { method: 'POST', url: 'Condition' } },
      ],
    };
    const answer = mapFhirBundle(bundle, ctx);
    const cond = answer.entries[1]?.result;
    expect(cond?.ok && cond.actions[0]).toMatchObject({
      subjectLocalId: '6f9b1f3e-1c1a-4c39-9d5c-1a2b3c4d5e6f',
      resource: { subject: { reference: 'Patient/6f9b1f3e-1c1a-4c39-9d5c-1a2b3c4d5e6f' } },
    });
    expect(answer.entries.map((e) => e.responseStatus)).toEqual(['201 Created', '201 Created']);
  });
});
