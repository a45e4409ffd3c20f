/**
 * What the combined record reads out of a FHIR resource, whatever its type: its clinical date (for
 * ordering and the `date` search), the span of time it covers (for recognising the same fact from
 * two sources), its main code, a label and a status, and when the source last updated it.
 */
import type { FhirJson, StoredEntry } from './types.ts';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}
function periodStart(v: unknown): string | undefined {
  return str(obj(v)?.start);
}
function periodEnd(v: unknown): string | undefined {
  return str(obj(v)?.end);
}

/** The first of these elements that holds a date: `x` for a dateTime, `x.start` for a Period. */
function firstDate(r: Json, paths: readonly (readonly [string, string | undefined])[]): string | undefined {
  for (const [head, tail] of paths) {
    const v = tail ? obj(r[head])?.[tail] : r[head];
    const s = str(v) ?? periodStart(v);
    if (s) return s;
  }
  return undefined;
}

const DATE_ELEMENTS: Readonly<Record<string, readonly string[]>> = {
  Condition: ['onsetDateTime', 'onsetPeriod', 'recordedDate'],
  AllergyIntolerance: ['onsetDateTime', 'onsetPeriod', 'recordedDate', 'lastOccurrence'],
  MedicationStatement: ['effectiveDateTime', 'effectivePeriod', 'dateAsserted'],
  MedicationRequest: ['authoredOn', 'dispenseRequest.validityPeriod'],
  Immunization: ['occurrenceDateTime', 'recorded'],
  Procedure: ['performedDateTime', 'performedPeriod'],
  DiagnosticReport: ['effectiveDateTime', 'effectivePeriod', 'issued'],
  Observation: ['effectiveDateTime', 'effectivePeriod', 'effectiveInstant', 'issued'],
  Encounter: ['period'],
  Appointment: ['start', 'created'],
  ServiceRequest: ['occurrenceDateTime', 'occurrencePeriod', 'authoredOn'],
  EpisodeOfCare: ['period'],
  DocumentReference: ['context.period', 'date'],
  CarePlan: ['period', 'created'],
  Flag: ['period'],
  RelatedPerson: ['period'],
};

// The element names split once at load: every item of every record is dated through them.
const DATE_PATHS: ReadonlyMap<string, readonly (readonly [string, string | undefined])[]> = new Map(
  Object.entries(DATE_ELEMENTS).map(([type, names]) => [type, names.map((n) => n.split('.') as [string, string | undefined])]),
);

/** The clinical date of the resource (ISO date or date-time as the source wrote it), or null. */
export function clinicalDate(r: FhirJson): string | null {
  const paths = DATE_PATHS.get(r.resourceType);
  return (paths && firstDate(r, paths)) ?? null;
}

/** The end of the span a resource covers, when it states one. */
function clinicalEnd(r: FhirJson): string | undefined {
  const j = r as Json;
  switch (r.resourceType) {
    case 'Condition': return str(j.abatementDateTime) ?? periodEnd(j.abatementPeriod) ?? periodEnd(j.onsetPeriod);
    case 'MedicationStatement': return periodEnd(j.effectivePeriod);
    case 'MedicationRequest': return periodEnd(obj(j.dispenseRequest)?.validityPeriod);
    case 'Procedure': return periodEnd(j.performedPeriod);
    case 'Observation':
    case 'DiagnosticReport': return periodEnd(j.effectivePeriod);
    case 'Encounter':
    case 'EpisodeOfCare':
    case 'CarePlan':
    case 'Flag': return periodEnd(j.period);
    case 'Appointment': return str(j.end);
    default: return undefined;
  }
}

/** Types whose span stays open while they are ongoing (a condition without abatement, a current medicine). */
const OPEN_ENDED = new Set(['Condition', 'MedicationStatement', 'MedicationRequest', 'EpisodeOfCare', 'CarePlan', 'Flag']);

/**
 * Milliseconds since the epoch of the first instant of an ISO date or date-time of any precision
 * (`2024`, `2024-03`, `2024-03-05`, `2024-03-05T10:00:00Z`), and of the instant just after its end.
 */
