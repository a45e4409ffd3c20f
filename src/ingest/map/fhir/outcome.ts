/**
 * OperationOutcomes for FHIR ingestion: how each of our error codes reads as a FHIR issue, so every
 * entry's answer names the severity, the issue type, a sentence and the JSON path of the problem.
 */
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import type { IngestError } from '../../sourceAction.ts';

/** Our error codes → FHIR issue-type codes (http://hl7.org/fhir/issue-type). */
const ISSUE_TYPE: Record<string, OperationOutcomeIssue['code']> = {
  'invalid-bundle': 'structure',
  'invalid-entry': 'structure',
  'schema-invalid': 'structure',
  'invalid-value': 'value',
  'required-field-missing': 'required',
  'no-source-id': 'required',
  'unsupported-bundle-type': 'not-supported',
  'unsupported-resource-type': 'not-supported',
  'unsupported-method': 'not-supported',
  'conditional-not-supported': 'not-supported',
  'invalid-request-url': 'value',
  'id-mismatch': 'invalid',
  'subject-unresolved': 'not-found',
  'subject-not-patient': 'invalid',
  'duplicate-fullurl': 'duplicate',
  'duplicate-entry': 'duplicate',
  'transaction-rolled-back': 'processing',
};

export function issueType(code: string): OperationOutcomeIssue['code'] {
  return ISSUE_TYPE[code] ?? 'invalid';
}

export interface OutcomeIssue {
  severity: 'error' | 'warning' | 'information';
  /** Our code; its FHIR issue type is derived. */
  code: string;
  message: string;
  /** `Bundle.entry[2].resource.birthDate` */
  expression?: string | undefined;
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity,
      code: issueType(i.code),
      details: { coding: [{ system: 'https://fhir.ohc.example/CodeSystem/ingest-error', code: i.code }] },
      diagnostics: i.message,
      ...(i.expression !== undefined ? { expression: [i.expression] } : {}),
    })),
  };
}

export function errorIssue(error: IngestError): OutcomeIssue {
  return { severity: 'error', code: error.code, message: error.message, expression: error.where.jsonPath };
}
