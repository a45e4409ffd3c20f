/**
 * The demographics panel: name, date of birth, NHS number, address, phone, sex, date of death,
 * registered GP practice and contacts, from every source record of the person. Where sources
 * disagree the most recently updated source wins, and every source stating that value is listed.
 */
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { humanName, sourceLastUpdated } from './facts.ts';
import type { ContactView, Demographics, ItemSource, OrganisationInfo, SourceRecordView, Sourced, StoredEntry, FeedFreshness } from './types.ts';

type Json = Record<string, unknown>;

interface Candidate<T> { value: T; key: string; source: ItemSource; at: number }

function pick<T>(candidates: Candidate<T>[]): Sourced<T> | null {
  if (candidates.length === 0) return null;
  const sorted = [...candidates].sort((a, b) => b.at - a.at);
  const winner = sorted[0]!;
  return { value: winner.value, sources: sorted.filter((c) => c.key === winner.key).map((c) => c.source) };
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

export function assembleDemographics(
  sourceRecords: readonly SourceRecordView[], patientEntries: readonly StoredEntry[], feeds: readonly FeedFreshness[],
  organisations: readonly OrganisationInfo[],
): Demographics {
  const feedOds = new Map(feeds.map((f) => [f.feedId, f.ods]));
  const orgName = new Map(organisations.map((o) => [o.ods, o.name]));
  const patientOf = new Map<string, StoredEntry>();
  for (const e of patientEntries) patientOf.set(`${e.feedId}\u0000${e.sourceId}`, e);

  const name: Candidate<{ family: string | null; given: string[] }>[] = [];
  const birthDate: Candidate<string>[] = [];
  const nhs: Candidate<{ value: string; verified: boolean }>[] = [];
  const address: Candidate<{ lines: string[]; postcode: string | null }>[] = [];
  const phone: Candidate<string>[] = [];
  const sex: Candidate<string>[] = [];
  const deceased: Candidate<string>[] = [];
  const gp: Candidate<{ ods: string; name: string | null }>[] = [];

  for (const r of sourceRecords) {
    const d: SourceDemographics = r.demographics;
    const ods = feedOds.get(r.feedId) ?? '';
    const patient = patientOf.get(`${r.feedId}\u0000${r.localId}`);
    const source: ItemSource = {
      entryId: patient?.id ?? null, feedId: r.feedId, ods, organisationName: orgName.get(ods) ?? ods,
      lastUpdated: patient ? sourceLastUpdated(patient) : r.updatedAt.toISOString(),
    };
    const at = Date.parse(source.lastUpdated);
    const family = text(d.family);
    const given = (d.given ?? []).map(text).filter((g): g is string => g !== null);
    if (family || given.length > 0) name.push({ value: { family, given }, key: `${family ?? ''}|${given.join(' ')}`.toLowerCase(), source, at });
    if (d.birthDate) birthDate.push({ value: d.birthDate, key: d.birthDate, source, at });
    // A verified number outranks an unverified one whatever their ages.
    if (r.nhsNumber) nhs.push({ value: { value: r.nhsNumber, verified: r.nhsNumberVerified }, key: r.nhsNumber, source, at: at + (r.nhsNumberVerified ? 1e15 : 0) });
    const lines = (d.addressLines ?? []).map(text).filter((l): l is string => l !== null);
    const postcode = text(d.postcode);
    if (lines.length > 0 || postcode) {
      address.push({ value: { lines, postcode }, key: `${lines.join(',')}|${postcode ?? ''}`.toLowerCase().replace(/\s+/g, ''), source, at });
    }
    const p = text(d.phone);
    if (p) phone.push({ value: p, key: p.replace(/\D/g, ''), source, at });
    if (d.sex) sex.push({ value: d.sex, key: d.sex, source, at });
    if (d.deceasedDate) deceased.push({ value: d.deceasedDate, key: d.deceasedDate, source, at });
    if (d.gpPracticeOds) gp.push({ value: { ods: d.gpPracticeOds, name: orgName.get(d.gpPracticeOds) ?? null }, key: d.gpPracticeOds, source, at });
  }

  const contacts: ContactView[] = [];
  for (const e of patientEntries) {
    const list = (e.resource as Json).contact;
    if (!Array.isArray(list)) continue;
    const ods = e.sourceOrg;
    const source: ItemSource = { entryId: e.id, feedId: e.feedId, ods, organisationName: orgName.get(ods) ?? ods, lastUpdated: sourceLastUpdated(e) };
    for (const c of list as Json[]) {
      const rel = Array.isArray(c.relationship) ? (c.relationship as Json[])[0] : undefined;
      const relCoding = rel && Array.isArray(rel.coding) ? (rel.coding as Json[])[0] : undefined;
      const n = c.name as Json | undefined;
      const nameText = n ? text(n.text) ?? (humanName(n) || null) : null;
      const tel = Array.isArray(c.telecom) ? (c.telecom as Json[]).find((t) => t.system === 'phone') : undefined;
      contacts.push({
        relationship: text(rel?.text) ?? text(relCoding?.display) ?? text(relCoding?.code),
        name: nameText, phone: text(tel?.value), source,
      });
    }
  }
  contacts.sort((a, b) => b.source.lastUpdated.localeCompare(a.source.lastUpdated));

  return {
    name: pick(name), birthDate: pick(birthDate), nhsNumber: pick(nhs), address: pick(address), phone: pick(phone),
    sex: pick(sex), deceasedDate: pick(deceased), gpPractice: pick(gp), contacts,
  };
}
