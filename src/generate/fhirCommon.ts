/**
 * FHIR R4 building blocks shared by the generated sources: the UK Core identifier systems, the
 * Patient as a source holds it, references by ODS code, and batch entries that PUT each resource
 * under the source's own id (so a later file updates it and references resolve).
 */
import type { SourceRecord } from './sourceRecord.ts';

/**
 * Loose shapes: the installed @types/fhir (3.0.2) describes STU3 and has no `fhir/r4`, so the
 * generator types what it writes itself and proves it against the official R4 schema in tests.
 */
export interface FhirResource { resourceType: string; id: string; [field: string]: unknown }
export interface Reference { reference?: string; identifier?: { system: string; value: string }; display?: string }
export interface CodeableConcept { coding: { system: string; code: string; display?: string }[]; text?: string }

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const DMD = 'https://dmd.nhs.uk';
export const UCUM = 'http://unitsofmeasure.org';
const VERIFICATION_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus';
const VERIFICATION_SYSTEM = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland';

/** The local identifier system of a source: under the reserved .example domain, since these are invented. */
export function localIdSystem(ods: string): string {
  return `https://id.synthetic.example/${ods}/patient`;
}

export function snomed(code: string, display: string): CodeableConcept {
  return { coding: [{ system: SNOMED, code, display }] };
}

export function orgRef(ods: string, display: string): Reference {
  return { identifier: { system: ODS_SYSTEM, value: ods }, display };
}

export function patientRef(localId: string): Reference {
  return { reference: `Patient/${localId}` };
}

export function patientResource(rec: SourceRecord, ods: string, opts: { verified: boolean; lastUpdated: string; gp: Reference }): FhirResource {
  const identifier: Record<string, unknown>[] = [];
  if (rec.nhsNumber) {
    identifier.push({
      extension: [{
        url: VERIFICATION_URL,
        valueCodeableConcept: { coding: [opts.verified
          ? { system: VERIFICATION_SYSTEM, code: '01', display: 'Number present and verified' }
          : { system: VERIFICATION_SYSTEM, code: '02', display: 'Number present but not traced' }] },
      }],
      system: NHS_NUMBER_SYSTEM,
      value: rec.nhsNumber,
    });
  }
  identifier.push({ system: localIdSystem(ods), value: rec.localId });
  const line = rec.address.line2 ? [rec.address.line2, rec.address.line1] : [rec.address.line1];
  return {
    resourceType: 'Patient',
    id: rec.localId,
    meta: { lastUpdated: opts.lastUpdated },
    identifier,
    name: [{ use: 'official', family: rec.family, given: rec.given, ...(rec.title ? { prefix: [rec.title] } : {}) }],
    telecom: [{ system: 'phone', value: rec.phone, use: rec.phone.startsWith('07') ? 'mobile' : 'home' }],
    gender: rec.sex,
    birthDate: rec.birthDate,
    address: [{ use: 'home', line, city: rec.address.town, district: rec.address.county, postalCode: rec.address.postcode }],
    generalPractitioner: [opts.gp],
  };
}

/** One batch entry, serialised: PUT Type/id. */
export function putEntry(resource: FhirResource): string {
  return JSON.stringify({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
}

export function bundleOpening(id: string, timestamp: string): string {
  return `{"resourceType":"Bundle","id":${JSON.stringify(id)},"meta":{"lastUpdated":${JSON.stringify(timestamp)}},"type":"batch","timestamp":${JSON.stringify(timestamp)},"entry":[`;
}

export const BUNDLE_CLOSING = ']}\n';
