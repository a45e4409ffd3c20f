/**
 * Reads what the assembler needs for one person, in one query: the person's current resources
 * and their source records, then the feeds (freshness) and organisations (name, kind, agreement
 * dates) they came from, once each. Runs on whatever handle it is given — inside a read's
 * transaction, the trx.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { accessFactsOf, accessFactsQuery, isPersonId, ODS_SYSTEM, type AccessFactsUser, type FactsQueryRow } from '../access/facts.ts';
import type { DecisionPerson } from '../access/policy/index.ts';
import { normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { FeedFreshness, FhirJson, OrganisationInfo, SourceRecordView, StoredEntry } from './types.ts';

export interface LoadedPerson {
  readonly entries: StoredEntry[];
  readonly sourceRecords: SourceRecordView[];
  readonly feeds: FeedFreshness[];
  readonly organisations: OrganisationInfo[];
}

/**
 * One row of the load: a resource ('r'), a source record ('s'), a feed ('f': name in `body`,
 * last success in `at`, organisation in `source_org`), an organisation ('o': its details in `body`)
 * or, with loadPersonWithFacts, the person's access facts ('a': the FactsQueryRow in `body`) and,
 * with personsByNhsNumberWithFacts, each person the number names ('c': the id in `id`).
 */
interface LoadRow {
  kind: 'a' | 'c' | 'r' | 's' | 'f' | 'o';
  id: string;
  feed_id: string | null;
  resource_type: string | null;
  source_id: string | null;
  source_version: string | null;
  source_org: string | null;
  body: unknown;
  sensitive_categories: string[] | null;
  /** An instant in milliseconds since the epoch (epochMs). */
  at: number | null;
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
  const rows = await loadRowsSql(personId, opts.types).execute(db);
  return loadedFrom(db, personId, rows.rows);
}

/**
 * The access facts of `personId` for `user` (src/access/facts.ts) and, in the same statement, the
 * person's stored record as loadPerson reads it: a person-scoped read then costs one round trip to
 * the database where deciding and loading cost two, and both see the same snapshot. The record is
 * read only for a current person who has not opted out (`loaded` is null otherwise): it is the
 * caller's decide() that says whether any of it may be shown, and nothing is read for a person
 * every purpose of a read refuses.
 *
 * `onlyIfRelated` (a read that needs a legitimate relationship, such as viewing the record for
 * direct care): the record is read only when the facts show one could be inferred — a GP
 * registration with the user's practice, care at the user's organisation, or a declaration of the
 * user's — so a user with no relationship to the person never has the person's record read into
 * the server at all, only to be dropped. It is a screen, not the decision: decide() still decides
 * on the facts, and a caller whose decision allows what the screen held back reads the record apart.
 */
export async function loadPersonWithFacts(
  db: Kysely<Tables>, personId: string, user: AccessFactsUser, now: Date, opts: { types?: readonly string[]; onlyIfRelated?: boolean } = {},
): Promise<{ person: DecisionPerson; loaded: LoadedPerson | null }> {
  if (!isPersonId(personId)) return { person: { exists: false, optedOut: false }, loaded: null };
  const rows = await sql<LoadRow>`
    with a as (${accessFactsQuery(personId, user, now)}),
    g as (select ${opts.onlyIfRelated ? factsShowRelationship(user) : FACTS_ALLOW_LOADING} as read),
    ${loadCtes(personId, opts.types, READ_WHEN_FACTS_ALLOW)}
    ${factsSelect}
    union all
    ${loadSelect}`.execute(db);
  return factsAndRecord(db, personId, rows.rows, user, now);
}

/**
 * The persons an NHS number names (as personsByNhsNumber finds them) and, when it names exactly
 * one — nearly always — that person's access facts and stored record as loadPersonWithFacts reads
 * them, in the same statement: a search by NHS number then costs one round trip where finding,
 * deciding and loading cost three. `only` is null when the number names nobody or several
 * persons (each is then decided on apart). Null when the number is not a valid NHS number.
 */
