import { describe, it, expect } from 'vitest';
import { mapFhirBundle, type FhirEntryAnswer } from './bundle.ts';

const ctx = { feedId: 'gp-1', odsCode: 'M85001', receivedAt: '2024-06-01T10:00:00Z' };
const PATIENT_UUID = 'urn:uuid:0A1B2C3D-0000-4000-8000-000000000001';
const patient = (over: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }],
  name: [{ use: 'usual', family: 'Usual', given: ['U'] }, { use: 'official', family: 'Smith', given: ['Jo', 'Ann'] }],
  birthDate: '1970-09-11',
  gender: 'female',
  address: [{ use: 'old', postalCode: 'M1 1AE' }, { use: 'home', line: ['1 Road'], city: 'Stoke', postalCode: 'st4 7lp' }],
  telecom: [{ system: 'email', value: 'a@b.c' }, { system: 'phone', value: '01782 123456' }],
  ...over,
});
const condition = (subject: string, over: Record<string, unknown> = {}) => ({
  resourceType: 'Condition',
  code: { text: 'Asthma' },
  subject: { reference: subject },
  ...over,
});
const put = (resource: Record<string, unknown>, url: string, fullUrl?: string) => ({ ...(fullUrl ? { fullUrl } : {}), resource, request: { method: 'PUT', url } });
const post = (resource: Record<string, unknown>, fullUrl?: string) => ({ ...(fullUrl ? { fullUrl } : {}), resource, request: { method: 'POST', url: resource.resourceType } });
const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const upsert = (e: FhirEntryAnswer | undefined) => {
  const a = e?.result.ok ? e.result.actions[0] : undefined;
  if (a?.kind !== 'upsert') throw new Error(`expected an upsert, got ${JSON.stringify(e?.result)}`);
  return a;
};

describe('mapFhirBundle: entry methods and bundle types', () => {
  it.each([
    ['batch PUT', 'batch', put({ ...patient(), id: 'p1' }, 'Patient/p1'), '200 OK', 'p1'],
    ['batch PUT without resource.id takes the url id', 'batch', put(patient(), 'Patient/p1'), '200 OK', 'p1'],
    ['batch POST with urn:uuid', 'batch', post(patient(), PATIENT_UUID), '201 Created', '0a1b2c3d-0000-4000-8000-000000000001'],
    ['batch POST with resource.id', 'batch', post({ ...patient(), id: 'own' }), '201 Created', 'own'],
    ['transaction PUT', 'transaction', put(patient(), 'Patient/p1'), '200 OK', 'p1'],
    ['collection plain resource', 'collection', { fullUrl: 'https://gp.example/fhir/Patient/p9', resource: patient() }, '200 OK', 'p9'],
  ])('%s', (_name, type, entry, status, sourceId) => {
    const answer = mapFhirBundle(bundle(type, [entry]), ctx);
    expect(answer.bundleError).toBeUndefined();
    expect(answer.entries[0]?.responseStatus).toBe(status);
    const action = upsert(answer.entries[0]);
    expect(action).toMatchObject({ resourceType: 'Patient', sourceId, subjectLocalId: sourceId, sourceVersion: ctx.receivedAt });
    expect(action.resource).toMatchObject({ id: sourceId });
  });

  it.each([
    ['Patient', 'Patient/p1', 'p1'],
    ['Condition', 'Condition/c1', ''],
  ])('DELETE %s becomes a delete action answered 204', (resourceType, url, subject) => {
    const answer = mapFhirBundle(bundle('batch', [{ request: { method: 'DELETE', url } }]), ctx);
    expect(answer.entries[0]).toMatchObject({ responseStatus: '204 No Content' });
    expect(answer.entries[0]?.result).toEqual({
      ok: true,
      actions: [{ kind: 'delete', resourceType, sourceId: url.split('/')[1], sourceVersion: ctx.receivedAt, subjectLocalId: subject }],
    });
  });

  it.each([
    ['meta.lastUpdated', { meta: { lastUpdated: '2024-05-01T00:00:00Z', versionId: '7' } }, '2024-05-01T00:00:00Z'],
    ['meta.versionId', { meta: { versionId: '7' } }, '7'],
    ['receivedAt', {}, ctx.receivedAt],
  ])('sourceVersion comes from %s', (_name, over, version) => {
    const answer = mapFhirBundle(bundle('batch', [put(patient(over), 'Patient/p1')]), ctx);
    expect(upsert(answer.entries[0]).sourceVersion).toBe(version);
  });

  it.each([
    ['not an object', 'x', 'structure', 'Bundle'],
    ['not a Bundle', { resourceType: 'Patient' }, 'structure', 'Bundle'],
    ['a searchset', bundle('searchset', []), 'not-supported', 'Bundle.type'],
    ['a document', bundle('document', []), 'not-supported', 'Bundle.type'],
    ['entry not a list', { resourceType: 'Bundle', type: 'batch', entry: {} }, 'structure', 'Bundle.entry'],
    ['a repeated fullUrl', bundle('batch', [post(patient(), PATIENT_UUID), post(patient(), PATIENT_UUID)]), 'duplicate', 'Bundle.entry[1].fullUrl'],
  ])('refuses %s as a whole', (_name, body, code, expression) => {
    const answer = mapFhirBundle(body, ctx);
    expect(answer.entries).toEqual([]);
    expect(answer.bundleError?.issue[0]).toMatchObject({ severity: 'error', code, expression: [expression] });
  });
});

