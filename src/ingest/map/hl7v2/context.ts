/**
 * Shared pieces of HL7 v2 mapping: the mapping context, errors as values, decoded reads, coding
 * systems, identifier systems and the message's source version.
 */
import type { CodeableConcept, Coding, Reference } from 'fhir/r4';
import type { DataQualityWarning, IngestError } from '../../sourceAction.ts';
import { isEmptyRepetition, parseHl7DateTime, repetitions, segment, unescape, type Hl7DateTime, type Hl7Message, type Hl7Segment, type Hl7Value } from '../../../formats/hl7v2/index.ts';

export type ValidDateTime = Extract<Hl7DateTime, { ok: true }>;

export interface MapContext {
  feedId: string;
  /** ODS code of the organisation the feed belongs to. */
  odsCode: string;
}

export interface Mapping {
  msg: Hl7Message;
  ctx: MapContext;
  warnings: DataQualityWarning[];
}

/** Thrown inside the mapper only, caught at its entry point and turned into a MapResult. */
export class MappingFailure extends Error {
  constructor(readonly error: IngestError) {
    super(error.message);
  }
}

export function reject(code: string, message: string, where: IngestError['where'], hl7AckCode: 'AE' | 'AR' = 'AE'): never {
  throw new MappingFailure({ code, message, where, hl7AckCode });
}

export function required(m: Mapping, name: string): Hl7Segment {
  const seg = segment(m.msg, name);
  if (!seg) reject('required-field-missing', `the message has no ${name} segment`, { segment: name });
  return seg;
}

/** Index (1-based among all segments) of a segment object, for error locations. */
export function indexOf(m: Mapping, seg: Hl7Segment): number {
  return m.msg.segments.indexOf(seg) + 1;
}

export function reps(m: Mapping, seg: Hl7Segment | undefined, fieldNo: number): Hl7Value[] {
  return repetitions(seg, m.msg.encoding, fieldNo).filter((r) => !r.empty);
}

/** The first non-empty repetition's component, decoded and trimmed; empty and `""` (HL7 explicit null) read as absent. */
export function val(m: Mapping, seg: Hl7Segment | undefined, fieldNo: number, component = 1, sub = 1): string | undefined {
  // reps(m, seg, fieldNo)[0]?.c(component, sub), read straight from the tree: mapping reads most
  // fields this way, and building a view of every repetition to keep the first cost more than the read.
  const f = seg?.fields[fieldNo - 1];
  if (!f) return undefined;
  for (const rep of f) {
    if (isEmptyRepetition(rep)) continue;
    const raw = rep[component - 1]?.[sub - 1];
    if (raw === undefined || raw === '') return undefined;
    const v = unescape(raw, m.msg.encoding).trim();
    return v === '' || v === '""' ? undefined : v;
  }
  return undefined;
}

export const SYSTEMS = {
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  ods: 'https://fhir.nhs.uk/Id/ods-organization-code',
  local: (feedId: string): string => `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/local`,
  visit: (feedId: string): string => `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/visit`,
  report: (feedId: string): string => `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/report`,
  observation: (feedId: string): string => `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/observation`,
  document: (feedId: string): string => `https://fhir.ohc.example/Id/${encodeURIComponent(feedId)}/document`,
  localCode: (feedId: string, system: string | undefined): string =>
    `https://fhir.ohc.example/CodeSystem/${encodeURIComponent(feedId)}/${encodeURIComponent(system ?? 'local')}`,
};

const SNOMED = new Set(['SCT', 'SNM', 'SNM3', 'SNOMED', 'SNOMEDCT', 'SNOMED-CT', 'SNOMED CT', '2.16.840.1.113883.6.96']);
const LOINC = new Set(['LN', 'LOINC', '2.16.840.1.113883.6.1']);
const ICD10 = new Set(['I10', 'ICD10', 'ICD-10']);

export function codeSystem(m: Mapping, name: string | undefined): string {
  const n = name?.trim().toUpperCase();
  if (n && SNOMED.has(n)) return 'http://snomed.info/sct';
  if (n && LOINC.has(n)) return 'http://loinc.org';
  if (n && ICD10.has(n)) return 'http://hl7.org/fhir/sid/icd-10';
  if (n && /^HL7\d{4}$/.test(n)) return `http://terminology.hl7.org/CodeSystem/v2-${n.slice(3)}`;
  return SYSTEMS.localCode(m.ctx.feedId, name?.trim() || undefined);
}

/** CE/CWE (identifier, text, system, alternate identifier, alternate text, alternate system). */
export function codeableConcept(m: Mapping, v: Hl7Value | undefined): CodeableConcept | undefined {
  if (!v) return undefined;
  const coding: Coding[] = [];
  const code = v.c(1)?.trim();
  const text = v.c(2)?.trim();
  if (code) coding.push(text ? { system: codeSystem(m, v.c(3)), code, display: text } : { system: codeSystem(m, v.c(3)), code });
  const alt = v.c(4)?.trim();
  const altText = v.c(5)?.trim();
  if (alt) coding.push(altText ? { system: codeSystem(m, v.c(6)), code: alt, display: altText } : { system: codeSystem(m, v.c(6)), code: alt });
  if (coding.length === 0 && !text) return undefined;
  const concept: CodeableConcept = {};
  if (coding.length) concept.coding = coding;
  if (text) concept.text = text;
  return concept;
}

export function patientReference(m: Mapping, localId: string): Reference {
  return { type: 'Patient', identifier: { system: SYSTEMS.local(m.ctx.feedId), value: localId } };
}

export function organisationReference(odsCode: string): Reference {
  return { type: 'Organization', identifier: { system: SYSTEMS.ods, value: odsCode } };
}

/**
 * The version that orders this message's resources: MSH-7 as a UTC instant, or EVN-2 when it is
 * later (a message re-sent later still describes the event's own time).
 */
export function sourceVersion(m: Mapping): string {
  const msh = segment(m.msg, 'MSH') as Hl7Segment;
  const raw = val(m, msh, 7);
  if (raw === undefined) reject('required-field-missing', 'MSH-7 (date/time of message) is empty', { segment: 'MSH', segmentIndex: 1, field: 'MSH-7' });
  const t = parseHl7DateTime(raw);
  if (!t.ok) reject('invalid-value', 'MSH-7 is not a valid date/time', { segment: 'MSH', segmentIndex: 1, field: 'MSH-7' });
  const evn = segment(m.msg, 'EVN');
  const e = parseHl7DateTime(val(m, evn, 2));
  return e.ok && e.utc > t.utc ? e.utc : t.utc;
}

/** A date/time in a non-key field: kept when valid, a data-quality warning otherwise. */
export function optionalDateTime(m: Mapping, seg: Hl7Segment | undefined, fieldNo: number, label: string): ValidDateTime | undefined {
  const raw = val(m, seg, fieldNo);
  if (raw === undefined) return undefined;
  const t = parseHl7DateTime(raw);
  if (!t.ok) {
    m.warnings.push({ field: label, code: t.reason === 'impossible' ? 'impossible-date' : 'other', message: `${label} is not a valid date/time and was ignored` });
    return undefined;
  }
  return t;
}
