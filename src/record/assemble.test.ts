import { describe, it, expect } from 'vitest';
import { assembleRecord } from './assemble.ts';
import { applyAccess } from './access.ts';
import { sectionOf } from './sections.ts';
import { groupSameFacts } from './dedupe.ts';
import { sourceLastUpdated } from './facts.ts';
import type { Decision } from '../access/policy/index.ts';
import type { AssembleInput, FhirJson, OrganisationInfo, SectionKey, StoredEntry } from './types.ts';

const NOW = new Date('2025-06-30T12:00:00Z');
const PERSON = '00000000-0000-4000-8000-000000000001';
const SNOMED = 'http://snomed.info/sct';

const ORGS: OrganisationInfo[] = [
  { ods: 'GP1', name: 'Hill Surgery', kind: 'gp-practice', isaFrom: '2024-04-01', isaTo: null },
  { ods: 'RJE', name: 'University Hospitals of North Midlands', kind: 'acute', isaFrom: '2024-04-01', isaTo: null },
  { ods: 'SCC', name: 'Staffordshire County Council', kind: 'social-care', isaFrom: '2024-04-01', isaTo: null },
  { ods: 'OLD', name: 'Former Partner', kind: 'community', isaFrom: '2020-01-01', isaTo: '2023-12-31' },
];
const FEEDS = [
  { feedId: 'gp1-fhir', ods: 'GP1', feedName: null, lastSuccessAt: new Date('2025-06-29T08:00:00Z') },
  { feedId: 'rje-hl7', ods: 'RJE', feedName: null, lastSuccessAt: new Date('2025-06-30T11:00:00Z') },
  { feedId: 'scc-csv', ods: 'SCC', feedName: null, lastSuccessAt: null },
  { feedId: 'old-fhir', ods: 'OLD', feedName: null, lastSuccessAt: new Date('2023-12-01T00:00:00Z') },
];
const FEED_ORG: Record<string, string> = { 'gp1-fhir': 'GP1', 'rje-hl7': 'RJE', 'scc-csv': 'SCC', 'old-fhir': 'OLD' };

let n = 0;
function entry(feedId: string, resource: FhirJson, extra: Partial<StoredEntry> = {}): StoredEntry {
  n++;
  return {
    id: `e${String(n).padStart(3, '0')}`, personId: PERSON, feedId, resourceType: resource.resourceType, sourceId: `s${n}`,
    sourceVersion: 't2025-01-01T00:00:00.000Z#000000000000', sourceOrg: FEED_ORG[feedId] ?? 'GP1', resource, sensitiveCategories: [],
    receivedAt: new Date('2025-06-01T00:00:00Z'), ...extra,
  };
}
const concept = (code: string, display: string) => ({ coding: [{ system: SNOMED, code, display }] });
const condition = (code: string, onset: string, more: Record<string, unknown> = {}): FhirJson => ({
  resourceType: 'Condition', code: concept(code, `Condition ${code}`), onsetDateTime: onset,
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, ...more,
});

function input(entries: StoredEntry[], extra: Partial<AssembleInput> = {}): AssembleInput {
  return { person: { id: PERSON }, sourceRecords: [], entries, feeds: FEEDS, organisations: ORGS, withheld: [], now: NOW, ...extra };
}

