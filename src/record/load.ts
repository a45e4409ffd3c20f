/**
 * Reads what the assembler needs for one person, in one query: the person's current resources
 * and their source records, then the feeds (freshness) and organisations (name, kind, agreement
 * dates) they came from, once each. Runs on whatever handle it is given — inside a read's
 * transaction, the trx.
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

/**
 * One row of the load: a resource ('r'), a source record ('s'), a feed ('f': name in `body`,
 * last success in `at`, organisation in `source_org`) or an organisation ('o': its details in `body`).
 */
interface LoadRow {
  kind: 'r' | 's' | 'f' | 'o';
  id: string;
  feed_id: string | null;
  resource_type: string | null;
  source_id: string | null;
  source_version: string | null;
  source_org: string | null;
  body: unknown;
  sensitive_categories: string[] | null;
  at: Date | null;
  nhs_number: string | null;
  nhs_number_verified: boolean | null;
}

interface OrgBody { name: string; kind: string | null; isaFrom: string | null; isaTo: string | null }

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
  const typeFilter = opts.types && opts.types.length > 0 ? sql` and resource_type in (${sql.join(opts.types.map((t) => sql`${t}`))})` : sql``;
  // One round trip for all of it: the read path's latency is mostly round trips to the database.
  // The feeds and organisations come once each rather than joined onto every resource: pg parses
  // every column of every row here, and the joined provenance doubled the columns (it cost more
  // Node CPU than parsing the resources' JSON).
  const rows = await sql<LoadRow>`
    with r as (
      select id, feed_id, resource_type, source_id, source_version, source_org, resource, sensitive_categories, received_at
        from resources where person_id = ${personId} and not deleted${typeFilter}
    ), s as (
      select local_id, feed_id, source_version, demographics, updated_at, nhs_number, nhs_number_verified
        from source_records where person_id = ${personId} and retired_into is null
    ), f as (
      select id, name, last_success_at, organisation_ods from feeds where id in (select feed_id from r union select feed_id from s)
    )
    select 'r' as kind, id::text as id, feed_id, resource_type, source_id, source_version, source_org, resource as body,
           sensitive_categories, received_at as at, null::text as nhs_number, null::boolean as nhs_number_verified
      from r
    union all
    select 's', local_id, feed_id, null, local_id, source_version, null, demographics, null, updated_at, nhs_number, nhs_number_verified
      from s
    union all
    select 'f', id, null, null, null, null, organisation_ods, jsonb_build_object('name', name), null, last_success_at, null, null
      from f
    union all
    select 'o', ods_code, null, null, null, null, null, jsonb_build_object('name', name, 'kind', kind, 'isaFrom', isa_from, 'isaTo', isa_to), null, null, null, null
      from organisations where ods_code in (select source_org from r union select organisation_ods from f)`.execute(db);
  const resources: LoadRow[] = [];
  const records: LoadRow[] = [];
  const feedRows = new Map<string, LoadRow>();
  const orgRows = new Map<string, OrgBody>();
  for (const row of rows.rows) {
    if (row.kind === 'r') resources.push(row);
    else if (row.kind === 's') records.push(row);
    else if (row.kind === 'f') feedRows.set(row.id, row);
    else orgRows.set(row.id, row.body as OrgBody);
  }
  // A feed's organisation is that of the first of its resources, else the feed's own; the
  // organisations come in the order their resources, then their source records, name them.
  const feeds = new Map<string, FeedFreshness>();
  const orgs = new Map<string, OrganisationInfo>();
  const note = (feedId: string, ods: string): void => {
    const feed = feedRows.get(feedId);
    if (!feed) return;
    if (!feeds.has(feedId)) feeds.set(feedId, { feedId, ods, feedName: (feed.body as { name: string | null }).name, lastSuccessAt: feed.at });
    const org = orgRows.get(ods);
    if (org && !orgs.has(ods)) orgs.set(ods, { ods, name: org.name, kind: org.kind ?? 'other', isaFrom: org.isaFrom, isaTo: org.isaTo });
  };
  for (const r of resources) note(r.feed_id!, r.source_org!);
  for (const r of records) note(r.feed_id!, feedRows.get(r.feed_id!)?.source_org ?? '');
  const gpOds = [...new Set(records.map((r) => (r.body as SourceDemographics).gpPracticeOds).filter((x): x is string => !!x && !orgs.has(x)))];
  if (gpOds.length > 0) {
    const more = await db.selectFrom('organisations').select(['ods_code', 'name', 'kind', 'isa_from', 'isa_to']).where('ods_code', 'in', gpOds).execute();
    for (const o of more) orgs.set(o.ods_code, { ods: o.ods_code, name: o.name, kind: o.kind, isaFrom: o.isa_from, isaTo: o.isa_to });
  }
  return {
    entries: resources.map((r) => ({
      id: r.id, personId, feedId: r.feed_id!, resourceType: r.resource_type ?? '', sourceId: r.source_id!, sourceVersion: r.source_version!,
      sourceOrg: r.source_org!, resource: r.body as FhirJson, sensitiveCategories: r.sensitive_categories ?? [], receivedAt: r.at!,
    })),
    sourceRecords: records.map((r) => ({
      feedId: r.feed_id!, localId: r.id, nhsNumber: r.nhs_number, nhsNumberVerified: r.nhs_number_verified ?? false,
      demographics: r.body as SourceDemographics, sourceVersion: r.source_version!, updatedAt: r.at!,
    })),
    feeds: [...feeds.values()],
    organisations: [...orgs.values()],
  };
}
