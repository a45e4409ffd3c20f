/**
 * Reads what the assembler needs for one person, in one query: the person's current resources
 * and their source records, each joined with the feed (freshness) and organisation (name, kind,
 * agreement dates). Runs on whatever handle it is given — inside a read's transaction, the trx.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import type { FeedFreshness, FhirJson, OrganisationInfo, SourceRecordView, StoredEntry } from './types.ts';

export interface LoadedPerson {
  readonly entries: StoredEntry[];
  readonly sourceRecords: SourceRecordView[];
  readonly feeds: FeedFreshness[];
  readonly organisations: OrganisationInfo[];
}

interface ProvenanceRow {
  feed_id: string;
  feed_name: string | null;
  last_success_at: Date | null;
  ods: string;
  org_name: string | null;
  org_kind: string | null;
  isa_from: string | null;
  isa_to: string | null;
}

function collect(rows: ProvenanceRow[], feeds: Map<string, FeedFreshness>, orgs: Map<string, OrganisationInfo>): void {
  for (const r of rows) {
    if (!feeds.has(r.feed_id)) feeds.set(r.feed_id, { feedId: r.feed_id, ods: r.ods, feedName: r.feed_name, lastSuccessAt: r.last_success_at });
    if (r.org_name !== null && !orgs.has(r.ods)) {
      orgs.set(r.ods, { ods: r.ods, name: r.org_name, kind: r.org_kind ?? 'other', isaFrom: r.isa_from, isaTo: r.isa_to });
    }
  }
}

/** Follows merges: the person a (possibly merged) id now is, or null when there is no such person. */
export async function resolvePersonId(db: Kysely<Tables>, id: string): Promise<string | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  let current = id.toLowerCase();
  for (let hop = 0; hop < 8; hop++) {
    const row = await db.selectFrom('persons').select(['id', 'merged_into']).where('id', '=', current).executeTakeFirst();
    if (!row) return null;
    if (!row.merged_into) return row.id;
    current = row.merged_into;
  }
  return null;
}

/** `types` limits the resources read (the Patient read needs only Patient resources). */
export async function loadPerson(db: Kysely<Tables>, personId: string, opts: { types?: readonly string[] } = {}): Promise<LoadedPerson> {
  const typeFilter = opts.types && opts.types.length > 0 ? sql` and r.resource_type in (${sql.join(opts.types.map((t) => sql`${t}`))})` : sql``;
  // One round trip for both: the read path's latency is mostly round trips to the database.
  const rows = await sql<ProvenanceRow & {
    kind: 'r' | 's'; id: string; resource_type: string | null; source_id: string; source_version: string; source_org: string;
    body: unknown; sensitive_categories: string[] | null; at: Date; nhs_number: string | null; nhs_number_verified: boolean | null;
  }>`
    select 'r' as kind, r.id::text as id, r.feed_id, r.resource_type, r.source_id, r.source_version, r.source_org, r.resource as body,
           r.sensitive_categories, r.received_at as at, null::text as nhs_number, null::boolean as nhs_number_verified,
           f.name as feed_name, f.last_success_at, r.source_org as ods, o.name as org_name, o.kind as org_kind, o.isa_from, o.isa_to
      from resources r
      join feeds f on f.id = r.feed_id
      left join organisations o on o.ods_code = r.source_org
     where r.person_id = ${personId} and not r.deleted${typeFilter}
    union all
    select 's', s.local_id, s.feed_id, null, s.local_id, s.source_version, f.organisation_ods, s.demographics,
           null, s.updated_at, s.nhs_number, s.nhs_number_verified,
           f.name, f.last_success_at, f.organisation_ods, o.name, o.kind, o.isa_from, o.isa_to
      from source_records s
      join feeds f on f.id = s.feed_id
      left join organisations o on o.ods_code = f.organisation_ods
     where s.person_id = ${personId} and s.retired_into is null`.execute(db);
  const resources = { rows: rows.rows.filter((r) => r.kind === 'r') };
  const records = { rows: rows.rows.filter((r) => r.kind === 's').map((r) => ({ ...r, local_id: r.id, demographics: r.body as SourceDemographics, updated_at: r.at })) };
  const feeds = new Map<string, FeedFreshness>();
  const orgs = new Map<string, OrganisationInfo>();
  collect(resources.rows, feeds, orgs);
  collect(records.rows, feeds, orgs);
  const gpOds = [...new Set(records.rows.map((r) => r.demographics.gpPracticeOds).filter((x): x is string => !!x && !orgs.has(x)))];
  if (gpOds.length > 0) {
    const more = await db.selectFrom('organisations').select(['ods_code', 'name', 'kind', 'isa_from', 'isa_to']).where('ods_code', 'in', gpOds).execute();
    for (const o of more) orgs.set(o.ods_code, { ods: o.ods_code, name: o.name, kind: o.kind, isaFrom: o.isa_from, isaTo: o.isa_to });
  }
  return {
    entries: resources.rows.map((r) => ({
      id: r.id, personId, feedId: r.feed_id, resourceType: r.resource_type ?? '', sourceId: r.source_id, sourceVersion: r.source_version,
      sourceOrg: r.source_org, resource: r.body as FhirJson, sensitiveCategories: r.sensitive_categories ?? [], receivedAt: r.at,
    })),
    sourceRecords: records.rows.map((r) => ({
      feedId: r.feed_id, localId: r.local_id, nhsNumber: r.nhs_number, nhsNumberVerified: r.nhs_number_verified ?? false,
      demographics: r.demographics, sourceVersion: r.source_version, updatedAt: r.updated_at,
    })),
    feeds: [...feeds.values()],
    organisations: [...orgs.values()],
  };
}