describe('sectionOf', () => {
  it.each<[string, FhirJson, string | undefined, SectionKey | null]>([
    ['patient is demographics', { resourceType: 'Patient' }, 'gp-practice', null],
    ['allergy', { resourceType: 'AllergyIntolerance' }, 'gp-practice', 'alerts-and-allergies'],
    ['flag', { resourceType: 'Flag', status: 'active' }, 'acute', 'alerts-and-allergies'],
    ['active medication statement', { resourceType: 'MedicationStatement', status: 'active' }, 'gp-practice', 'medications-current'],
    ['completed medication statement', { resourceType: 'MedicationStatement', status: 'completed' }, 'gp-practice', 'medications-past'],
    ['active statement whose period ended', { resourceType: 'MedicationStatement', status: 'active', effectivePeriod: { start: '2024-01-01', end: '2024-02-01' } }, 'gp-practice', 'medications-past'],
    ['stopped request', { resourceType: 'MedicationRequest', status: 'stopped' }, 'gp-practice', 'medications-past'],
    ['active request', { resourceType: 'MedicationRequest', status: 'active' }, 'gp-practice', 'medications-current'],
    ['active condition', condition('1', '2020-01-01'), 'gp-practice', 'conditions-ongoing'],
    ['abated condition', condition('1', '2020-01-01', { abatementDateTime: '2021-01-01' }), 'gp-practice', 'conditions-historic'],
    ['resolved condition', { resourceType: 'Condition', clinicalStatus: { coding: [{ code: 'resolved' }] } }, 'gp-practice', 'conditions-historic'],
    ['condition with no status', { resourceType: 'Condition' }, 'gp-practice', 'conditions-ongoing'],
    ['immunisation', { resourceType: 'Immunization' }, 'gp-practice', 'immunisations'],
    ['procedure', { resourceType: 'Procedure' }, 'acute', 'procedures-and-investigations'],
    ['report', { resourceType: 'DiagnosticReport' }, 'acute', 'results'],
    ['observation', { resourceType: 'Observation' }, 'ambulance', 'results'],
    ['encounter', { resourceType: 'Encounter' }, 'acute', 'encounters'],
    ['appointment', { resourceType: 'Appointment' }, 'acute', 'encounters'],
    ['referral', { resourceType: 'ServiceRequest' }, 'gp-practice', 'encounters'],
    ['episode at a social care organisation', { resourceType: 'EpisodeOfCare' }, 'social-care', 'social-care-and-mental-health'],
    ['episode at a mental health trust', { resourceType: 'EpisodeOfCare' }, 'mental-health', 'social-care-and-mental-health'],
    ['episode typed as mental health', { resourceType: 'EpisodeOfCare', type: [{ text: 'Community mental health team' }] }, 'community', 'social-care-and-mental-health'],
    ['community nursing episode', { resourceType: 'EpisodeOfCare', type: [{ text: 'District nursing' }] }, 'community', 'encounters'],
    ['letter', { resourceType: 'DocumentReference' }, 'acute', 'notes-and-reports'],
    ['care plan', { resourceType: 'CarePlan' }, 'mental-health', 'care-plans'],
    ['carer', { resourceType: 'RelatedPerson' }, 'social-care', 'carers-and-contacts'],
    ['anything else', { resourceType: 'Basic' }, 'acute', 'other'],
  ])('%s', (_name, resource, kind, expected) => {
    expect(sectionOf(resource, kind, NOW)).toBe(expected);
  });
});

describe('the same fact from two sources', () => {
  it.each<[string, FhirJson, FhirJson, boolean]>([
    ['same code, same day', condition('44054006', '2019-03-04'), condition('44054006', '2019-03-04T10:00:00Z'), true],
    ['same code, overlapping ongoing', condition('44054006', '2019-03-04'), condition('44054006', '2020-05-01'), true],
    ['same code, different days of a point event',
      { resourceType: 'Immunization', vaccineCode: concept('1', 'Flu'), occurrenceDateTime: '2024-10-01' },
      { resourceType: 'Immunization', vaccineCode: concept('1', 'Flu'), occurrenceDateTime: '2024-10-02' }, false],
    ['different code, same day', condition('44054006', '2019-03-04'), condition('38341003', '2019-03-04'), false],
    ['same code, one abated before the other began',
      condition('1', '2010-01-01', { abatementDateTime: '2011-01-01' }), condition('1', '2015-01-01'), false],
    ['same code, neither dated', { resourceType: 'AllergyIntolerance', code: concept('91936005', 'Penicillin') },
      { resourceType: 'AllergyIntolerance', code: concept('91936005', 'Penicillin') }, true],
    ['same code, only one dated', { resourceType: 'AllergyIntolerance', code: concept('91936005', 'Penicillin'), recordedDate: '2020-01-01' },
      { resourceType: 'AllergyIntolerance', code: concept('91936005', 'Penicillin') }, false],
  ])('%s → merged: %s', (_name, a, b, merged) => {
    const groups = groupSameFacts([entry('gp1-fhir', a), entry('rje-hl7', b)]);
    expect(groups.length).toBe(merged ? 1 : 2);
  });

  it('never merges two copies from the same feed', () => {
    expect(groupSameFacts([entry('gp1-fhir', condition('1', '2020-01-01')), entry('gp1-fhir', condition('1', '2020-01-01'))])).toHaveLength(2);
  });

  it('shows the most recently updated copy once, listing both sources with their update times', () => {
    const older = entry('gp1-fhir', condition('44054006', '2019-03-04', { meta: { lastUpdated: '2025-01-01T00:00:00Z' } }));
    const newer = entry('rje-hl7', condition('44054006', '2019-03-04'), { sourceVersion: 't2025-05-05T09:00:00.000Z#000000000001' });
    const record = assembleRecord(input([older, newer]));
    const items = record.sections.find((s) => s.key === 'conditions-ongoing')!.items;
    expect(items).toHaveLength(1);
    expect(items[0]!.id).toBe(newer.id);
    expect(items[0]!.sources.map((s) => [s.ods, s.organisationName, s.lastUpdated])).toEqual([
      ['RJE', 'University Hospitals of North Midlands', '2025-05-05T09:00:00.000Z'],
      ['GP1', 'Hill Surgery', '2025-01-01T00:00:00.000Z'],
    ]);
    expect(items[0]!.duplicates.map((d) => d.id)).toEqual([older.id]);
  });
});

