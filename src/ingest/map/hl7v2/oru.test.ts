import { describe, it, expect } from 'vitest';
import type { DiagnosticReport, DocumentReference, Observation } from 'fhir/r4';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';
import { mapHl7v2 } from './index.ts';
import { referenceRange, ucumUnit } from './oru.ts';
import { CTX, mapped, message, shared, upserts } from './testing.ts';

const PDF = Buffer.from('%PDF-1.4\n%test document\n%%EOF\n').toString('base64');
const HEAD = 'MSH|^~\\&|LAB|RCB|OHC|OHC|20240301120000+0000||ORU^R01^ORU_R01|L1|P|2.5\rPID|1||LOC1^^^RCB^MR~9434765919^^^NHS^NH||DOE^JO||19800102|F';
const OBR = 'OBR|1|P1|F1|B0001^Full blood count^L|||202403011000|||||||||||||||202403011130|||F';

function oru(...segments: string[]) {
  return mapped(message([HEAD, OBR, ...segments].join('\r')));
}
const obs = (segment: string): Observation => upserts(oru(segment), 'Observation')[0]?.resource as Observation;

describe('ORU^R01 value types', () => {
  it('NM → Quantity with a UCUM unit, range, interpretation and status', () => {
    const o = obs('OBX|1|NM|B0300^White blood cell count^L||3.5|x10\\S\\9/L|4.0-11.0|L|||F|||202403011000');
    expect(o.valueQuantity).toEqual({ value: 3.5, unit: 'x10^9/L', system: 'http://unitsofmeasure.org', code: '10*9/L' });
    expect(o.referenceRange?.[0]).toMatchObject({ low: { value: 4 }, high: { value: 11 }, text: '4.0-11.0' });
    expect(o.interpretation).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'L', display: 'Low' }] }]);
    expect(o.status).toBe('final');
    expect(o.code.coding?.[0]).toEqual({ system: 'https://fhir.ohc.example/CodeSystem/rcb-pas/L', code: 'B0300', display: 'White blood cell count' });
    expect(o.effectiveDateTime).toBe('2024-03-01T10:00:00+00:00');
  });

  it.each([
    ['SN', '<^149', { valueQuantity: { value: 149, comparator: '<', unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' } }],
    ['SN', '^10^-^20', { valueRange: { low: { value: 10, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' }, high: { value: 20, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' } } }],
    ['SN', '^1^:^128', { valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } } }],
    ['ST', 'Positive', { valueString: 'Positive' }],
    ['TX', 'line one~line two', { valueString: 'line one\nline two' }],
    ['FT', 'a\\.br\\b', { valueString: 'a\nb' }],
    ['CE', '260373001^Detected^SCT', { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260373001', display: 'Detected' }], text: 'Detected' } }],
    ['CWE', 'LA33-6^Yes^LN', { valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: 'LA33-6', display: 'Yes' }], text: 'Yes' } }],
    ['DT', '20250512', { valueDateTime: '2025-05-12' }],
    ['TS', '20250512103726+0000', { valueDateTime: '2025-05-12T10:37:26+00:00' }],
  ])('%s %s', (type, value, expected) => {
    const o = obs(`OBX|1|${type}|X1^Test^LN||${value}|g/L|||||F`);
    expect(o).toMatchObject(expected);
    expect(fhirSchemaProblems(o)).toEqual([]);
  });

  it.each([
    ['3.5-5.0', { low: 3.5, high: 5 }],
    ['<5', { high: 5 }],
    ['>1', { low: 1 }],
    ['<=5', { high: 5 }],
    ['see report', {}],
  ])('reference range %s', (text, bounds) => {
    const r = referenceRange(text, 'mmol/L');
    expect(r?.text).toBe(text);
    expect(r?.low?.value).toBe((bounds as { low?: number }).low);
    expect(r?.high?.value).toBe((bounds as { high?: number }).high);
  });

  it.each([
    ['mmol/L', 'mmol/L'],
    ['x10^12/L', '10*12/L'],
    ['%', '%'],
    ['per high power field', undefined],
  ])('unit %s → UCUM %s', (unit, code) => {
    expect(ucumUnit(unit)).toBe(code);
  });

  it.each([
    ['HH', 'HH'],
    ['LL', 'LL'],
    ['A', 'A'],
    ['N', 'N'],
  ])('abnormal flag %s', (flag, code) => {
    expect(obs(`OBX|1|NM|X^Y^L||1|mmol/L||${flag}|||F`).interpretation?.[0]?.coding?.[0]?.code).toBe(code);
  });

  it('a non-numeric NM value is kept as text with a warning', () => {
    const actions = oru('OBX|1|NM|X^Y^L||>>5|mmol/L|||||F');
    const o = upserts(actions, 'Observation')[0];
    expect((o?.resource as Observation).valueString).toBe('>>5');
    expect(o?.dataQuality?.[0]?.field).toBe('OBX-5');
  });
});

