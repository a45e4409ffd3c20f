/**
 * The combined record's vocabulary: what the store hands the assembler (stored entries, source
 * records, feed freshness, organisations) and what the assembler hands the screens and the FHIR
 * API (sections of items, each item naming every source that holds it). Pure data.
 */
import type { WithheldMarker } from '../access/policy/index.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';

/** A FHIR resource as stored: plain JSON with a resourceType. */
export interface FhirJson { readonly resourceType: string; readonly [element: string]: unknown }

/** One row of `resources`: a resource a source holds about the person, with its provenance. */
export interface StoredEntry {
  /** Our stored uuid: the id the API answers with. */
  readonly id: string;
  readonly personId: string;
  readonly feedId: string;
  readonly resourceType: string;
  /** The source's own id of the resource. */
  readonly sourceId: string;
  /** Sortable version key (ingest/version.ts). */
  readonly sourceVersion: string;
  /** ODS code of the organisation that sent it. */
  readonly sourceOrg: string;
  readonly resource: FhirJson;
  readonly sensitiveCategories: readonly string[];
  readonly receivedAt: Date;
}

/** One source's record of the person (`source_records`). */
export interface SourceRecordView {
  readonly feedId: string;
  readonly localId: string;
  readonly nhsNumber: string | null;
  readonly nhsNumberVerified: boolean;
  readonly demographics: SourceDemographics;
  readonly sourceVersion: string;
  readonly updatedAt: Date;
}

/** How fresh a source is: its feed's last successful upload. */
export interface FeedFreshness {
  readonly feedId: string;
  readonly ods: string;
  readonly feedName: string | null;
  readonly lastSuccessAt: Date | null;
}

export interface OrganisationInfo {
  readonly ods: string;
  readonly name: string;
  readonly kind: string;
  readonly isaFrom: string | null;
  readonly isaTo: string | null;
}

export interface PersonRef { readonly id: string }

/** Where an item came from: the organisation, the feed and when the source last updated it. */
export interface ItemSource {
  /** The stored entry (null for demographics that come from a source record rather than a resource). */
  readonly entryId: string | null;
  readonly feedId: string;
  readonly ods: string;
  readonly organisationName: string;
  /** ISO 8601: the source's own last update of this item. */
  readonly lastUpdated: string;
}

export const SECTION_KEYS = [
  'alerts-and-allergies', 'medications-current', 'medications-past', 'conditions-ongoing', 'conditions-historic',
  'immunisations', 'procedures-and-investigations', 'results', 'encounters', 'notes-and-reports', 'care-plans',
  'social-care-and-mental-health', 'carers-and-contacts', 'other',
] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** One fact of the combined record: shown once however many sources hold it. */
export interface RecordItem {
  /** The id of the entry whose content is shown (the most recently updated copy). */
  readonly id: string;
  readonly resourceType: string;
  /** The clinical date the item is ordered by (ISO date or date-time), when it has one. */
  readonly date: string | null;
  /** A short human label: the coded text, the document title… */
  readonly label: string;
  readonly status: string | null;
  /** Every source holding this fact, most recently updated first. */
  readonly sources: readonly ItemSource[];
  /** The entry shown. */
  readonly entry: StoredEntry;
  /** The other copies of the same fact (other sources). */
  readonly duplicates: readonly StoredEntry[];
}

export interface SectionFreshness {
  readonly feedId: string;
  readonly ods: string;
  readonly organisationName: string;
  /** ISO 8601, or null when the feed has never uploaded successfully. */
  readonly lastSuccessAt: string | null;
}

export interface RecordSection {
  readonly key: SectionKey;
  readonly title: string;
  /** Newest first. */
  readonly items: readonly RecordItem[];
  /** Each source contributing to this section and how fresh it is. */
  readonly freshness: readonly SectionFreshness[];
}

/** A demographic value with the sources that state it. */
export interface Sourced<T> { readonly value: T; readonly sources: readonly ItemSource[] }

export interface ContactView {
  readonly relationship: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly source: ItemSource;
}

export interface Demographics {
  readonly name: Sourced<{ family: string | null; given: string[] }> | null;
  readonly birthDate: Sourced<string> | null;
  readonly nhsNumber: Sourced<{ value: string; verified: boolean }> | null;
  readonly address: Sourced<{ lines: string[]; postcode: string | null }> | null;
  readonly phone: Sourced<string> | null;
  readonly sex: Sourced<string> | null;
  readonly deceasedDate: Sourced<string> | null;
  /** Registered GP practice (ODS code and name). */
  readonly gpPractice: Sourced<{ ods: string; name: string | null }> | null;
  /** Contacts and next of kin named on the sources' Patient resources. */
  readonly contacts: readonly ContactView[];
}

export interface CombinedRecord {
  readonly personId: string;
  readonly demographics: Demographics;
  readonly sections: readonly RecordSection[];
  /** Markers for withheld items (restricted at the person's request, sensitive, …): text only. */
  readonly withheld: readonly { readonly reason: WithheldMarker['reason']; readonly text: string; readonly count: number }[];
  /** Every source of this person's record and how fresh it is. */
  readonly freshness: readonly SectionFreshness[];
}

export interface AssembleInput {
  readonly person: PersonRef;
  readonly sourceRecords: readonly SourceRecordView[];
  /** Entries already filtered by the access decision (see applyAccess). */
  readonly entries: readonly StoredEntry[];
  readonly feeds: readonly FeedFreshness[];
  readonly organisations: readonly OrganisationInfo[];
  readonly withheld: readonly WithheldMarker[];
  /** Decides current vs past for medications whose period has ended. */
  readonly now: Date;
}
