/**
 * FHIR rendering of the combined record, pure: every resource answers with our stored id, names
 * each source organisation in meta.tag (ODS code), the source's last update in meta.lastUpdated and
 * its feed in meta.source, and refers to the person as `Patient/{personId}` whatever local
 * identifier the source used. The Patient itself is composed from the person's source records.
 */
import type { Bundle, BundleEntry, Coding, HumanName, Identifier, OperationOutcome, Patient, Resource } from 'fhir/r4';
import type { CombinedRecord, FhirJson, ItemSource, RecordItem, SourceRecordView, StoredEntry } from '../../record/types.ts';
import { sourceLastUpdated } from '../../record/facts.ts';

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
/** Our own identifier of each source record of a person: the feed and the source's local id. */
export const SOURCE_RECORD_SYSTEM_PREFIX = 'https://fhir.ohc.example/Id/source-record/';

export function feedUri(feedId: string): string {
  return `urn:ohc:feed:${feedId}`;
}

type Json = Record<string, unknown>;

/** `feedId|Type/sourceId` → our id, so references between a source's own resources still resolve. */
export type ReferenceIndex = ReadonlyMap<string, string>;

export function referenceIndex(entries: readonly StoredEntry[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of entries) m.set(`${e.feedId}|${e.resourceType}/${e.sourceId}`, e.id);
  return m;
}

const PATIENT_ELEMENTS = new Set(['subject', 'patient']);

function isPatientReference(v: Json): boolean {
  return v.type === 'Patient' || (typeof v.reference === 'string' && v.reference.startsWith('Patient/'));
}

function rewrite(node: unknown, personRef: string, feedId: string, index: ReferenceIndex, depth: number): unknown {
  if (depth > 30 || node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((x) => rewrite(x, personRef, feedId, index, depth + 1));
  const o = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && (PATIENT_ELEMENTS.has(k) || (k === 'actor' && isPatientReference(v as Json)))) {
      // The person's own reference: whatever local id the source used, it is this person.
      out[k] = { reference: personRef };
      continue;
    }
    if (k === 'reference' && typeof v === 'string') {
      if (v.startsWith('Patient/')) out[k] = personRef;
      else {
        const ours = index.get(`${feedId}|${v}`);
        out[k] = ours ? `${v.slice(0, v.indexOf('/'))}/${ours}` : v;
      }
      continue;
    }
    out[k] = rewrite(v, personRef, feedId, index, depth + 1);
  }
  return out;
}

function sourceTags(sources: readonly ItemSource[]): Coding[] {
  const seen = new Set<string>();
  const tags: Coding[] = [];
  for (const s of sources) {
    if (!s.ods || seen.has(s.ods)) continue;
    seen.add(s.ods);
    tags.push({ system: ODS_SYSTEM, code: s.ods, display: s.organisationName });
  }
  return tags;
}

/** One stored entry as FHIR: provenance in meta, our ids in every reference we can resolve. */
export function renderEntry(entry: StoredEntry, sources: readonly ItemSource[], personId: string, index: ReferenceIndex): Resource {
  const body = rewrite(entry.resource, `Patient/${personId}`, entry.feedId, index, 0) as Json;
  const sourceMeta = (body.meta ?? {}) as Json;
  // The source's versionId numbers its own versions, not ours; the tags we add replace any ODS tag it sent.
  const { versionId: _versionId, lastUpdated: _lastUpdated, source: _source, tag, ...restMeta } = sourceMeta;
  const otherTags = Array.isArray(tag) ? (tag as Coding[]).filter((t) => t.system !== ODS_SYSTEM) : [];
  const primary = sources[0];
  return {
    ...body,
    resourceType: entry.resourceType,
    id: entry.id,
    meta: {
      ...restMeta,
      lastUpdated: primary?.lastUpdated ?? sourceLastUpdated(entry),
      source: feedUri(entry.feedId),
      tag: [...sourceTags(sources.length > 0 ? sources : []), ...otherTags],
    },
  };
}

export function renderItem(item: RecordItem, personId: string, index: ReferenceIndex): Resource {
  return renderEntry(item.entry, item.sources, personId, index);
}

/**
 * The person's Patient resource, composed from every source record: the NHS number (verified
 * preferred), the newest name first, each source's local identifier, addresses, phone, sex, birth
 * and death dates, and the registered GP practice.
 */