describe('ORU^R01 reports', () => {
  it('groups OBX under their OBR and links them from the report', () => {
    const actions = oru('OBX|1|NM|A^Alpha^L||1|g/L|||||F', 'NTE|1||repeat sample advised', 'OBX|2|NM|B^Beta^L||2|g/L|||||C', `OBX|3|ED|PDF^Report^L||^AP^PDF^Base64^${PDF}||||||F`);
    expect(actions.map((a) => (a.kind === 'upsert' ? a.resourceType : a.kind))).toEqual(['Patient', 'DiagnosticReport', 'Observation', 'Observation']);
    const report = upserts(actions, 'DiagnosticReport')[0];
    expect(report?.sourceId).toBe('F1/B0001');
    const r = report?.resource as DiagnosticReport;
    expect(r.status).toBe('final');
    expect(r.issued).toBe('2024-03-01T11:30:00.000Z');
    expect(r.result?.map((x) => x.identifier?.value)).toEqual(['F1/B0001/A', 'F1/B0001/B']);
    expect(r.presentedForm).toEqual([{ contentType: 'application/pdf', data: PDF, title: 'Report' }]);
    const [a, b] = upserts(actions, 'Observation').map((o) => o.resource as Observation);
    expect(a?.note).toEqual([{ text: 'repeat sample advised' }]);
    expect(b?.status).toBe('corrected');
    for (const x of actions) if (x.kind === 'upsert') expect(fhirSchemaProblems(x.resource)).toEqual([]);
  });

  it('nhs-nw-gmsa NWGMSA ORU: NHS number with spaces from PID-2, PDF attachment whose Base64 is cut short', () => {
    const actions = mapped(shared('nhs-nw-gmsa/NWGMSA_ORU_R01_PDF.hl7'));
    const patient = upserts(actions, 'Patient')[0];
    expect(patient?.demographics).toMatchObject({ localId: '9449305552', nhsNumber: '9449305552', family: 'CHISLETT', given: ['Octavia'], birthDate: '2008-09-20', sex: 'female' });
    const report = upserts(actions, 'DiagnosticReport')[0];
    expect(report?.sourceId).toBe('T25-01FU/SANGER');
    const r = report?.resource as DiagnosticReport;
    expect(r.code.coding?.[0]).toMatchObject({ code: 'SANGER', display: 'TEST: Sanger Sequencing' });
    expect(r.presentedForm?.[0]).toEqual({ contentType: 'application/pdf', title: 'TEST: Sanger Sequencing' });
    expect(r.conclusion).toContain('R240.1');
    expect(report?.dataQuality?.[0]?.message).toContain('not valid Base64');
    for (const x of actions) if (x.kind === 'upsert') expect(fhirSchemaProblems(x.resource)).toEqual([]);
  });

  it('nhs-nw-gmsa MFT ORU: SNOMED coded report, PID-3 local MR id and typed NHS number', () => {
    const actions = mapped(shared('nhs-nw-gmsa/MFT_ORU_R01_PDF.hl7'));
    expect(upserts(actions, 'Patient')[0]?.demographics).toMatchObject({ localId: '633', nhsNumber: '9449305552' });
    const r = upserts(actions, 'DiagnosticReport')[0]?.resource as DiagnosticReport;
    expect(r.code.coding?.[0]?.system).toBe('https://fhir.ohc.example/CodeSystem/rcb-pas/England-GenomicTestDirectory');
    expect(r.presentedForm?.[0]?.title).toBe('Genetic report');
    expect(r.effectiveDateTime).toBe('2019-05-14T10:20:00+02:00');
  });

  it('entered-in-error results are deleted', () => {
    const actions = oru('OBX|1|NM|A^Alpha^L||1|g/L|||||W');
    expect(actions[2]).toMatchObject({ kind: 'delete', resourceType: 'Observation', sourceId: 'F1/B0001/A' });
  });

  it.each([
    [[HEAD, 'OBX|1|NM|A^B^L||1'], 'OBR', undefined],
    [[HEAD, 'OBR|1|||X^Y^L'], 'OBR', 'OBR-3'],
    [[HEAD, 'OBR|1||F1'], 'OBR', 'OBR-4'],
    [[HEAD, OBR, 'OBX|1|NM|||1'], 'OBX', 'OBX-3'],
  ])('missing required content → AE (%#)', (segs, segment, field) => {
    const r = mapHl7v2(message(segs.join('\r')), CTX);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ code: 'required-field-missing', hl7AckCode: 'AE', where: { segment } });
      expect(r.error.where.field).toBe(field);
    }
  });
});

