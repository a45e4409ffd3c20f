/**
 * The ambulance service's electronic patient record for one person: each incident an Encounter
 * (with where the patient was taken), the crew's observations, and the handover note given to the
 * receiving hospital as a DocumentReference with a plain-text attachment.
 */
import type { Rng } from './random.ts';
import { addMinutes, fhirTime, momentAt, type Moment } from './dates.ts';
import type { Person } from './population.ts';
import type { SourceRecord } from './sourceRecord.ts';
import { LOINC, ODS_SYSTEM, SNOMED, UCUM, orgRef, patientRef, patientResource, snomed, type FhirResource } from './fhirCommon.ts';

/** Share of people attended by an ambulance in the two years before asOf. */
export function ambulanceProbability(age: number): number {
  return age < 16 ? 0.04 : age < 65 ? 0.06 : age < 80 ? 0.15 : 0.3;
}

const COMPLAINTS = [
  { code: '1912002', display: 'Fall', minAge: 60 },
  { code: '29857009', display: 'Chest pain', minAge: 30 },
  { code: '267036007', display: 'Dyspnea', minAge: 0 },
  { code: '91175000', display: 'Seizure', minAge: 0 },
  { code: '21522001', display: 'Abdominal pain', minAge: 0 },
  { code: '271594007', display: 'Syncope', minAge: 12 },
];

interface Vital { snomed: string; loinc: string; name: string; unit: string; ucum: string; value: (rng: Rng) => number }

const VITALS: readonly Vital[] = [
  { snomed: '364075005', loinc: '8867-4', name: 'Heart rate', unit: 'beats/minute', ucum: '/min', value: (r) => Math.round(r.normal(92, 18)) },
  { snomed: '86290005', loinc: '9279-1', name: 'Respiratory rate', unit: 'breaths/minute', ucum: '/min', value: (r) => Math.round(r.normal(20, 4)) },
  { snomed: '103228002', loinc: '59408-5', name: 'Oxygen saturation', unit: '%', ucum: '%', value: (r) => Math.min(100, Math.round(r.normal(95, 3))) },
  { snomed: '703421000', loinc: '8310-5', name: 'Temperature', unit: 'degrees C', ucum: 'Cel', value: (r) => Math.round(r.normal(37.2, 0.7) * 10) / 10 },
];

export function ambulanceResources(
  rng: Rng, person: Person, rec: SourceRecord, ods: string, orgName: string, asOfDay: number, destination: { ods: string; name: string },
): FhirResource[] {
  const incidents = 1 + (rng.chance(person.age >= 80 ? 0.4 : 0.15) ? rng.int(1, 2) : 0);
  const times: Moment[] = Array.from({ length: incidents }, () => momentAt(asOfDay - rng.int(1, 730), rng.int(0, 1439)))
    .sort((a, b) => a.day - b.day || a.minute - b.minute);
  const last = times[times.length - 1] ?? momentAt(asOfDay - 1, 0);
  const gp = { identifier: { system: ODS_SYSTEM, value: person.practice.odsCode }, display: person.practice.name };
  const out: FhirResource[] = [patientResource(rec, ods, { verified: false, lastUpdated: fhirTime(addMinutes(last, 90)), gp })];
  const subject = patientRef(rec.localId);
  times.forEach((start, i) => {
    const options = COMPLAINTS.filter((c) => person.age >= c.minAge);
    const complaint = rng.pick(options.length > 0 ? options : COMPLAINTS);
    const conveyed = rng.chance(0.65);
    const end = addMinutes(start, rng.int(45, 150));
    const encId = `${rec.localId}-inc-${i + 1}`;
    const changed = fhirTime(addMinutes(end, 30));
    out.push({
      resourceType: 'Encounter', id: encId, meta: { lastUpdated: changed },
      identifier: [{ system: `https://id.synthetic.example/${ods}/incident`, value: `${encId}` }],
      status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' },
      type: [{ text: 'Emergency ambulance response' }], subject, period: { start: fhirTime(start), end: fhirTime(end) },
      reasonCode: [snomed(complaint.code, complaint.display)], serviceProvider: orgRef(ods, orgName),
      ...(conveyed ? { hospitalization: { destination: orgRef(destination.ods, destination.name) } } : {}),
    });
    const seen = addMinutes(start, rng.int(8, 25));
    VITALS.forEach((v, j) => {
      out.push({
        resourceType: 'Observation', id: `${encId}-obs-${j + 1}`, meta: { lastUpdated: changed }, status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
        code: { coding: [{ system: SNOMED, code: v.snomed, display: v.name }, { system: LOINC, code: v.loinc, display: v.name }] },
        subject, encounter: { reference: `Encounter/${encId}` }, effectiveDateTime: fhirTime(seen),
        valueQuantity: { value: v.value(rng), unit: v.unit, system: UCUM, code: v.ucum },
      });
    });
    const note = [
      `Ambulance handover: ${complaint.display.toLowerCase()}.`,
      conveyed ? `Conveyed to ${destination.name}; handed over to the emergency department team.` : 'Treated at scene & referred to GP; not conveyed.',
      `Known conditions: ${person.history.conditions.map((c) => c.display).join(', ') || 'none recorded'}.`,
    ].join('\n');
    out.push({
      resourceType: 'DocumentReference', id: `${encId}-handover`, meta: { lastUpdated: changed }, status: 'current',
      type: { coding: [{ system: SNOMED, code: '371531000', display: 'Report of clinical encounter' }], text: 'Ambulance handover note' },
      subject, date: fhirTime(end), author: [orgRef(ods, orgName)],
      content: [{ attachment: { contentType: 'text/plain; charset=utf-8', language: 'en-GB', title: 'Handover note', data: Buffer.from(note, 'utf8').toString('base64') } }],
      context: { encounter: [{ reference: `Encounter/${encId}` }] },
    });
  });
  return out;
}