export function composePatient(record: CombinedRecord, sourceRecords: readonly SourceRecordView[]): Patient {
  const d = record.demographics;
  const identifier: Identifier[] = [];
  if (d.nhsNumber) identifier.push({ system: NHS_NUMBER_SYSTEM, value: d.nhsNumber.value.value });
  for (const s of [...sourceRecords].sort((a, b) => a.feedId.localeCompare(b.feedId) || a.localId.localeCompare(b.localId))) {
    identifier.push({ use: 'secondary', system: `${SOURCE_RECORD_SYSTEM_PREFIX}${s.feedId}`, value: s.localId });
  }
  const name: HumanName[] = [];
  if (d.name) {
    name.push({ use: 'official', ...(d.name.value.family ? { family: d.name.value.family } : {}), ...(d.name.value.given.length > 0 ? { given: d.name.value.given } : {}) });
  }
  const allSources = [d.name, d.birthDate, d.nhsNumber, d.address, d.phone, d.sex, d.gpPractice].flatMap((x) => x?.sources ?? []);
  const lastUpdated = allSources.map((s) => s.lastUpdated).sort().at(-1);
  const gender = d.sex?.value;
  const patient: Patient = {
    resourceType: 'Patient',
    id: record.personId,
    meta: {
      ...(lastUpdated ? { lastUpdated } : {}),
      source: 'urn:ohc:combined-record',
      ...(allSources.length > 0 ? { tag: sourceTags(allSources) } : {}),
    },
    ...(identifier.length > 0 ? { identifier } : {}),
    ...(name.length > 0 ? { name } : {}),
    ...(d.phone ? { telecom: [{ system: 'phone', value: d.phone.value }] } : {}),
    ...(gender === 'male' || gender === 'female' || gender === 'other' || gender === 'unknown' ? { gender } : {}),
    ...(d.birthDate && /^\d{4}-\d{2}-\d{2}$/.test(d.birthDate.value) ? { birthDate: d.birthDate.value } : {}),
    ...(d.deceasedDate ? { deceasedDateTime: d.deceasedDate.value } : {}),
    ...(d.address
      ? { address: [{ use: 'home', ...(d.address.value.lines.length > 0 ? { line: d.address.value.lines } : {}), ...(d.address.value.postcode ? { postalCode: d.address.value.postcode } : {}) }] }
      : {}),
    ...(d.contacts.length > 0
      ? {
          contact: d.contacts.map((c) => ({
            ...(c.relationship ? { relationship: [{ text: c.relationship }] } : {}),
            ...(c.name ? { name: { text: c.name } } : {}),
            ...(c.phone ? { telecom: [{ system: 'phone' as const, value: c.phone }] } : {}),
          })),
        }
      : {}),
    ...(d.gpPractice
      ? { generalPractitioner: [{ type: 'Organization', identifier: { system: ODS_SYSTEM, value: d.gpPractice.value.ods }, ...(d.gpPractice.value.name ? { display: d.gpPractice.value.name } : {}) }] }
      : {}),
  };
  return patient;
}

export function issue(severity: 'error' | 'warning' | 'information', code: string, diagnostics: string, detail?: { system: string; code: string }): OperationOutcome['issue'][number] {
  return {
    severity, code: code, diagnostics,
    ...(detail ? { details: { coding: [{ system: detail.system, code: detail.code }] } } : {}),
  };
}

export function outcome(...issues: OperationOutcome['issue']): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The withheld markers as an OperationOutcome the searchset carries with search.mode `outcome`. */
export function withheldOutcome(record: Pick<CombinedRecord, 'withheld'>): OperationOutcome | null {
  if (record.withheld.length === 0) return null;
  return outcome(...record.withheld.map((w) => issue('information', 'suppressed', w.text, { system: WITHHELD_SYSTEM, code: w.reason })));
}

export const WITHHELD_SYSTEM = 'https://fhir.ohc.example/CodeSystem/withheld-reason';

export function searchset(entries: BundleEntry[], total: number | undefined, links: Bundle['link']): Bundle {
  return {
    resourceType: 'Bundle', type: 'searchset', ...(total !== undefined ? { total } : {}), ...(links && links.length > 0 ? { link: links } : {}),
    ...(entries.length > 0 ? { entry: entries } : {}),
  };
}

export function asJson(r: FhirJson | Resource): FhirJson {
  return r as unknown as FhirJson;
}