describe('assembleRecord', () => {
  it('orders each section newest first and says how fresh each contributing source is', () => {
    const a = entry('gp1-fhir', { resourceType: 'Encounter', period: { start: '2023-01-01' } });
    const b = entry('rje-hl7', { resourceType: 'Encounter', period: { start: '2025-02-01T10:00:00Z' } });
    const c = entry('rje-hl7', { resourceType: 'Appointment', start: '2024-06-01T09:00:00Z', status: 'booked' });
    const record = assembleRecord(input([a, b, c]));
    const s = record.sections.find((x) => x.key === 'encounters')!;
    expect(s.items.map((i) => i.id)).toEqual([b.id, c.id, a.id]);
    expect(s.freshness).toEqual([
      { feedId: 'gp1-fhir', ods: 'GP1', organisationName: 'Hill Surgery', lastSuccessAt: '2025-06-29T08:00:00.000Z' },
      { feedId: 'rje-hl7', ods: 'RJE', organisationName: 'University Hospitals of North Midlands', lastSuccessAt: '2025-06-30T11:00:00.000Z' },
    ]);
    expect(record.sections.find((x) => x.key === 'results')!.freshness).toEqual([]);
  });

  it('leaves out entries entered in error and entries of another person', () => {
    const wrong = entry('gp1-fhir', { resourceType: 'Condition', verificationStatus: { coding: [{ code: 'entered-in-error' }] } });
    const other = { ...entry('gp1-fhir', condition('1', '2020-01-01')), personId: 'someone-else' };
    const record = assembleRecord(input([wrong, other]));
    expect(record.sections.every((s) => s.items.length === 0)).toBe(true);
  });

  it('composes demographics from the newest source, listing every source that agrees', () => {
    const record = assembleRecord(input([], {
      sourceRecords: [
        { feedId: 'gp1-fhir', localId: 'p1', nhsNumber: '9990000018', nhsNumberVerified: true, sourceVersion: 'x', updatedAt: new Date('2025-01-01T00:00:00Z'),
          demographics: { localId: 'p1', family: 'Smith', given: ['Ann'], birthDate: '1950-02-03', postcode: 'ST4 1AA', addressLines: ['1 High St'], gpPracticeOds: 'GP1' } },
        { feedId: 'rje-hl7', localId: 'H9', nhsNumber: '9990000018', nhsNumberVerified: false, sourceVersion: 'x', updatedAt: new Date('2025-03-01T00:00:00Z'),
          demographics: { localId: 'H9', family: 'Smyth', given: ['Ann'], birthDate: '1950-02-03', phone: '01782 000000' } },
      ],
    }));
    const d = record.demographics;
    expect(d.name?.value).toEqual({ family: 'Smyth', given: ['Ann'] });
    expect(d.birthDate?.sources.map((s) => s.ods)).toEqual(['RJE', 'GP1']);
    expect(d.nhsNumber?.value).toEqual({ value: '9990000018', verified: true });
    expect(d.gpPractice?.value).toEqual({ ods: 'GP1', name: 'Hill Surgery' });
    expect(d.address?.value).toEqual({ lines: ['1 High St'], postcode: 'ST4 1AA' });
    expect(record.freshness.map((f) => f.feedId)).toEqual(['gp1-fhir', 'rje-hl7']);
  });

  it('lists contacts and next of kin from the sources\' Patient resources', () => {
    const p = entry('gp1-fhir', {
      resourceType: 'Patient', contact: [{ relationship: [{ coding: [{ code: 'N', display: 'Next-of-Kin' }] }], name: { given: ['Bob'], family: 'Smith' }, telecom: [{ system: 'phone', value: '07700 900000' }] }],
    });
    const record = assembleRecord(input([p]));
    expect(record.demographics.contacts).toHaveLength(1);
    expect(record.demographics.contacts[0]).toMatchObject({ relationship: 'Next-of-Kin', name: 'Bob Smith', phone: '07700 900000', source: { ods: 'GP1', entryId: p.id } });
  });
});

