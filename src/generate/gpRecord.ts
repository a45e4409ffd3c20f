/**
 * A GP practice's record extract for one registered patient, as FHIR resources: Patient with
 * the registration (generalPractitioner → the practice by ODS code), Condition, MedicationRequest
 * (current repeats) and MedicationStatement (past courses), AllergyIntolerance, Immunization and
 * Observation (blood pressure, weight, HbA1c).
 */
import { fhirTime, isoDay, momentAt } from './dates.ts';
import { MEDICINES } from './clinical.ts';
import type { Person } from './population.ts';
import type { GpPractice } from './partners.ts';
import { faithfulRecord } from './sourceRecord.ts';
import { DMD, LOINC, ODS_SYSTEM, SNOMED, UCUM, orgRef, patientRef, patientResource, snomed, type FhirResource } from './fhirCommon.ts';

const at9 = (day: number): string => fhirTime(momentAt(day, 9 * 60));

export function practiceOrganization(p: GpPractice): FhirResource {
  return {
    resourceType: 'Organization',
    id: p.odsCode,
    identifier: [{ system: ODS_SYSTEM, value: p.odsCode }],
    active: true,
    type: [{ coding: [{ system: 'https://digital.nhs.uk/services/organisation-data-service/CodeSystem/ODSOrganisationRole', code: '76', display: 'GP PRACTICE' }] }],
    // The name says "(synthetic)": these practices and their Y9… codes are invented.
    name: p.name,
    address: [{ city: p.town.name, district: p.town.county }],
  };
}

export function gpResources(person: Person, localId: string, feedId: string): FhirResource[] {
  const p = person.practice;
  const subject = patientRef(localId);
  const rec = faithfulRecord(person, feedId, localId);
  const h = person.history;
  const lastChange = Math.max(person.gpRegisteredDay, ...h.conditions.map((c) => c.recordedDay), ...h.medicines.map((m) => m.startDay));
  const out: FhirResource[] = [
    patientResource(rec, p.odsCode, { verified: true, lastUpdated: at9(lastChange), gp: { reference: `Organization/${p.odsCode}`, identifier: { system: ODS_SYSTEM, value: p.odsCode }, display: p.name } }),
  ];
  for (const c of h.conditions) {
    const cond: FhirResource = {
      resourceType: 'Condition', id: `${localId}-c-${c.code}`, meta: { lastUpdated: at9(c.recordedDay) },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: c.active ? 'active' : 'resolved' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
      code: snomed(c.code, c.display), subject, onsetDateTime: isoDay(c.onsetDay), recordedDate: isoDay(c.recordedDay),
    };
    out.push(cond);
  }
  for (const m of h.medicines) {
    const med = MEDICINES[m.key];
    const code = { coding: [{ system: DMD, code: med.code, display: med.display }] };
    if (m.repeat) {
      const req: FhirResource = {
        resourceType: 'MedicationRequest', id: `${localId}-m-${m.key}`, meta: { lastUpdated: at9(m.startDay) },
        status: 'active', intent: 'order', medicationCodeableConcept: code, subject, authoredOn: isoDay(m.startDay),
        requester: orgRef(p.odsCode, p.name),
        courseOfTherapyType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy', code: 'continuous', display: 'Continuous long term therapy' }] },
        dosageInstruction: [{ text: med.dose }],
      };
      out.push(req);
    } else {
      const st: FhirResource = {
        resourceType: 'MedicationStatement', id: `${localId}-m-${m.key}`, meta: { lastUpdated: at9(m.endDay ?? m.startDay) },
        status: 'completed', medicationCodeableConcept: code, subject,
        effectivePeriod: { start: isoDay(m.startDay), ...(m.endDay !== null ? { end: isoDay(m.endDay) } : {}) },
        dateAsserted: isoDay(m.startDay), dosage: [{ text: med.dose }],
      };
      out.push(st);
    }
  }
  for (const a of h.allergies) {
    const allergy: FhirResource = {
      resourceType: 'AllergyIntolerance', id: `${localId}-a-${a.code}`, meta: { lastUpdated: at9(a.recordedDay) },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
      type: 'allergy', category: [a.category], code: snomed(a.code, a.display), patient: subject, recordedDate: isoDay(a.recordedDay),
    };
    out.push(allergy);
  }
  h.immunisations.forEach((im, i) => {
    const imm: FhirResource = {
      resourceType: 'Immunization', id: `${localId}-i-${i + 1}`, meta: { lastUpdated: at9(im.day) },
      status: 'completed', vaccineCode: snomed(im.code, im.display), patient: subject,
      occurrenceDateTime: isoDay(im.day), recorded: isoDay(im.day), primarySource: true,
    };
    out.push(imm);
  });
  for (const o of h.observations) out.push(observation(localId, o));
  return out;
}

const VITAL = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }];
const LAB = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }];

function observation(localId: string, o: Person['history']['observations'][number]): FhirResource {
  const base = { resourceType: 'Observation' as const, id: `${localId}-o-${o.kind}`, meta: { lastUpdated: at9(o.day) }, status: 'final' as const, subject: patientRef(localId), effectiveDateTime: at9(o.day) };
  switch (o.kind) {
    case 'bp': return {
      ...base, category: VITAL,
      code: { coding: [{ system: SNOMED, code: '75367002', display: 'Blood pressure' }, { system: LOINC, code: '85354-9', display: 'Blood pressure panel with all children optional' }] },
      component: [
        { code: { coding: [{ system: SNOMED, code: '271649006', display: 'Systolic blood pressure' }, { system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: o.systolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
        { code: { coding: [{ system: SNOMED, code: '271650006', display: 'Diastolic blood pressure' }, { system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: o.diastolic, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      ],
    };
    case 'weight': return {
      ...base, category: VITAL,
      code: { coding: [{ system: SNOMED, code: '27113001', display: 'Body weight' }, { system: LOINC, code: '29463-7', display: 'Body weight' }] },
      valueQuantity: { value: o.kg, unit: 'kg', system: UCUM, code: 'kg' },
    };
    case 'hba1c': return {
      ...base, category: LAB,
      code: { coding: [{ system: SNOMED, code: '999791000000106', display: 'Haemoglobin A1c level - International Federation of Clinical Chemistry and Laboratory Medicine standardised' }, { system: LOINC, code: '59261-8', display: 'Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol' }] },
      valueQuantity: { value: o.mmolPerMol, unit: 'mmol/mol', system: UCUM, code: 'mmol/mol' },
    };
  }
}
