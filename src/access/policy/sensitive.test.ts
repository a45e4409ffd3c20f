import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SENSITIVE_CODES, SENSITIVE_CATEGORY_SYSTEM, SNOMED_CT, V3_ACT_CODE, categoriseResource, compileSensitiveCodes,
  entitledEverywhere, entitledTo, type FhirResourceLike,
} from './sensitive.ts';

const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const condition = (system: string, code: string): FhirResourceLike => ({
  resourceType: 'Condition', subject: { reference: 'Patient/1' }, code: { coding: [{ system, code }] },
});

describe('categoriseResource', () => {
  it.each([
    ['HIV infection (SNOMED CT)', condition(SNOMED_CT, '86406008'), ['sexual-health']],
    ['syphilis (SNOMED CT)', condition(SNOMED_CT, '76272004'), ['sexual-health']],
    ['chlamydia A56.0 (ICD-10)', condition(ICD10, 'A56.0'), ['sexual-health']],
    ['first of the STI range A50', condition(ICD10, 'A50'), ['sexual-health']],
    ['last of the STI range A64', condition(ICD10, 'A64'), ['sexual-health']],
    ['just outside the STI range A49.9', condition(ICD10, 'A49.9'), []],
    ['just outside the STI range A65', condition(ICD10, 'A65'), []],
    ['HIV disease B24 with UK system', condition('http://hl7.org/fhir/sid/icd-10-uk', 'B24X'), ['sexual-health']],
    ['asymptomatic HIV Z21', condition(ICD10, 'Z21'), ['sexual-health']],
    ['female infertility N97.9', condition(ICD10, 'N97.9'), ['fertility']],
    ['procreative management Z31.2', condition(ICD10, 'z31.2'), ['fertility']],
    ['infertile (SNOMED CT)', condition(SNOMED_CT, '8619003'), ['fertility']],
    ['gender identity disorder F64.0', condition(ICD10, 'F64.0'), ['gender-identity']],
    ['history of sex reassignment Z87.890', condition('http://hl7.org/fhir/sid/icd-10-cm', 'Z87.890'), ['gender-identity']],
    ['Z87.89 is not the gender code', condition('http://hl7.org/fhir/sid/icd-10-cm', 'Z87.89'), []],
    ['gender dysphoria (SNOMED CT)', condition(SNOMED_CT, '93461009'), ['gender-identity']],
    ['child maltreatment T74.1', condition(ICD10, 'T74.1'), ['safeguarding']],
    ['perpetrator Y07', condition(ICD10, 'Y07.0'), ['safeguarding']],
    ['Z62.8 upbringing problem', condition(ICD10, 'Z62.8'), ['safeguarding']],
    ['Z62.1 is not listed', condition(ICD10, 'Z62.1'), []],
    ['victim of child abuse (SNOMED CT)', condition(SNOMED_CT, '397940009'), ['safeguarding']],
    ['asthma is not sensitive', condition(SNOMED_CT, '195967001'), []],
    ['an ICD-10 code in a SNOMED system is not matched', condition(SNOMED_CT, 'A50'), []],
    ['a SNOMED id in an unknown system is not matched', condition('http://example.org/codes', '86406008'), []],
    ['encounter type at a sexual health clinic', { resourceType: 'Encounter', type: [{ coding: [{ system: SNOMED_CT, code: '8098009' }] }] }, ['sexual-health']],
    ['reason code on a referral', { resourceType: 'ServiceRequest', reasonCode: [{ coding: [{ system: ICD10, code: 'N46' }] }] }, ['fertility']],
    ['category on a document', { resourceType: 'DocumentReference', category: [{ coding: [{ system: SENSITIVE_CATEGORY_SYSTEM, code: 'safeguarding' }] }] }, ['safeguarding']],
    ['security label HIV', { resourceType: 'Observation', meta: { security: [{ system: V3_ACT_CODE, code: 'HIV' }] } }, ['sexual-health']],
    ['security label SDV', { resourceType: 'Composition', meta: { security: [{ system: V3_ACT_CODE, code: 'SDV' }] } }, ['safeguarding']],
    ['value of an observation', { resourceType: 'Observation', code: { text: 'finding' }, valueCodeableConcept: { coding: [{ system: SNOMED_CT, code: '165816005' }] } }, ['sexual-health']],
    ['two categories at once', { resourceType: 'Condition', code: { coding: [{ system: ICD10, code: 'A54' }, { system: ICD10, code: 'T74.2' }] } }, ['sexual-health', 'safeguarding']],
    ['a contained resource', { resourceType: 'MedicationRequest', contained: [condition(ICD10, 'B20')] }, ['sexual-health']],
    ['narrative text is not read', { resourceType: 'Condition', text: { status: 'generated', div: '<div>HIV</div>' } }, []],
  ] as [string, FhirResourceLike, string[]][])('%s → %j', (_name, resource, expected) => {
    expect(categoriseResource(resource)).toEqual(expected);
  });

  it('uses configured code lists', () => {
    const matcher = compileSensitiveCodes({ ...DEFAULT_SENSITIVE_CODES, fertility: { snomed: ['123'], icd10: ['O09-O09'], securityLabels: [] } });
    expect(categoriseResource(condition(SNOMED_CT, '123'), matcher)).toEqual(['fertility']);
    expect(categoriseResource(condition(ICD10, 'O09.1'), matcher)).toEqual(['fertility']);
    expect(categoriseResource(condition(ICD10, 'N97'), matcher)).toEqual([]);
  });
});

describe('sensitive entitlements', () => {
  const at = (role: 'clinician' | 'social-care-practitioner' | 'pals-officer', kind: string) => ({ role, organisation: { ods: 'ORG1', kind } });
  it.each([
    ['clinician at the recording trust sees sexual health', at('clinician', 'acute'), 'sexual-health', 'ORG1', true],
    ['clinician at another trust does not', at('clinician', 'acute'), 'sexual-health', 'ORG2', false],
    ['clinician at a sexual health service sees it from anywhere', at('clinician', 'sexual-health'), 'sexual-health', 'ORG2', true],
    ['social care practitioner never sees sexual health', at('social-care-practitioner', 'social-care'), 'sexual-health', 'ORG1', false],
    ['social care practitioner at a council sees safeguarding from anywhere', at('social-care-practitioner', 'social-care'), 'safeguarding', 'ORG2', true],
    ['clinician at the recording trust sees safeguarding', at('clinician', 'mental-health'), 'safeguarding', 'ORG1', true],
    ['clinician at another trust does not see safeguarding', at('clinician', 'mental-health'), 'safeguarding', 'ORG2', false],
    ['PALS never sees safeguarding', at('pals-officer', 'social-care'), 'safeguarding', 'ORG1', false],
    ['fertility service sees fertility', at('clinician', 'fertility'), 'fertility', 'ORG2', true],
    ['GP practice sees gender identity it recorded', at('clinician', 'gp-practice'), 'gender-identity', 'ORG1', true],
    ['GP practice does not see gender identity recorded elsewhere', at('clinician', 'gp-practice'), 'gender-identity', 'ORG2', false],
  ] as const)('%s', (_name, user, category, recordedBy, expected) => {
    expect(entitledTo(user, category, recordedBy)).toBe(expected);
  });

  it.each([
    [at('clinician', 'sexual-health'), 'sexual-health', true],
    [at('clinician', 'acute'), 'sexual-health', false],
    [at('social-care-practitioner', 'social-care'), 'safeguarding', true],
  ] as const)('entitledEverywhere %j %s → %s', (user, category, expected) => expect(entitledEverywhere(user, category)).toBe(expected));
});