describe('applyAccess', () => {
  const allow: Decision = {
    allow: true, purpose: 'direct-care-view', obligations: [
      { type: 'withhold-restricted-entries', entryIds: ['r1'], marker: "Some information is restricted at the person's request" },
      { type: 'withhold-sensitive', categories: [{ category: 'sexual-health', unlessRecordedBy: 'RJE' }] },
    ],
  };
  const base = (id: string, feedId: string, cats: string[] = [], type = 'Condition') => ({ ...entry(feedId, { resourceType: type }), id, sensitiveCategories: cats });

  it.each<[string, StoredEntry, 'shown' | 'restricted' | 'sensitive' | 'source-not-in-agreement']>([
    ['plain entry', base('a', 'gp1-fhir'), 'shown'],
    ['restricted at the person\'s request', base('r1', 'gp1-fhir'), 'restricted'],
    ['sensitive from another organisation', base('s1', 'gp1-fhir', ['sexual-health']), 'sensitive'],
    ['sensitive recorded by the user\'s organisation', base('s2', 'rje-hl7', ['sexual-health']), 'shown'],
    ['from an organisation whose agreement ended', base('o1', 'old-fhir'), 'source-not-in-agreement'],
  ])('%s', (_name, e, expected) => {
    const { shown, withheld } = applyAccess(allow, [e], ORGS, NOW);
    if (expected === 'shown') expect(shown.map((x) => x.id)).toEqual([e.id]);
    else expect(withheld).toEqual([expect.objectContaining({ reason: expected, entryIds: [e.id] })]);
  });

  it('a demographics-only decision shows Patient resources and withholds clinical entries with a marker', () => {
    const d: Decision = { allow: true, purpose: 'search', obligations: [{ type: 'demographics-only' }] };
    const { shown, withheld } = applyAccess(d, [base('p', 'gp1-fhir', [], 'Patient'), base('c', 'gp1-fhir')], ORGS, NOW);
    expect(shown.map((x) => x.id)).toEqual(['p']);
    expect(withheld).toEqual([expect.objectContaining({ reason: 'not-for-role', entryIds: ['c'] })]);
  });

  it('markers reach the record as text and counts, never entry ids', () => {
    const { shown, withheld } = applyAccess(allow, [base('r1', 'gp1-fhir'), base('x', 'gp1-fhir')], ORGS, NOW);
    const record = assembleRecord(input(shown, { withheld }));
    expect(record.withheld).toEqual([{ reason: 'restricted', text: "Some information is restricted at the person's request", count: 1 }]);
    expect(JSON.stringify(record.withheld)).not.toContain('r1');
  });
});

describe('sourceLastUpdated', () => {
  it.each([
    ['meta.lastUpdated wins', { resource: { resourceType: 'X', meta: { lastUpdated: '2025-02-02T10:00:00+01:00' } }, sourceVersion: 't2025-01-01T00:00:00.000Z#0', receivedAt: NOW }, '2025-02-02T09:00:00.000Z'],
    ['then the time in the version key', { resource: { resourceType: 'X' }, sourceVersion: 't2025-01-01T00:00:00.000Z#000000000004', receivedAt: NOW }, '2025-01-01T00:00:00.000Z'],
    ['then when it was received', { resource: { resourceType: 'X' }, sourceVersion: 'n000000000000000007#0', receivedAt: NOW }, NOW.toISOString()],
  ])('%s', (_name, e, expected) => {
    expect(sourceLastUpdated(e)).toBe(expected);
  });
});
