/** FHIR R4 bundles (batch, transaction, collection) mapped to source actions with per-entry OperationOutcomes. */
export { mapFhirBundle } from './bundle.ts';
export type { FhirBundleAnswer, FhirEntryAnswer, FhirMapContext } from './bundle.ts';
export { SUPPORTED_TYPES, isSupportedType } from './supported.ts';
export { patientDemographics, NHS_NUMBER_VERIFICATION_EXTENSION } from './patient.ts';
export { operationOutcome, issueType } from './outcome.ts';
export type { OutcomeIssue } from './outcome.ts';
export { schemaIssues, pointerToPath } from './schemaIssues.ts';
