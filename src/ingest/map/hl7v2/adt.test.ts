import { describe, it, expect } from 'vitest';
import type { Encounter, Patient } from 'fhir/r4';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';
import { mapHl7v2 } from './index.ts';
import { CTX, mapped, message, shared, upserts } from './testing.ts';

const ITK = 'nhs-itk-v24-examples/';
const MSH = (type: string, time = '202403011200'): string => `MSH|^~\\&|PAS|RCB|OHC|OHC|${time}||ADT^${type}|C1|P|2.4`;
const PID = 'PID|1||LOC1^^^RCB^PI~943 476 5919^^^NHS^NH||DOE^JANE^ANN^^MS^^L~SMITH^JANE^^^^^M||19800102|F|||1 High St^Flat 2^Leeds^^LS1 4AP^GBR^H||07700 900123|||||||||||||||||||01';
const PV1 = (extra = ''): string => `PV1|1|I|WARD1^R2^B3^RCB|||OLD^R1^B1^RCB|||||||||||||V123|||||||||||||||||||||||||202403011000${extra}`;

describe('ADT → Patient (NHS ITK v2.4 examples)', () => {
  it('A01: demographics field by field', () => {
    const actions = mapped(shared(`${ITK}A01_example.hl7`));
    const [p] = upserts(actions, 'Patient');
    expect(p?.sourceId).toBe('3333333333');
    expect(p?.subjectLocalId).toBe('3333333333');
    expect(p?.sourceVersion).toBe('2010-10-10T13:18:00.000Z');
    expect(p?.demographics).toEqual({
      localId: '3333333333',
      nhsNumber: '3333333333',
      nhsNumberVerified: false,
      family: 'SMITH',
      given: ['FREDRICA', 'J'],
      birthDate: '1965-12-13',
      sex: 'female',
      postcode: 'YO32 5TT',
      addressLines: ['29 WEST AVENUE', 'BURYTHORPE'],
      phone: '+441234567890',
      gpPracticeOds: 'Y06601',
    });
    const patient = p?.resource as Patient;
    expect(patient.identifier).toEqual([
      { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '3333333333' },
      { system: 'https://fhir.ohc.example/Id/rcb-pas/local', value: '3333333333' },
    ]);
    expect(patient.name).toEqual([{ use: 'official', family: 'SMITH', given: ['FREDRICA', 'J'], prefix: ['MRS'] }]);
    expect(patient.address).toEqual([{ use: 'home', line: ['29 WEST AVENUE', 'BURYTHORPE'], city: 'MALTON', district: 'NORTH YORKSHIRE', postalCode: 'YO32 5TT', country: 'GBR' }]);
    expect(patient.generalPractitioner).toEqual([{ type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y06601' }, display: 'MALTON GP PRACTICE' }]);
  });

  it.each([
    ['A01_example.hl7', ['Patient', 'Encounter'], 'in-progress', '2139'],
    ['A03_example.hl7', ['Patient', 'Encounter'], 'finished', 'YOR123456'],
    ['A04_example.hl7', ['Patient', 'Encounter'], 'arrived', '2141'],
    ['A05_Example.hl7', ['Patient', 'Encounter'], 'planned', '4532'],
    ['A08_example.hl7', ['Patient', 'Encounter'], 'in-progress', '2140'],
    ['A28_Example.hl7', ['Patient'], undefined, undefined],
    ['A31_example.hl7', ['Patient'], undefined, undefined],
  ])('%s → %j, encounter %s', (file, types, status, visit) => {
    const actions = mapped(shared(`${ITK}${file}`));
    expect(actions.map((a) => (a.kind === 'upsert' ? a.resourceType : a.kind))).toEqual(types);
    const enc = upserts(actions, 'Encounter')[0];
    expect((enc?.resource as Encounter | undefined)?.status).toBe(status);
    expect(enc?.sourceId).toBe(visit);
    for (const a of actions) if (a.kind === 'upsert') expect(fhirSchemaProblems(a.resource)).toEqual([]);
  });

  it('A01 encounter: class, location, period, service provider', () => {
    const enc = upserts(mapped(shared(`${ITK}A01_example.hl7`)), 'Encounter')[0]?.resource as Encounter;
    expect(enc.class).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' });
    expect(enc.location).toEqual([{ location: { display: 'RCB55 RCB OBS1 BAY2-6' }, status: 'active' }]);
    expect(enc.period).toEqual({ start: '2010-10-20T17:16:00+01:00' });
    expect(enc.serviceProvider).toEqual({ type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RCB' } });
    expect(enc.subject).toEqual({ type: 'Patient', identifier: { system: 'https://fhir.ohc.example/Id/rcb-pas/local', value: '3333333333' } });
  });

  it('A03 encounter has the discharge time as period end', () => {
    const enc = upserts(mapped(shared(`${ITK}A03_example.hl7`)), 'Encounter')[0]?.resource as Encounter;
    expect(enc.period).toEqual({ start: '2010-10-20T17:16:00+01:00', end: '2010-10-21T17:06:00+01:00' });
  });

  it('A28/A31: an impossible date of birth (month 13) is a data-quality warning, not a rejection', () => {
    const [p] = upserts(mapped(shared(`${ITK}A28_Example.hl7`)), 'Patient');
    expect(p?.demographics?.birthDate).toBeUndefined();
    expect(p?.dataQuality).toEqual([expect.objectContaining({ field: 'PID-7', code: 'impossible-date' })]);
  });

  it('A40 → merge of MRG-1 into the PID-3 survivor, plus the survivor upsert', () => {
    const actions = mapped(shared(`${ITK}A40_Example.hl7`));
    expect(actions[0]).toEqual({ kind: 'merge', survivorLocalId: '3333333333', retiredLocalId: '22789', sourceVersion: '2010-01-25T12:15:00.000Z' });
    expect(upserts(actions, 'Patient')[0]?.sourceId).toBe('3333333333');
  });
});

describe('ADT → Patient identifier and value rules', () => {
  it('takes the NHS number from a typed repetition, removes spaces, and reads PID-32 01 as verified', () => {
    const [p] = upserts(mapped(message(`${MSH('A31')}\r${PID}`)), 'Patient');
    expect(p?.demographics).toMatchObject({ localId: 'LOC1', nhsNumber: '9434765919', nhsNumberVerified: true, phone: '07700900123' });
    expect(p?.demographics?.family).toBe('DOE');
    const patient = p?.resource as Patient;
    expect(patient.identifier?.[0]?.extension?.[0]?.valueCodeableConcept?.coding?.[0]?.code).toBe('01');
    expect(patient.name?.map((n) => n.use)).toEqual(['official', 'maiden']);
    expect(fhirSchemaProblems(patient)).toEqual([]);
  });

  it.each([
    ['9434765919^^^^NHS', '9434765919'],
    ['9434765919^^^^HN', '9434765919'],
    ['9434765919^^^NHS', '9434765919'],
  ])('PID-3 %s is an NHS number', (pid3, nhs) => {
    const [p] = upserts(mapped(message(`${MSH('A31')}\rPID|1||${pid3}||DOE^JO`)), 'Patient');
    expect(p?.demographics?.nhsNumber).toBe(nhs);
    expect(p?.demographics?.localId).toBe(nhs);
  });

  it.each([
    ['M', 'male'],
    ['F', 'female'],
    ['O', 'other'],
    ['U', 'unknown'],
    ['1', 'male'],
    ['2', 'female'],
  ])('PID-8 %s → %s', (code, sex) => {
    const [p] = upserts(mapped(message(`${MSH('A31')}\rPID|1||X1||DOE^JO||1980|${code}`)), 'Patient');
    expect(p?.demographics?.sex).toBe(sex);
  });

  it.each([
    ['1980', '1980', undefined],
    ['198001', '1980-01', undefined],
    ['19800102', '1980-01-02', '1980-01-02'],
    ['198001021530', '1980-01-02', '1980-01-02'],
  ])('PID-7 %s at its own precision', (raw, fhir, demo) => {
    const [p] = upserts(mapped(message(`${MSH('A31')}\rPID|1||X1||DOE^JO||${raw}`)), 'Patient');
    expect((p?.resource as Patient).birthDate).toBe(fhir);
    expect(p?.demographics?.birthDate).toBe(demo);
  });

  it('keeps malformed optional values and lists them as warnings', () => {
    const [p] = upserts(mapped(message(`${MSH('A31')}\rPID|1||X1~1234567890^^^NHS^NH||DOE^JO||1980|F|||1 Road^^Town^^NOT A POSTCODE^GBR^H||12||||||||||||||||20231399`)), 'Patient');
    expect(p?.dataQuality?.map((w) => w.code).sort()).toEqual(['impossible-date', 'malformed-nhs-number', 'malformed-phone', 'malformed-postcode']);
    expect(p?.demographics?.postcode).toBeUndefined();
    expect((p?.resource as Patient).address?.[0]?.postalCode).toBe('NOT A POSTCODE');
    expect(fhirSchemaProblems(p?.resource)).toEqual([]);
  });

  it('records a death from PID-29', () => {
    const [p] = upserts(mapped(message(`${MSH('A08')}\rPID|1||X1||DOE^JO||1930||||||||||||||||||||||202402031405|Y`)), 'Patient');
    expect(p?.demographics?.deceasedDate).toBe('2024-02-03');
    expect((p?.resource as Patient).deceasedDateTime).toBe('2024-02-03T14:05:00+00:00');
  });

  it('uses EVN-2 as the version when it is later than MSH-7', () => {
    const [p] = upserts(mapped(message(`${MSH('A31', '20240301120000+0000')}\rEVN|A31|20240301130000+0000\rPID|1||X1||DOE^JO`)), 'Patient');
    expect(p?.sourceVersion).toBe('2024-03-01T13:00:00.000Z');
  });
});

describe('ADT encounter events', () => {
  const run = (type: string, pv1 = PV1()) => mapped(message(`${MSH(type)}\r${PID}\r${pv1}`));
  const enc = (type: string, pv1?: string): Encounter => upserts(run(type, pv1), 'Encounter')[0]?.resource as Encounter;

  it.each([
    ['A01', 'in-progress'],
    ['A02', 'in-progress'],
    ['A03', 'finished'],
    ['A04', 'arrived'],
    ['A05', 'planned'],
    ['A06', 'in-progress'],
    ['A07', 'in-progress'],
    ['A12', 'in-progress'],
    ['A13', 'in-progress'],
  ])('%s → %s', (type, status) => {
    const e = enc(type);
    expect(e.status).toBe(status);
    expect(fhirSchemaProblems(e)).toEqual([]);
  });

  it('A02 moves the patient: prior location completed, new location active', () => {
    expect(enc('A02').location).toEqual([
      { location: { display: 'RCB OLD R1 B1' }, status: 'completed' },
      { location: { display: 'RCB WARD1 R2 B3' }, status: 'active' },
    ]);
  });

  it('A11 cancels the admission: delete the encounter', () => {
    const actions = run('A11');
    expect(actions[1]).toEqual({ kind: 'delete', resourceType: 'Encounter', sourceId: 'V123', sourceVersion: '2024-03-01T12:00:00.000Z', subjectLocalId: 'LOC1' });
  });

  it('A13 cancels the discharge: back in progress with no end', () => {
    const e = enc('A13', PV1('|202403021000'));
    expect(e.status).toBe('in-progress');
    expect(e.period).toEqual({ start: '2024-03-01T10:00:00+00:00' });
  });

  it('derives the sourceId from patient and admit time without a visit number', () => {
    const actions = run('A01', `PV1|1|E${'|'.repeat(42)}202403011000`);
    expect(upserts(actions, 'Encounter')[0]?.sourceId).toBe('LOC1@2024-03-01T10:00:00.000Z');
    expect((upserts(actions, 'Encounter')[0]?.resource as Encounter).class.code).toBe('EMER');
  });
});

describe('ADT rejections', () => {
  it.each([
    [`${MSH('A01')}\rEVN|A01`, 'required-field-missing', 'PID', undefined],
    [`${MSH('A31')}\rPID|1||^^^^MR||DOE^JO`, 'required-field-missing', 'PID', 'PID-3'],
    [`${MSH('A31')}\rPID|1||X1||DOE^JO||13/12/1965`, 'invalid-value', 'PID', 'PID-7'],
    [`${MSH('A01')}\r${PID}`, 'required-field-missing', 'PV1', undefined],
    [`${MSH('A01')}\r${PID}\rPV1|1|I`, 'required-field-missing', 'PV1', 'PV1-19'],
    [`${MSH('A40')}\r${PID}`, 'required-field-missing', 'MRG', undefined],
    [`MSH|^~\\&|PAS|RCB|OHC|OHC|||ADT^A31|C1|P|2.4\r${PID}`, 'required-field-missing', 'MSH', 'MSH-7'],
  ])('%j → AE %s', (text, code, segment, field) => {
    const r = mapHl7v2(message(text), CTX);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code, hl7AckCode: 'AE', where: { segment } });
    expect(r.error.where.field).toBe(field);
  });

  it.each([
    ['OML^O21', 'unsupported-message-type'],
    ['ORM^O01', 'unsupported-message-type'],
    ['RSP^K21', 'unsupported-message-type'],
    ['QBP^Q22', 'unsupported-message-type'],
    ['ADT^A17', 'unsupported-event'],
    ['ORU^R30', 'unsupported-event'],
  ])('%s → AR %s', (type, code) => {
    const r = mapHl7v2(message(`MSH|^~\\&|A|B|C|D|20240101||${type}|1|P|2.5\r${PID}`), CTX);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code, hl7AckCode: 'AR', where: { segment: 'MSH' } });
  });
});
