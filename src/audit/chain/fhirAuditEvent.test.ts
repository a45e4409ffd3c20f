import { describe, expect, it } from 'vitest';
import { fhirSchemaProblems } from '../../fhir/schema.ts';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, AUDIT_PURPOSES, GENESIS_HEAD, type AuditEvent, type AuditEventDraft } from './event.ts';
import { chainNext } from './hash.ts';
import { ODS_ORGANISATION_SYSTEM, toFhirAuditEvent } from './fhirAuditEvent.ts';

const base: AuditEventDraft = {
  time: '2025-04-02T14:30:00.123Z',
  actor: { kind: 'user', id: 'u-42', organisationOds: 'RX1', role: 'clinician' },
  action: 'view',
  personId: 'p-7',
  purpose: 'direct-care',
  outcome: 'success',
  details: { resources: ['Condition/c1', 'MedicationStatement/m2'], reason: 'clinic review', terms: { family: 'X' }, count: 2 },
};
const event = (d: Partial<AuditEventDraft>): AuditEvent => chainNext(GENESIS_HEAD, { ...base, ...d });

describe('toFhirAuditEvent', () => {
  it.each(AUDIT_ACTIONS.map((a) => [a]))('maps %s to a schema-valid AuditEvent', (action) => {
    const fhir = toFhirAuditEvent(event({ action }));
    expect(fhirSchemaProblems(fhir)).toEqual([]);
    expect(fhir.subtype).toContainEqual({ system: expect.stringContaining('audit-action') as string, code: action });
  });

  it.each<[AuditEventDraft['action'], string, string | undefined, string]>([
    ['search', '110112', 'search-type', 'E'],
    ['view', 'rest', 'read', 'R'],
    ['export', '110106', undefined, 'R'],
    ['sign-in', '110114', '110122', 'E'],
    ['sign-out', '110114', '110123', 'E'],
    ['declare-relationship', 'rest', 'create', 'C'],
    ['objection-withdrawn', 'rest', 'update', 'U'],
    ['access-override', '110113', '110127', 'E'],
    ['audit-purged', '110101', undefined, 'D'],
  ])('%s → type %s, subtype %s, action %s', (action, type, subtype, code) => {
    const fhir = toFhirAuditEvent(event({ action }));
    expect(fhir.type.code).toBe(type);
    if (subtype) expect(fhir.subtype?.[0]?.code).toBe(subtype);
    expect(fhir.action).toBe(code);
  });

  it.each(AUDIT_OUTCOMES.map((o, i) => [o, ['0', '4', '8'][i]]))('outcome %s → %s', (outcome, code) => {
    expect(toFhirAuditEvent(event({ outcome })).outcome).toBe(code);
  });

  it.each(AUDIT_PURPOSES.map((p) => [p]))('purpose %s is coded in v3 PurposeOfUse and valid', (purpose) => {
    const fhir = toFhirAuditEvent(event({ purpose }));
    expect(fhir.purposeOfEvent?.[0]?.coding?.[0]?.system).toBe('http://terminology.hl7.org/CodeSystem/v3-ActReason');
    expect(fhirSchemaProblems(fhir)).toEqual([]);
  });

  it('the schema check is real: a wrong action code is caught', () => {
    expect(fhirSchemaProblems({ ...toFhirAuditEvent(event({})), action: 'X' }).length).toBeGreaterThan(0);
  });

  it('direct care is TREAT', () => {
    expect(toFhirAuditEvent(event({})).purposeOfEvent?.[0]?.coding?.[0]?.code).toBe('TREAT');
  });

  it('names the user, their organisation by ODS code, their role, and the observing system', () => {
    const fhir = toFhirAuditEvent(event({}), { observer: { display: 'OHC county', odsCode: 'QXX' } });
    expect(fhir.recorded).toBe('2025-04-02T14:30:00.123Z');
    expect(fhir.agent[0]).toMatchObject({ who: { identifier: { value: 'u-42' } }, requestor: true, role: [{ text: 'clinician' }] });
    expect(fhir.agent[1]).toMatchObject({ who: { type: 'Organization', identifier: { system: ODS_ORGANISATION_SYSTEM, value: 'RX1' } }, requestor: false });
    expect(fhir.source.observer).toEqual({ display: 'OHC county', identifier: { system: ODS_ORGANISATION_SYSTEM, value: 'QXX' } });
    expect(fhirSchemaProblems(fhir)).toEqual([]);
  });

  it('feeds and system jobs are devices', () => {
    const fhir = toFhirAuditEvent(event({ actor: { kind: 'feed', id: 'feed-1' }, action: 'dead-letter-replayed', personId: undefined, purpose: undefined }));
    expect(fhir.agent).toHaveLength(1);
    expect(fhir.agent[0]?.who?.type).toBe('Device');
    expect(fhirSchemaProblems(fhir)).toEqual([]);
  });

  it('has entities for the patient, each viewed resource, and the details as strings with the chain fields', () => {
    const e = event({});
    const fhir = toFhirAuditEvent(e);
    const refs = fhir.entity?.map((x) => x.what?.reference);
    expect(refs).toEqual(['Patient/p-7', 'Condition/c1', 'MedicationStatement/m2', undefined]);
    const detail = fhir.entity?.[3]?.detail ?? [];
    expect(detail).toContainEqual({ type: 'reason', valueString: 'clinic review' });
    expect(detail).toContainEqual({ type: 'terms', valueString: '{"family":"X"}' });
    expect(detail).toContainEqual({ type: 'count', valueString: '2' });
    expect(detail).toContainEqual({ type: 'hash', valueString: e.hash });
    expect(fhir.outcomeDesc).toBe('clinic review');
    expect(fhir.id).toBe('1');
  });

  it('an event without a person has no Patient entity and stays valid', () => {
    const fhir = toFhirAuditEvent(event({ action: 'sign-in', personId: undefined, purpose: undefined, details: {} }));
    expect(fhir.entity?.some((x) => x.what?.reference?.startsWith('Patient/'))).toBe(false);
    expect(fhir.purposeOfEvent).toBeUndefined();
    expect(fhirSchemaProblems(fhir)).toEqual([]);
  });
});