export function instantRange(value: string): { lo: number; hi: number } | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (m) {
    const y = Number(m[1]);
    const month = m[2] ? Number(m[2]) : 1;
    // Date.UTC rolls 30 February over into March; a calendar date must round-trip.
    if (month < 1 || month > 12) return null;
    if (m[3] && new Date(Date.UTC(y, month - 1, Number(m[3]))).getUTCDate() !== Number(m[3])) return null;
    if (m[3]) {
      const lo = Date.UTC(y, Number(m[2]) - 1, Number(m[3]));
      return { lo, hi: lo + 86_400_000 };
    }
    if (m[2]) return { lo: Date.UTC(y, Number(m[2]) - 1, 1), hi: Date.UTC(y, Number(m[2]), 1) };
    return { lo: Date.UTC(y, 0, 1), hi: Date.UTC(y + 1, 0, 1) };
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) return null;
  // A date-time to the second covers that second.
  return { lo: t, hi: t + 1000 };
}

/**
 * The days a resource's fact covers, compared at day precision (sources disagree on times far more
 * than on days). Null when it states no date at all.
 */
export function factSpan(r: FhirJson): { lo: number; hi: number } | null {
  const start = clinicalDate(r);
  if (!start) return null;
  const s = instantRange(start.slice(0, 10));
  if (!s) return null;
  const end = clinicalEnd(r);
  const e = end ? instantRange(end.slice(0, 10)) : null;
  if (e) return { lo: s.lo, hi: Math.max(e.hi, s.hi) };
  return { lo: s.lo, hi: OPEN_ENDED.has(r.resourceType) && isOngoing(r) ? Infinity : s.hi };
}

const CODE_ELEMENT: Readonly<Record<string, string>> = {
  Condition: 'code', AllergyIntolerance: 'code', MedicationStatement: 'medicationCodeableConcept',
  MedicationRequest: 'medicationCodeableConcept', Immunization: 'vaccineCode', Procedure: 'code', DiagnosticReport: 'code',
  Observation: 'code', ServiceRequest: 'code', Flag: 'code', DocumentReference: 'type', EpisodeOfCare: 'type',
  Encounter: 'type', Appointment: 'serviceType', CarePlan: 'category', RelatedPerson: 'relationship',
};

/** The CodeableConcept that says what the resource is about (the first when the element repeats). */
export function mainConcept(r: FhirJson): Json | undefined {
  const name = CODE_ELEMENT[r.resourceType];
  return name ? obj(first((r as Json)[name])) : undefined;
}

/** `system|code` of each coding of the main concept. */
export function mainCodes(r: FhirJson): string[] {
  const codings = mainConcept(r)?.coding;
  if (!Array.isArray(codings)) return [];
  const out: string[] = [];
  for (const c of codings) {
    const o = obj(c);
    const system = str(o?.system);
    const code = str(o?.code);
    if (system && code) out.push(`${system}|${code}`);
  }
  return out;
}

/** Every coding of the named CodeableConcept elements (for the `code` and `category` searches). */
export function codingsOf(r: FhirJson, elements: readonly string[]): { system: string | null; code: string }[] {
  const out: { system: string | null; code: string }[] = [];
  for (const name of elements) {
    const v = (r as Json)[name];
    for (const concept of Array.isArray(v) ? v : [v]) {
      const o = obj(concept);
      // Encounter.class is a bare Coding rather than a CodeableConcept.
      const codings = Array.isArray(o?.coding) ? o.coding : o && str(o.code) ? [o] : [];
      for (const c of codings as unknown[]) {
        const co = obj(c);
        const code = str(co?.code);
        if (code) out.push({ system: str(co?.system) ?? null, code });
      }
    }
  }
  return out;
}

function conceptText(c: Json | undefined): string | undefined {
  if (!c) return undefined;
  const coding = Array.isArray(c.coding) ? obj(c.coding.find((x) => str(obj(x)?.display))) : undefined;
  return str(c.text) ?? str(coding?.display);
}

/** `given… family` of a HumanName, or '' when it has neither. */
export function humanName(name: Json | undefined): string {
  const given: unknown[] = Array.isArray(name?.given) ? (name.given as unknown[]) : [];
  return [...given, name?.family].filter((x): x is string => typeof x === 'string').join(' ');
}