describe('mapFhirBundle: per-entry errors', () => {
  it.each([
    ['an unsupported type', put({ resourceType: 'Specimen', id: 's1' }, 'Specimen/s1'), '400 Bad Request', 'not-supported', 'Bundle.entry[0].resource.resourceType'],
    ['an unknown type', put({ resourceType: 'Spaceship', id: 's1' }, 'Spaceship/s1'), '400 Bad Request', 'not-supported', 'Bundle.entry[0].resource.resourceType'],
    ['DELETE of an unsupported type', { request: { method: 'DELETE', url: 'Specimen/s1' } }, '400 Bad Request', 'not-supported', 'Bundle.entry[0].request.url'],
    ['GET', { request: { method: 'GET', url: 'Patient/p1' } }, '400 Bad Request', 'not-supported', 'Bundle.entry[0].request.method'],
    ['PATCH', { request: { method: 'PATCH', url: 'Patient/p1' } }, '400 Bad Request', 'not-supported', 'Bundle.entry[0].request.method'],
    ['a conditional PUT', put(patient(), 'Patient?identifier=x'), '400 Bad Request', 'not-supported', 'Bundle.entry[0].request.url'],
    ['no request', { resource: patient() }, '400 Bad Request', 'required', 'Bundle.entry[0].request'],
    ['no resource', { request: { method: 'PUT', url: 'Patient/p1' } }, '400 Bad Request', 'required', 'Bundle.entry[0].resource'],
    ['a PUT url of another type', put(patient(), 'Condition/p1'), '400 Bad Request', 'value', 'Bundle.entry[0].request.url'],
    ['a PUT id differing from resource.id', put({ ...patient(), id: 'p2' }, 'Patient/p1'), '400 Bad Request', 'invalid', 'Bundle.entry[0].resource.id'],
    ['a POST with no id at all', post(patient()), '400 Bad Request', 'required', 'Bundle.entry[0].resource.id'],
    ['an invalid birthDate', put(patient({ birthDate: '11/09/1970' }), 'Patient/p1'), '422 Unprocessable Entity', 'structure', 'Bundle.entry[0].resource.birthDate'],
    ['a wrong gender code', put(patient({ gender: 'F' }), 'Patient/p1'), '422 Unprocessable Entity', 'structure', 'Bundle.entry[0].resource.gender'],
    ['given not a list', put(patient({ name: [{ given: 'Jo' }] }), 'Patient/p1'), '422 Unprocessable Entity', 'structure', 'Bundle.entry[0].resource.name[0].given'],
    ['an unknown element', put(patient({ shoeSize: 9 }), 'Patient/p1'), '422 Unprocessable Entity', 'structure', 'Bundle.entry[0].resource.shoeSize'],
    ['a missing required element', put({ resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' } }, 'Observation/o1'), '422 Unprocessable Entity', 'required', 'Bundle.entry[0].resource.code'],
    ['a Condition without subject', put({ resourceType: 'Condition', code: { text: 'x' } }, 'Condition/c1'), '422 Unprocessable Entity', 'required', 'Bundle.entry[0].resource.subject'],
    ['a subject given only by identifier', put(condition('', { subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' } } }), 'Condition/c1'), '422 Unprocessable Entity', 'not-found', 'Bundle.entry[0].resource.subject'],
    ['a subject on another server', put(condition('https://elsewhere.example/fhir/Patient/p1'), 'Condition/c1'), '422 Unprocessable Entity', 'not-found', 'Bundle.entry[0].resource.subject'],
    ['a subject that is a Group', put(condition('Group/g1'), 'Condition/c1'), '422 Unprocessable Entity', 'invalid', 'Bundle.entry[0].resource.subject'],
    ['an unresolvable urn:uuid subject', put(condition('urn:uuid:0a1b2c3d-0000-4000-8000-00000000ffff'), 'Condition/c1'), '422 Unprocessable Entity', 'not-found', 'Bundle.entry[0].resource.subject'],
  ])('answers %s per entry with its expression', (_name, entry, status, code, expression) => {
    const answer = mapFhirBundle(bundle('batch', [entry]), ctx);
    expect(answer.bundleError).toBeUndefined();
    const e = answer.entries[0];
    expect(e?.responseStatus).toBe(status);
    expect(e?.result.ok).toBe(false);
    expect(e?.outcome?.issue[0]).toMatchObject({ severity: 'error', code, expression: [expression], diagnostics: expect.any(String) as string });
    const result = e?.result;
    expect(result && !result.ok ? result.error.where.jsonPath : undefined).toBe(expression);
  });

  it('requires Appointment to name a Patient participant', () => {
    const appointment = (actor: string) => ({ resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: 'Practitioner/d1' }, status: 'accepted' }, { actor: { reference: actor }, status: 'accepted' }] });
    const answer = mapFhirBundle(bundle('batch', [put(appointment('Patient/p1'), 'Appointment/a1'), put(appointment('Location/l1'), 'Appointment/a2')]), ctx);
    expect(upsert(answer.entries[0]).subjectLocalId).toBe('p1');
    expect(answer.entries[1]?.outcome?.issue[0]).toMatchObject({ code: 'not-found', expression: ['Bundle.entry[1].resource.participant'] });
  });
});

describe('mapFhirBundle: references between entries', () => {
  it('resolves urn:uuid and Type/id references to source ids and sets subjectLocalId', () => {
    const answer = mapFhirBundle(
      bundle('transaction', [
        post(patient({ generalPractitioner: [{ reference: 'urn:uuid:0a1b2c3d-0000-4000-8000-0000000000aa' }] }), PATIENT_UUID),
        post({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'M85001' }], name: 'Practice' }, 'urn:uuid:0a1b2c3d-0000-4000-8000-0000000000aa'),
        post(condition(PATIENT_UUID, { encounter: { reference: 'urn:uuid:0a1b2c3d-0000-4000-8000-0000000000bb' } }), 'urn:uuid:0a1b2c3d-0000-4000-8000-0000000000cc'),
        post({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: PATIENT_UUID } }, 'urn:uuid:0a1b2c3d-0000-4000-8000-0000000000bb'),
        put(condition('Patient/elsewhere-1'), 'Condition/c2'),
      ]),
      ctx,
    );
    expect(answer.bundleError).toBeUndefined();
    const patientId = '0a1b2c3d-0000-4000-8000-000000000001';
    const cond = upsert(answer.entries[2]);
    expect(cond.subjectLocalId).toBe(patientId);
    expect(cond.resource).toMatchObject({
      subject: { reference: `Patient/${patientId}` },
      encounter: { reference: 'Encounter/0a1b2c3d-0000-4000-8000-0000000000bb' },
    });
    expect(upsert(answer.entries[3]).subjectLocalId).toBe(patientId);
    expect(upsert(answer.entries[1]).subjectLocalId).toBe('');
    expect(upsert(answer.entries[4]).subjectLocalId).toBe('elsewhere-1');
    expect(upsert(answer.entries[0]).demographics?.gpPracticeOds).toBe('M85001');
  });
});

describe('mapFhirBundle: Patient demographics', () => {
  it('takes the official name, home address, first phone and NHS number', () => {
    const answer = mapFhirBundle(bundle('batch', [put(patient({ deceasedDateTime: '2024-01-02T10:00:00Z', generalPractitioner: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'M85002' } }] }), 'Patient/p1')]), ctx);
    expect(upsert(answer.entries[0]).demographics).toEqual({
      localId: 'p1',
      nhsNumber: '9434765919',
      family: 'Smith',
      given: ['Jo', 'Ann'],
      birthDate: '1970-09-11',
      sex: 'female',
      addressLines: ['1 Road', 'Stoke'],
      postcode: 'ST4 7LP',
      phone: '01782123456',
      deceasedDate: '2024-01-02',
      gpPracticeOds: 'M85002',
    });
  });

  const verification = (code: string) => ({
    url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus',
    valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland', code }] },
  });
  it.each([
    ['number-present-and-verified', true],
    ['01', true],
    ['number-present-but-not-traced', false],
    ['02', false],
    [null, undefined],
  ])('verification status %s → nhsNumberVerified %s', (code, verified) => {
    const identifier = [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919', ...(code ? { extension: [verification(code)] } : {}) }];
    const answer = mapFhirBundle(bundle('batch', [put(patient({ identifier }), 'Patient/p1')]), ctx);
    expect(upsert(answer.entries[0]).demographics?.nhsNumberVerified).toBe(verified);
  });

  it.each([
    ['a malformed NHS number', { identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765918' }] }, 'malformed-nhs-number', 'identifier[0].value', 'nhsNumber'],
    ['an impossible birth date', { birthDate: '2023-02-30' }, 'impossible-date', 'birthDate', 'birthDate'],
    ['a future birth date', { birthDate: '2024-06-02' }, 'impossible-date', 'birthDate', 'birthDate'],
    ['a partial birth date', { birthDate: '1970' }, 'other', 'birthDate', 'birthDate'],
    ['a malformed postcode', { address: [{ use: 'home', postalCode: 'LS1288T' }] }, 'malformed-postcode', 'address[0].postalCode', 'postcode'],
    ['a malformed phone', { telecom: [{ system: 'phone', value: '12' }] }, 'malformed-phone', 'telecom[0].value', 'phone'],
  ] as const)('accepts %s with a warning, leaving it out of demographics', (_name, over, code, path, field) => {
    const answer = mapFhirBundle(bundle('batch', [put(patient(over), 'Patient/p1')]), ctx);
    const e = answer.entries[0];
    const action = upsert(e);
    expect(action.demographics?.[field]).toBeUndefined();
    expect(action.dataQuality).toEqual([{ field: `Patient.${path}`, code, message: expect.any(String) as string }]);
    expect(e?.outcome?.issue[0]).toMatchObject({ severity: 'warning', expression: [`Bundle.entry[0].resource.${path}`] });
  });
});

describe('mapFhirBundle: batch and transaction semantics', () => {
  const entries = [put(patient(), 'Patient/p1'), put(condition('Patient/p1', { code: { text: 3 } }), 'Condition/c1'), put(condition('Patient/p1'), 'Condition/c2')];

  it('a batch fails per entry and applies the rest', () => {
    const answer = mapFhirBundle(bundle('batch', entries), ctx);
    expect(answer.bundleError).toBeUndefined();
    expect(answer.entries.map((e) => [e.result.ok, e.responseStatus])).toEqual([
      [true, '200 OK'],
      [false, '422 Unprocessable Entity'],
      [true, '200 OK'],
    ]);
  });

  it('a transaction with one failing entry fails as a whole and no entry carries actions', () => {
    const answer = mapFhirBundle(bundle('transaction', entries), ctx);
    expect(answer.bundleError?.issue).toEqual(
      expect.arrayContaining([expect.objectContaining({ severity: 'error', expression: ['Bundle.entry[1].resource.code.text'] })]),
    );
    expect(answer.entries.every((e) => !e.result.ok)).toBe(true);
    expect(answer.entries[0]?.outcome?.issue[0]).toMatchObject({ code: 'processing', expression: ['Bundle.entry[0]'] });
    expect(answer.entries[1]?.outcome?.issue[0]).toMatchObject({ code: 'structure', expression: ['Bundle.entry[1].resource.code.text'] });
  });

  it('a transaction may not touch one resource twice; a batch may', () => {
    const twice = [put(patient(), 'Patient/p1'), put(patient({ gender: 'male' }), 'Patient/p1')];
    expect(mapFhirBundle(bundle('transaction', twice), ctx).bundleError?.issue).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'duplicate', expression: ['Bundle.entry[1]'] })]),
    );
    expect(mapFhirBundle(bundle('batch', twice), ctx).entries.every((e) => e.result.ok)).toBe(true);
  });

  it('an empty batch is answered with no entries', () => {
    expect(mapFhirBundle({ resourceType: 'Bundle', type: 'batch' }, ctx)).toEqual({ entries: [] });
  });
});