export async function personsByNhsNumberWithFacts(
  db: Kysely<Tables>, raw: string, user: AccessFactsUser, now: Date, opts: { types?: readonly string[] } = {},
): Promise<{ candidates: string[]; only: { personId: string; person: DecisionPerson; loaded: LoadedPerson | null } | null } | null> {
  const nhs = normaliseNhsNumber(raw);
  if (!nhs) return null;
  const only = sql`(select id from one)`;
  const rows = await sql<LoadRow>`
    with c as (
      select distinct s.person_id from source_records s join persons p on p.id = s.person_id
       where s.nhs_number = ${nhs} and s.retired_into is null and p.merged_into is null
    ), one as (
      select case when count(*) = 1 then (array_agg(person_id))[1] end as id from c
    ), a as (${accessFactsQuery(only, user, now)}),
    g as (select ${FACTS_ALLOW_LOADING} as read),
    ${loadCtes(only, opts.types, READ_WHEN_FACTS_ALLOW)}
    select 'c' as kind, person_id::text as id, null::text as feed_id, null::text as resource_type, null::text as source_id, null::text as source_version,
           null::text as source_org, null::jsonb as body, null::text[] as sensitive_categories, null::int8 as at, null::text as nhs_number,
           null::boolean as nhs_number_verified
      from c
    union all
    ${factsSelect}
    union all
    ${loadSelect}`.execute(db);
  const candidates = rows.rows.filter((r) => r.kind === 'c').map((r) => r.id).sort();
  if (candidates.length !== 1) return { candidates, only: null };
  const personId = candidates[0]!;
  return { candidates, only: { personId, ...(await factsAndRecord(db, personId, rows.rows, user, now)) } };
}

/** The record is read with the facts only for a current person who has not opted out. */
const FACTS_ALLOW_LOADING = sql`(select present and not opted_out from a)`;

/** Whether the record is read (CTE `g`, worked out once from the facts). */
const READ_WHEN_FACTS_ALLOW = sql`(select read from g)`;

/**
 * FACTS_ALLOW_LOADING, and only when the facts (CTE `a`) hold something a relationship of the user
 * could be inferred from: a declaration, care at the user's organisation (the facts' only rows
 * other than Patient ones), or a Patient record naming the user's organisation as the practice
 * (as namesPractice in src/access/facts.ts reads it). Wider than inferRelationship, never narrower
 * for the same facts: it does not look at dates or statuses.
 */
function factsShowRelationship(user: AccessFactsUser): RawBuilder<unknown> {
  return sql`(select present and not opted_out and (
      declarations is not null
      or exists (select 1 from json_array_elements(a.resources) x
                  where x ->> 't' <> 'Patient'
                     or exists (
                          select 1 from json_array_elements(case when json_typeof(x -> 'gp') = 'array' then x -> 'gp' else '[]'::json end) ref
                           where ref -> 'identifier' ->> 'system' = ${ODS_SYSTEM}
                             and upper(btrim(ref -> 'identifier' ->> 'value')) = ${user.organisation.ods.toUpperCase()})))
    from a)`;
}

/** The row of the facts (CTE `a`), in the load's columns. */
const factsSelect = sql`
    select 'a' as kind, null::text as id, null::text as feed_id, null::text as resource_type, null::text as source_id, null::text as source_version,
           null::text as source_org, to_jsonb(a) || jsonb_build_object('read', ${READ_WHEN_FACTS_ALLOW}) as body, null::text[] as sensitive_categories,
           null::int8 as at, null::text as nhs_number, null::boolean as nhs_number_verified
      from a`;

async function factsAndRecord(
  db: Kysely<Tables>, personId: string, rows: readonly LoadRow[], user: AccessFactsUser, now: Date,
): Promise<{ person: DecisionPerson; loaded: LoadedPerson | null }> {
  const facts = rows.find((r) => r.kind === 'a')?.body as (FactsQueryRow & { read: boolean | null }) | undefined;
  const person = accessFactsOf(facts, user, now);
  // `read`: whether the statement read the record (its rows are absent, not merely none, otherwise).
  if (!person.exists || person.optedOut || facts?.read !== true) return { person, loaded: null };
  return { person, loaded: await loadedFrom(db, personId, rows) };
}

/**
 * The CTEs of the load (r: resources, s: source records, f: their feeds); with `when`, rows are
 * read only when that condition (evaluated once) holds.
 */