/** A short human label for the item. */
export function labelOf(r: FhirJson): string {
  const j = r as Json;
  switch (r.resourceType) {
    case 'DocumentReference': return str(j.description) ?? conceptText(obj(j.type)) ?? 'Document';
    case 'Appointment': return str(j.description) ?? conceptText(mainConcept(r)) ?? 'Appointment';
    case 'CarePlan': return str(j.title) ?? str(j.description) ?? conceptText(mainConcept(r)) ?? 'Care plan';
    case 'Encounter': return conceptText(mainConcept(r)) ?? str(obj(j.class)?.display) ?? 'Encounter';
    case 'RelatedPerson': {
      const name = obj(first(j.name));
      const text = str(name?.text) ?? humanName(name);
      return [text, conceptText(mainConcept(r))].filter((x) => x).join(' — ') || 'Related person';
    }
    default: return conceptText(mainConcept(r)) ?? r.resourceType;
  }
}

/** The status code as the resource states it (clinicalStatus for conditions and allergies). */
export function statusOf(r: FhirJson): string | null {
  const j = r as Json;
  const clinical = obj(j.clinicalStatus);
  if (clinical) {
    const code = Array.isArray(clinical.coding) ? str(obj(clinical.coding[0])?.code) : undefined;
    if (code) return code;
  }
  return str(j.status) ?? null;
}

const ONGOING_CONDITION = new Set(['active', 'recurrence', 'relapse']);
const CURRENT_MEDICATION = new Set(['active', 'intended', 'on-hold', 'draft']);

/** A condition not abated, a medicine still taken, an episode or plan still open. */
export function isOngoing(r: FhirJson, now?: Date): boolean {
  const j = r as Json;
  switch (r.resourceType) {
    case 'Condition': {
      if (j.abatementDateTime !== undefined || j.abatementPeriod !== undefined || j.abatementAge !== undefined
        || j.abatementRange !== undefined || j.abatementString !== undefined) return false;
      // No clinicalStatus and no abatement: the source still lists it, so it is taken as ongoing.
      if (!obj(j.clinicalStatus)) return true;
      const s = statusOf(r);
      return s !== null && ONGOING_CONDITION.has(s);
    }
    case 'MedicationStatement':
    case 'MedicationRequest': {
      const s = str(j.status);
      if (s && !CURRENT_MEDICATION.has(s)) return false;
      const end = clinicalEnd(r);
      if (end && now) {
        const e = instantRange(end);
        if (e && e.hi <= now.getTime()) return false;
      }
      return true;
    }
    default: {
      const s = str(j.status);
      return s === undefined || ['active', 'in-progress', 'planned', 'waitlist', 'on-hold', 'arrived', 'booked', 'proposed'].includes(s);
    }
  }
}

/** Removed by the source as a mistake: never shown. */
export function isEnteredInError(r: FhirJson): boolean {
  const j = r as Json;
  if (j.status === 'entered-in-error') return true;
  const v = obj(j.verificationStatus);
  const code = v && Array.isArray(v.coding) ? str(obj(v.coding[0])?.code) : undefined;
  return code === 'entered-in-error' || statusOf(r) === 'entered-in-error';
}

/**
 * When the source last updated the resource: its own meta.lastUpdated, else the time in the
 * version key (HL7 message time, extract date), else when we received it. ISO 8601 instant.
 */
export function sourceLastUpdated(entry: Pick<StoredEntry, 'resource' | 'sourceVersion' | 'receivedAt'>): string {
  const meta = obj((entry.resource as Json).meta);
  const stated = str(meta?.lastUpdated);
  if (stated && !Number.isNaN(Date.parse(stated))) return new Date(Date.parse(stated)).toISOString();
  const m = /^t(\d{4}-\d{2}-\d{2}T[\d:.]+Z)#/.exec(entry.sourceVersion);
  if (m?.[1]) return m[1];
  return entry.receivedAt.toISOString();
}

/** A sort key that orders ISO dates of any precision by their first instant. */
export function dateSortKey(date: string | null): number {
  if (!date) return -Infinity;
  return instantRange(date)?.lo ?? -Infinity;
}
