/**
 * assembleRecord: the combined record for one person from the entries the caller may see — each
 * fact once with every source that holds it, grouped into the sections of PRODUCT.md, newest first,
 * with how fresh each contributing source is and markers for what was withheld. Pure.
 */
import { assembleDemographics } from './demographics.ts';
import { groupSameFacts } from './dedupe.ts';
import { clinicalDate, dateSortKey, isEnteredInError, labelOf, sourceLastUpdated, statusOf } from './facts.ts';
import { SECTION_TITLES, sectionOf } from './sections.ts';
import {
  SECTION_KEYS, type AssembleInput, type CombinedRecord, type FeedFreshness, type ItemSource, type RecordItem, type RecordSection,
  type SectionFreshness, type SectionKey, type StoredEntry,
} from './types.ts';

function freshnessOf(feed: FeedFreshness | undefined, feedId: string, orgName: ReadonlyMap<string, string>): SectionFreshness {
  const ods = feed?.ods ?? '';
  return { feedId, ods, organisationName: orgName.get(ods) ?? ods, lastSuccessAt: feed?.lastSuccessAt ? feed.lastSuccessAt.toISOString() : null };
}

// Each item's date is parsed once, not at every comparison of a sort (a record is sorted by
// section and again whole, and parsing dominates the comparison).
const sortKeys = new WeakMap<RecordItem, number>();
function sortKey(item: RecordItem): number {
  let k = sortKeys.get(item);
  if (k === undefined) {
    k = dateSortKey(item.date);
    sortKeys.set(item, k);
  }
  return k;
}

/** Newest first by clinical date; then by the source's last update; then by id so the order is total. */
export function compareItems(a: RecordItem, b: RecordItem): number {
  const d = sortKey(b) - sortKey(a);
  if (d !== 0 && !Number.isNaN(d)) return d;
  const u = (b.sources[0]?.lastUpdated ?? '').localeCompare(a.sources[0]?.lastUpdated ?? '');
  return u !== 0 ? u : a.id.localeCompare(b.id);
}

function toItem(group: StoredEntry[], orgName: ReadonlyMap<string, string>): RecordItem {
  const withTimes = group.map((e) => ({ e, updated: sourceLastUpdated(e) }));
  withTimes.sort((a, b) => b.updated.localeCompare(a.updated) || a.e.id.localeCompare(b.e.id));
  const shown = withTimes[0]!.e;
  const sources: ItemSource[] = withTimes.map(({ e, updated }) => ({
    entryId: e.id, feedId: e.feedId, ods: e.sourceOrg, organisationName: orgName.get(e.sourceOrg) ?? e.sourceOrg, lastUpdated: updated,
  }));
  return {
    id: shown.id, resourceType: shown.resourceType, date: clinicalDate(shown.resource), label: labelOf(shown.resource),
    status: statusOf(shown.resource), sources, entry: shown, duplicates: withTimes.slice(1).map((x) => x.e),
  };
}

export function assembleRecord(input: AssembleInput): CombinedRecord {
  const orgName = new Map(input.organisations.map((o) => [o.ods, o.name]));
  const orgKind = new Map(input.organisations.map((o) => [o.ods, o.kind]));
  const feedById = new Map(input.feeds.map((f) => [f.feedId, f]));

  const patients: StoredEntry[] = [];
  const bySection = new Map<SectionKey, StoredEntry[]>();
  for (const e of input.entries) {
    if (e.personId !== input.person.id || isEnteredInError(e.resource)) continue;
    const key = sectionOf(e.resource, orgKind.get(e.sourceOrg), input.now);
    if (key === null) {
      patients.push(e);
      continue;
    }
    const list = bySection.get(key);
    if (list) list.push(e);
    else bySection.set(key, [e]);
  }

  // One freshness per feed, shared by every section it contributes to.
  const freshness = new Map<string, SectionFreshness>();
  const freshnessFor = (feedId: string): SectionFreshness => {
    let f = freshness.get(feedId);
    if (!f) {
      f = freshnessOf(feedById.get(feedId), feedId, orgName);
      freshness.set(feedId, f);
    }
    return f;
  };

  const sections: RecordSection[] = [];
  for (const key of SECTION_KEYS) {
    const entries = bySection.get(key) ?? [];
    const items = groupSameFacts(entries).map((g) => toItem(g, orgName)).sort(compareItems);
    const feedIds = [...new Set(entries.map((e) => e.feedId))].sort();
    sections.push({ key, title: SECTION_TITLES[key], items, freshness: feedIds.map(freshnessFor) });
  }

  const allFeeds = new Set<string>([...input.sourceRecords.map((r) => r.feedId), ...input.entries.map((e) => e.feedId)]);
  return {
    personId: input.person.id,
    demographics: assembleDemographics(input.sourceRecords, patients, input.feeds, input.organisations),
    sections,
    withheld: input.withheld.map((m) => ({ reason: m.reason, text: m.text, count: m.entryIds.length })),
    freshness: [...allFeeds].sort().map(freshnessFor),
  };
}
