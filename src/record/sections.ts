/**
 * Which section of the combined record an entry belongs to, by its type, its status and the kind
 * of organisation that sent it. Pure.
 */
import { isOngoing } from './facts.ts';
import type { FhirJson, SectionKey } from './types.ts';

export const SECTION_TITLES: Readonly<Record<SectionKey, string>> = {
  'alerts-and-allergies': 'Alerts, flags and allergies',
  'medications-current': 'Current medications',
  'medications-past': 'Past medications',
  'conditions-ongoing': 'Ongoing conditions and diagnoses',
  'conditions-historic': 'Past conditions and diagnoses',
  'immunisations': 'Immunisations',
  'procedures-and-investigations': 'Procedures and investigations',
  'results': 'Test results',
  'encounters': 'Referrals, admissions, discharges, appointments and clinics',
  'notes-and-reports': 'Notes and reports',
  'care-plans': 'Care plans',
  'social-care-and-mental-health': 'Social care and mental health involvement',
  'carers-and-contacts': 'Carers and contacts',
  'other': 'Other information',
};

const SOCIAL_OR_MENTAL_KINDS = new Set(['social-care', 'mental-health', 'chc']);
const SOCIAL_OR_MENTAL_WORDS = /\b(social|mental|psychiatr|safeguard|care act|continuing healthcare|reablement)/i;

function episodeText(r: FhirJson): string {
  const types = Array.isArray(r.type) ? (r.type as unknown[]) : [];
  return JSON.stringify(types);
}

/** The section of an entry; null for the person's own Patient resource (shown as demographics). */
export function sectionOf(r: FhirJson, organisationKind: string | undefined, now: Date): SectionKey | null {
  switch (r.resourceType) {
    case 'Patient': return null;
    case 'Flag':
    case 'AllergyIntolerance': return 'alerts-and-allergies';
    case 'MedicationStatement':
    case 'MedicationRequest': return isOngoing(r, now) ? 'medications-current' : 'medications-past';
    case 'Condition': return isOngoing(r, now) ? 'conditions-ongoing' : 'conditions-historic';
    case 'Immunization': return 'immunisations';
    case 'Procedure': return 'procedures-and-investigations';
    case 'DiagnosticReport':
    case 'Observation': return 'results';
    case 'ServiceRequest':
    case 'Encounter':
    case 'Appointment': return 'encounters';
    case 'EpisodeOfCare':
      return (organisationKind !== undefined && SOCIAL_OR_MENTAL_KINDS.has(organisationKind)) || SOCIAL_OR_MENTAL_WORDS.test(episodeText(r))
        ? 'social-care-and-mental-health' : 'encounters';
    case 'DocumentReference': return 'notes-and-reports';
    case 'CarePlan': return 'care-plans';
    case 'RelatedPerson': return 'carers-and-contacts';
    default: return 'other';
  }
}
