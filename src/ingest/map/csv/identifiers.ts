/** Identifier systems this record uses for what partners send (UK Core where one exists). */

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_ORGANIZATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const UKCORE_PATIENT_PROFILE = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient';
export const UKCORE_EPISODE_OF_CARE_PROFILE = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-EpisodeOfCare';
/** A value the source sent that we keep but do not trust: sub-extensions `field` and `value`. */
export const UNVERIFIED_VALUE_EXTENSION = 'https://fhir.ohc.example/StructureDefinition/unverified-value';

/** The feed's own person identifiers (CSV local_id, FHIR Patient id). */
export function localIdSystem(feedId: string): string {
  return `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/local`;
}

/** The feed's own involvement identifiers (CSV involvement_id). */
export function involvementIdSystem(feedId: string): string {
  return `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/involvement`;
}
