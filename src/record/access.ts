/**
 * Applies an access decision to a person's stored entries: which may be shown, and the markers
 * for what is withheld. Entries from an organisation outside an active Information Sharing
 * Agreement are withheld too. The policy itself lives in access/policy; this only adapts entries.
 */
import { filterEntries, ukOffsetMs, type Decision, type PolicyEntry, type SensitiveCategory, type WithheldMarker } from '../access/policy/index.ts';
import { inActiveAgreement } from '../registry/organisation.ts';
import type { OrganisationInfo, StoredEntry } from './types.ts';

/** The UK calendar day of an instant, YYYY-MM-DD (agreements are dated in local days). */
export function ukDay(now: Date): string {
  const t = now.getTime();
  return new Date(t + ukOffsetMs(t)).toISOString().slice(0, 10);
}

export function applyAccess(
  decision: Decision, entries: readonly StoredEntry[], organisations: readonly OrganisationInfo[], now: Date,
): { shown: StoredEntry[]; withheld: WithheldMarker[] } {
  const today = ukDay(now);
  const inAgreement = new Map(organisations.map((o) => [o.ods, inActiveAgreement(o, today)]));
  const policyEntries = entries.map((e): PolicyEntry & { entry: StoredEntry } => ({
    id: e.id,
    categories: e.sensitiveCategories as SensitiveCategory[],
    restricted: false,
    sourceOds: e.sourceOrg,
    sourceInAgreement: inAgreement.get(e.sourceOrg) ?? false,
    entry: e,
  }));
  // A person's own Patient resources are demographics, not clinical content: a demographics-only
  // decision (search, declaring a relationship) still shows them, with every other obligation applied.
  const demographicsDecision: Decision = decision.allow
    ? { ...decision, obligations: decision.obligations.filter((o) => o.type !== 'demographics-only') }
    : decision;
  const patients = filterEntries(demographicsDecision, policyEntries.filter((p) => p.entry.resourceType === 'Patient'));
  const clinical = filterEntries(decision, policyEntries.filter((p) => p.entry.resourceType !== 'Patient'));
  return { shown: [...patients.shown, ...clinical.shown].map((p) => p.entry), withheld: mergeMarkers([...patients.withheld, ...clinical.withheld]) };
}

function mergeMarkers(markers: WithheldMarker[]): WithheldMarker[] {
  const byReason = new Map<WithheldMarker['reason'], WithheldMarker>();
  for (const m of markers) {
    const prev = byReason.get(m.reason);
    byReason.set(m.reason, prev ? { ...prev, entryIds: [...prev.entryIds, ...m.entryIds] } : m);
  }
  return [...byReason.values()];
}
