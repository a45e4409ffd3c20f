/**
 * The resource types FHIR feeds may send, and for each the element naming the person it is about.
 * Anything else is answered `not-supported`, never dropped.
 */

/** How a type names its person: an element holding a Reference, Appointment's participants, itself, or nobody. */
export type SubjectRule =
  | { kind: 'self' }
  | { kind: 'none' }
  | { kind: 'element'; element: string; required: true }
  | { kind: 'participant' };

export const SUPPORTED_TYPES: Readonly<Record<string, SubjectRule>> = {
  Patient: { kind: 'self' },
  // Practitioners and organisations are reference data, not part of any one person's record.
  Practitioner: { kind: 'none' },
  Organization: { kind: 'none' },
  RelatedPerson: { kind: 'element', element: 'patient', required: true },
  Encounter: { kind: 'element', element: 'subject', required: true },
  EpisodeOfCare: { kind: 'element', element: 'patient', required: true },
  Condition: { kind: 'element', element: 'subject', required: true },
  AllergyIntolerance: { kind: 'element', element: 'patient', required: true },
  MedicationStatement: { kind: 'element', element: 'subject', required: true },
  MedicationRequest: { kind: 'element', element: 'subject', required: true },
  Immunization: { kind: 'element', element: 'patient', required: true },
  Observation: { kind: 'element', element: 'subject', required: true },
  DiagnosticReport: { kind: 'element', element: 'subject', required: true },
  Procedure: { kind: 'element', element: 'subject', required: true },
  ServiceRequest: { kind: 'element', element: 'subject', required: true },
  Appointment: { kind: 'participant' },
  DocumentReference: { kind: 'element', element: 'subject', required: true },
  CarePlan: { kind: 'element', element: 'subject', required: true },
  Flag: { kind: 'element', element: 'subject', required: true },
};

export function isSupportedType(resourceType: string): boolean {
  return Object.hasOwn(SUPPORTED_TYPES, resourceType);
}
