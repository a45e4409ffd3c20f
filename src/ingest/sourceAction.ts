/**
 * What a mapped source message asks the record to do. Every format (HL7 v2, FHIR bundles, CSV
 * extracts) maps its input to a list of these; the ingest pipeline applies them with provenance,
 * idempotently and in version order. Pure data: no I/O.
 */
import type { Resource } from 'fhir/r4';

/** Demographics of one source record, as the source sent them: the person index matches on these. */
export interface SourceDemographics {
  /** The source's own identifier for the person (PID-3 local id, FHIR Patient id, CSV local_id). */
  localId: string;
  /** As sent (may be malformed); the person index normalises and checks it. */
  nhsNumber?: string | undefined;
  /** The source says the NHS number was traced/verified (e.g. PID-3 status, FHIR verification extension). */
  nhsNumberVerified?: boolean | undefined;
  family?: string | undefined;
  given?: string[] | undefined;
  /** YYYY-MM-DD when valid; otherwise the raw value is kept in dataQuality and this is undefined. */
  birthDate?: string | undefined;
  sex?: 'male' | 'female' | 'other' | 'unknown' | undefined;
  postcode?: string | undefined;
  addressLines?: string[] | undefined;
  phone?: string | undefined;
  /** YYYY-MM-DD when the source records a death. */
  deceasedDate?: string | undefined;
  /** ODS code of the registered GP practice when the source states it. */
  gpPracticeOds?: string | undefined;
}

/** A value kept as given but not trusted (flagged, never used for matching). */
export interface DataQualityWarning {
  /** e.g. `postcode`, `PID-11.5`, `Patient.birthDate` */
  field: string;
  code: 'malformed-postcode' | 'malformed-phone' | 'impossible-date' | 'malformed-nhs-number' | 'other';
  message: string;
}

/** Where in the input a problem is: exactly one of these styles, per format. */
export interface InputLocation {
  segment?: string; // HL7: `PID`
  segmentIndex?: number; // HL7: 1-based occurrence among all segments
  field?: string; // HL7: `PID-3`, `PID-3.1`
  jsonPath?: string; // FHIR: `Bundle.entry[2].resource.birthDate`
  line?: number; // CSV: 1-based physical line
  column?: string; // CSV: header name
}

export interface IngestError {
  /** Stable machine code, e.g. `required-field-missing`, `unsupported-message-type`. */
  code: string;
  /** A human sentence naming what, where and why; never personal data. */
  message: string;
  where: InputLocation;
  /** HL7 only: AE (application error, content) or AR (rejected: unsupported, unknown sender). */
  hl7AckCode?: 'AE' | 'AR';
}

export type SourceAction =
  /** Create or replace one resource the source owns. `sourceId` is unique per feed and type. */
  | {
      kind: 'upsert';
      resource: Resource;
      resourceType: string;
      sourceId: string;
      /** Orders versions of the same resource: ISO timestamp or a monotonic version string. Older never overwrites newer. */
      sourceVersion: string;
      /** The source record (person) this resource belongs to: its localId. */
      subjectLocalId: string;
      /** Present when the resource is the person's own demographics (Patient). */
      demographics?: SourceDemographics;
      dataQuality?: DataQualityWarning[];
    }
  /** Remove from view (A11, FHIR DELETE, a row absent from a snapshot). */
  | { kind: 'delete'; resourceType: string; sourceId: string; sourceVersion: string; subjectLocalId: string }
  /** A40: the source merged its duplicate local record `retiredLocalId` into `survivorLocalId`. */
  | { kind: 'merge'; survivorLocalId: string; retiredLocalId: string; sourceVersion: string };

export type MapResult = { ok: true; actions: SourceAction[] } | { ok: false; error: IngestError };