function loadCtes(personId: string | RawBuilder<unknown>, types: readonly string[] | undefined, when: RawBuilder<unknown> | null): RawBuilder<unknown> {
  const typeFilter = types && types.length > 0 ? sql` and resource_type in (${sql.join(types.map((t) => sql`${t}`))})` : sql``;
  const gate = when ? sql` and ${when}` : sql``;
  return sql`r as (
      select id, feed_id, resource_type, source_id, source_version, source_org, resource, sensitive_categories, received_at
        from resources where person_id = ${personId} and not deleted${typeFilter}${gate}
    ), s as (
      select local_id, feed_id, source_version, demographics, updated_at, nhs_number, nhs_number_verified
        from source_records where person_id = ${personId} and retired_into is null${gate}
    ), f as (
      select id, name, last_success_at, organisation_ods from feeds where id in (select feed_id from r union select feed_id from s)
    )`;
}

/**
 * An instant as whole milliseconds since the epoch (int8, read as a number): pg's parsing of
 * timestamptz text cost more Node CPU than any other column of the load but the resources' JSON.
 * Rounded down, as pg's parsing truncates to the millisecond.
 */
function epochMs(column: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`floor(extract(epoch from ${column}) * 1000)::int8`;
}

/** The load's rows from the CTEs of loadCtes. */
const loadSelect = sql`
    select 'r' as kind, id::text as id, feed_id, resource_type, source_id, source_version, source_org, resource as body,
           sensitive_categories, ${epochMs(sql`received_at`)} as at, null::text as nhs_number, null::boolean as nhs_number_verified
      from r
    union all
    select 's', local_id, feed_id, null, local_id, source_version, null, demographics, null, ${epochMs(sql`updated_at`)}, nhs_number, nhs_number_verified
      from s
    union all
    select 'f', id, null, null, null, null, organisation_ods, jsonb_build_object('name', name), null, ${epochMs(sql`last_success_at`)}, null, null
      from f
    union all
    select 'o', ods_code, null, null, null, null, null, jsonb_build_object('name', name, 'kind', kind, 'isaFrom', isa_from, 'isaTo', isa_to), null, null, null, null
      from organisations where ods_code in (select source_org from r union select organisation_ods from f)`;

function loadRowsSql(personId: string, types: readonly string[] | undefined): RawBuilder<LoadRow> {
  // One round trip for all of it: the read path's latency is mostly round trips to the database.
  // The feeds and organisations come once each rather than joined onto every resource: pg parses
  // every column of every row here, and the joined provenance doubled the columns (it cost more
  // Node CPU than parsing the resources' JSON).
  return sql<LoadRow>`with ${loadCtes(personId, types, null)}
    ${loadSelect}`;
}

function dateOf(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** The person's record from the load's rows (rows of other kinds are ignored). */
async function loadedFrom(db: Kysely<Tables>, personId: string, rows: readonly LoadRow[]): Promise<LoadedPerson> {
  const resources: LoadRow[] = [];
  const records: LoadRow[] = [];
  const feedRows = new Map<string, LoadRow>();
  const orgRows = new Map<string, OrgBody>();
  for (const row of rows) {
    if (row.kind === 'r') resources.push(row);
    else if (row.kind === 's') records.push(row);
    else if (row.kind === 'f') feedRows.set(row.id, row);
    else if (row.kind === 'o') orgRows.set(row.id, row.body as OrgBody);
  }
  // A feed's organisation is that of the first of its resources, else the feed's own; the
  // organisations come in the order their resources, then their source records, name them.
  const feeds = new Map<string, FeedFreshness>();
  const orgs = new Map<string, OrganisationInfo>();
  const note = (feedId: string, ods: string): void => {
    const feed = feedRows.get(feedId);
    if (!feed) return;
    if (!feeds.has(feedId)) feeds.set(feedId, { feedId, ods, feedName: (feed.body as { name: string | null }).name, lastSuccessAt: dateOf(feed.at) });
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
      sourceOrg: r.source_org!, resource: r.body as FhirJson, sensitiveCategories: r.sensitive_categories ?? [], receivedAt: new Date(r.at!),
    })),
    sourceRecords: records.map((r) => ({
      feedId: r.feed_id!, localId: r.id, nhsNumber: r.nhs_number, nhsNumberVerified: r.nhs_number_verified ?? false,
      demographics: r.body as SourceDemographics, sourceVersion: r.source_version!, updatedAt: new Date(r.at!),
    })),
    feeds: [...feeds.values()],
    organisations: [...orgs.values()],
  };
}