describe('MDM', () => {
  it('nhs-nw-gmsa MDM^T02 → DocumentReference keyed by TXA-12', () => {
    const actions = mapped(shared('nhs-nw-gmsa/hl7v2md_example4_MDM_T02.hl7'));
    const doc = upserts(actions, 'DocumentReference')[0];
    expect(doc?.sourceId).toBe('T25-01FU');
    expect(doc?.sourceVersion).toBe('2025-08-14T09:42:23.000Z');
    const d = doc?.resource as DocumentReference;
    expect(d.status).toBe('current');
    expect(d.type?.coding?.[0]).toEqual({ system: 'http://snomed.info/sct', code: '1054161000000101', display: 'Genetic report' });
    expect(d.date).toBe('2025-08-14T09:41:16.000Z');
    expect(d.content[0]?.attachment.contentType).toBe('application/pdf');
    expect(fhirSchemaProblems(d)).toEqual([]);
  });

  const MDM = (trigger: string, obx: string, txa = 'TXA|1|DS^Discharge summary^L|TX|||20240301120000||||||DOC-9|||||AU||AV') =>
    message(`MSH|^~\\&|EPR|RCB|OHC|OHC|20240301120000||MDM^${trigger}|M1|P|2.4\rEVN|${trigger}|20240301120000\rPID|1||LOC1^^^RCB^MR||DOE^JO\rPV1|1|I\r${txa}\r${obx}`);

  it.each(['T02', 'T04', 'T08', 'T10'])('%s with a PDF → DocumentReference with the document', (trigger) => {
    const actions = mapped(MDM(trigger, `OBX|1|ED|DS^Discharge summary^L||^AP^PDF^Base64^${PDF}`));
    const d = upserts(actions, 'DocumentReference')[0]?.resource as DocumentReference;
    expect(d.content[0]?.attachment).toEqual({ contentType: 'application/pdf', data: PDF, title: 'Discharge summary' });
    expect(d.docStatus).toBe('final');
    expect(fhirSchemaProblems(d)).toEqual([]);
  });

  it('text OBX lines become a plain-text attachment', () => {
    const d = upserts(mapped(MDM('T02', 'OBX|1|TX|DS^Summary^L||Line 1~Line 2')), 'DocumentReference')[0]?.resource as DocumentReference;
    expect(Buffer.from(d.content[0]?.attachment.data ?? '', 'base64').toString('utf8')).toBe('Line 1\nLine 2');
  });

  it('T11 cancels the document', () => {
    expect(mapped(MDM('T11', 'OBX|1|TX|DS^Summary^L||x'))[1]).toMatchObject({ kind: 'delete', resourceType: 'DocumentReference', sourceId: 'DOC-9' });
  });

  it.each([
    ['OBX|1|TX|DS^Summary^L||x', 'TXA|1|DS', 'TXA-12'],
    ['NTE|1||no content', undefined, 'OBX-5'],
  ])('missing required content → AE (%#)', (obx, txa, field) => {
    const r = mapHl7v2(txa ? MDM('T02', obx, txa) : MDM('T02', obx), CTX);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.where.field).toBe(field);
  });
});
