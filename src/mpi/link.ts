/**
 * Links source records to persons — the one interface through which ingestion asks "whose record
 * is this?" — inside the caller's transaction. Each record is prepared once (normalised names,
 * phonetic codes, parsed dates) and filed under its blocking keys; candidates come from one indexed
 * query on those keys; each candidate pair is decided by the matching core (NHS-number rules, then
 * Fellegi–Sunter with two thresholds) and kept; the record's component is then re-clustered
 * canonically (see resolve.ts), so the persons do not depend on the order records arrive in.
 *
 * Safety rules (decided in match/pairDecision.ts and match/personIndex.ts): a valid NHS number
 * agreeing with the date of birth links deterministically; one disagreeing with both name and date
 * of birth is a review, never a link; two different valid NHS numbers are never in one person
 * unless a person put them there; manual links and merges stand until undone.
 *
 * Concurrency: workers run in parallel, each batch one transaction (on PostgreSQL possibly in
 * several processes). A worker first claims the record's mpi_records row (an upsert: a second
 * worker on the same record waits for the first to commit), and re-clustering locks the rows of
 * the persons it changes. Both are row locks, so a batch of thousands of records cannot exhaust
 * PostgreSQL's shared lock table the way one advisory lock per blocking key would (a 500-patient
 * FHIR bundle alone would need several thousand). Two records of one new person filed at the same
 * moment by two workers cannot see each other; each that ends up alone is queued in mpi_recheck,
 * and recheckAlone() (recheck.ts, run after each drain and periodically) scores it again once both
 * have committed and re-clusters: the race leaves two persons for seconds, never for ever.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LinkHow, Tables } from '../store/tables.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { DataQualityWarning, SourceDemographics } from '../ingest/sourceAction.ts';
import { blockingKeys, decidePair, DEFAULT_POLICY, prepareRecord, sourceRecordKey, type PreparedRecord, type Scorer } from './match/index.ts';
import { currentDigestSql, scorerFor } from './parameters.ts';
import { lockPersons, MpiError, recordIdsOf, resolveComponent } from './resolve.ts';

export interface LinkResult {
  personId: string;
  how: LinkHow;
  /** The person this source record belonged to before, when this call moved it. */
  movedFrom?: string;
  /** False when the stored demographics were newer than these (nothing changed). */
  applied: boolean;
}

/** A usable NHS number: normalises and passes modulus 11. */
export function usableNhsNumber(raw: string | undefined): string | null {
  if (!raw) return null;
  const n = normaliseNhsNumber(raw);
  return n && isValidNhsNumber(n) ? n : null;
}

async function newPerson(trx: Kysely<Tables>): Promise<string> {
  const r = await trx.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
  return r.id;
}

interface Existing {
  person_id: string | null;
  link_how: LinkHow | null;
  source_version: string | null;
  gp: boolean;
  digest: string | null;
}

/**
 * Inserts (or touches) the record's mpi_records row and so holds its row lock until commit: two
 * workers never work on one source record at once. Returns its id, its digest and whether it is new.
 */
async function claim(trx: Kysely<Tables>, feedId: string, localId: string): Promise<{ id: number; digest: string; inserted: boolean }> {
  const r = await sql<{ id: number; digest: string; inserted: boolean }>`
    insert into mpi_records (feed_id, local_id, prepared, digest) values (${feedId}, ${localId}, ${JSON.stringify(prepareRecord({ feedId, localId, demographics: { localId } }))}::jsonb, '')
    on conflict (feed_id, local_id) do update set feed_id = excluded.feed_id
    returning id, digest, (xmax = 0) as inserted`.execute(trx);
  const row = r.rows[0]!;
  return { id: Number(row.id), digest: row.digest, inserted: row.inserted };
}

export interface Candidate {
  id: number;
  prepared: PreparedRecord;
  personId: string | null;
}

export async function candidatesFor(trx: Kysely<Tables>, keys: string[], self: number | null): Promise<Candidate[]> {
  if (keys.length === 0) return [];
  const limit = DEFAULT_POLICY.maxBlockSize;
  // One indexed look-up per key, in one statement. Blocks bigger than the limit say too little to
  // be worth comparing and are left out.
  const r = await sql<{ id: number; prepared: PreparedRecord; person_id: string | null }>`
    with hits as (
      select k.key, b.record_id from unnest(${keys}::text[]) as k(key)
      cross join lateral (select record_id from mpi_blocking_keys b where b.key = k.key limit ${limit + 1}) b
    ), usable as (
      select key from hits group by key having count(*) <= ${limit}
    )
    select r.id, r.prepared, sr.person_id from mpi_records r
    left join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id
    where r.id = any(array(select distinct record_id from hits where key in (select key from usable))) and r.id <> ${self ?? -1}`.execute(trx);
  return r.rows.map((x) => ({ id: Number(x.id), prepared: x.prepared, personId: x.person_id }));
}

export interface Scored {
  pairs: { other: number; kind: 'nhs-number' | 'link' | 'review'; score: number; levels: string; reason: string | null; first: boolean }[];
  /** Persons of the candidates this record can link with (its component's persons, mostly). */
  linkPersons: string[];
  reviewPartners: number[];
  reviewScore: number | null;
}

export function score(prepared: PreparedRecord, candidates: Candidate[], scorer: Scorer): Scored {
  const out: Scored = { pairs: [], linkPersons: [], reviewPartners: [], reviewScore: null };
  for (const c of candidates) {
    const d = decidePair(prepared, c.prepared, scorer, DEFAULT_POLICY);
    if (d.kind === 'none') continue;
    const kind = d.kind === 'nhs-number' ? 'nhs-number' : d.kind === 'link' ? 'link' : 'review';
    if (kind === 'review') {
      out.reviewScore = Math.max(out.reviewScore ?? -Infinity, d.score);
      out.reviewPartners.push(c.id);
    } else if (c.personId !== null) out.linkPersons.push(c.personId);
    out.pairs.push({ other: c.id, first: prepared.key <= c.prepared.key, kind, score: d.score, levels: `{${Array.from(d.vector.levels).join(',')}}`, reason: d.kind === 'review' ? d.reason : null });
  }
  if (out.reviewScore !== null) out.reviewScore = Math.round(out.reviewScore * 100) / 100;
  return out;
}

interface NewSourceRecord {
  how: LinkHow;
  score: number | null;
  at: Date;
  values: { nhs_number: string | null; nhs_number_verified: boolean; demographics: string; data_quality: string; source_version: string };
}

/**
 * The record, its blocking keys and its scored pairs, written in one statement; with `alone`, also
 * its new person and source record (a record with nothing to link to needs no re-clustering).
 */
async function file(
  trx: Kysely<Tables>, mpiId: number | null, feedId: string, localId: string, prepared: PreparedRecord, digest: string, gp: boolean, keys: string[], scored: Scored,
  alone?: NewSourceRecord,
): Promise<{ id: number; personId: string | null }> {
  const p = scored.pairs;
  const r = await sql<{ id: number; person_id: string | null }>`
    with rec as (
      insert into mpi_records (feed_id, local_id, prepared, digest, gp_registration)
      values (${feedId}, ${localId}, ${JSON.stringify(prepared)}::jsonb, ${digest}, ${gp})
      on conflict (feed_id, local_id) do update set prepared = excluded.prepared, digest = excluded.digest, gp_registration = excluded.gp_registration
      returning id
    ), k as (
      insert into mpi_blocking_keys (key, record_id) select key, rec.id from rec, unnest(${keys}::text[]) as key
    ), p as (
      insert into mpi_pairs (a, b, kind, score, levels, reason)
      select case when x.first then rec.id else x.other end, case when x.first then x.other else rec.id end, x.kind, x.score, x.levels::smallint[], x.reason
      from rec, unnest(${p.map((x) => x.other)}::bigint[], ${p.map((x) => x.first)}::boolean[], ${p.map((x) => x.kind)}::text[],
                       ${p.map((x) => x.score)}::float8[], ${p.map((x) => x.levels)}::text[], ${p.map((x) => x.reason)}::text[]) as x(other, first, kind, score, levels, reason)
      on conflict (a, b) do update set kind = excluded.kind, score = excluded.score, levels = excluded.levels, reason = excluded.reason
    )${scored.reviewPartners.length > 0 ? sql`, rv as (
      -- The other side of an uncertain pair is awaiting review too.
      update source_records sr set link_how = 'review' from mpi_records o
      where o.id = any(${scored.reviewPartners}::bigint[]) and sr.feed_id = o.feed_id and sr.local_id = o.local_id and sr.link_how = 'new-person'
    )` : sql``}${alone ? sql`, np as (
      insert into persons default values returning id
    ), rq as (
      -- Alone: a record of the same person filed at this moment by another worker was invisible
      -- here; recheckAlone() looks again once both have committed.
      insert into mpi_recheck (record_id) select id from rec on conflict do nothing
    ), ns as (
      insert into source_records (feed_id, local_id, person_id, link_how, link_score, linked_at, nhs_number, nhs_number_verified, demographics, data_quality, source_version, updated_at)
      select ${feedId}, ${localId}, np.id, ${alone.how}, ${alone.score}, ${alone.at}, ${alone.values.nhs_number}, ${alone.values.nhs_number_verified},
        ${alone.values.demographics}::jsonb, ${alone.values.data_quality}::jsonb, ${alone.values.source_version}, ${alone.at} from np
    )
    select rec.id, np.id as person_id from rec, np` : sql`
    select rec.id, null::uuid as person_id from rec`}`.execute(trx);
  const row = r.rows[0];
  if (row === undefined) throw new MpiError('not-filed', 'The source record could not be filed in the person index.');
  if (mpiId !== null && Number(row.id) !== mpiId) throw new MpiError('not-filed', 'The source record changed identity in the person index.');
  return { id: Number(row.id), personId: row.person_id };
}

/** Scored pairs of an already filed record (used by the recheck). */
export async function insertPairs(trx: Kysely<Tables>, id: number, scored: Scored): Promise<void> {
  const p = scored.pairs;
  if (p.length === 0) return;
  await sql`
    insert into mpi_pairs (a, b, kind, score, levels, reason)
    select case when x.first then ${id}::bigint else x.other end, case when x.first then x.other else ${id}::bigint end, x.kind, x.score, x.levels::smallint[], x.reason
    from unnest(${p.map((x) => x.other)}::bigint[], ${p.map((x) => x.first)}::boolean[], ${p.map((x) => x.kind)}::text[],
                ${p.map((x) => x.score)}::float8[], ${p.map((x) => x.levels)}::text[], ${p.map((x) => x.reason)}::text[]) as x(other, first, kind, score, levels, reason)
    on conflict (a, b) do nothing`.execute(trx);
}

/**
 * Records a source record's demographics (if newer than what is stored) and links it.
 * `versionKey` is already normalised (see ingest/version.ts).
 */
export async function linkSourceRecord(
  trx: Kysely<Tables>, feedId: string, d: SourceDemographics, versionKey: string, dataQuality: DataQualityWarning[], at: Date,
): Promise<LinkResult> {
  const prepared = prepareRecord({ feedId, localId: d.localId, demographics: d });
  const keys = [...new Set(blockingKeys(prepared))];
  // Claims the record: a concurrent worker holding it makes this statement wait for its commit.
  const mine = await claim(trx, feedId, d.localId);
  const found = await sql<Existing>`
    select sr.person_id, sr.link_how, sr.source_version, coalesce(o.kind = 'gp-practice', false) as gp, ${currentDigestSql} as digest
    from feeds f left join organisations o on o.ods_code = f.organisation_ods
    left join source_records sr on sr.feed_id = f.id and sr.local_id = ${d.localId}
    where f.id = ${feedId}`.execute(trx);
  const row = found.rows[0];
  if (!row) throw new MpiError('unknown-feed', 'The source record names a feed that is not registered.');
  const existing = row.person_id !== null ? { personId: row.person_id, how: row.link_how!, version: row.source_version ?? '' } : null;
  if (existing && existing.version >= versionKey) return { personId: existing.personId, how: existing.how, applied: false };

  const nhs = usableNhsNumber(d.nhsNumber);
  const values = {
    nhs_number: nhs, nhs_number_verified: nhs !== null && d.nhsNumberVerified === true,
    demographics: JSON.stringify(d), data_quality: JSON.stringify(dataQuality), source_version: versionKey, updated_at: at,
  };
  const input = { feedId, localId: d.localId, demographics: d, recordedAt: at.toISOString(), gpRegistration: row.gp };
  const mpiId = mine.id;
  const digest = createHash('sha1').update(JSON.stringify(prepared)).digest('hex');
  if (existing && mine.digest === digest) {
    // Sent again with the same matching demographics (an update of something else): nothing to re-match.
    await trx.updateTable('source_records').set(values).where('feed_id', '=', feedId).where('local_id', '=', d.localId).execute();
    return { personId: existing.personId, how: existing.how, applied: true };
  }
  if (!mine.inserted) {
    // New demographics: the old filing goes.
    await sql`with k as (delete from mpi_blocking_keys where record_id = ${mpiId}) delete from mpi_pairs where a = ${mpiId} or b = ${mpiId}`.execute(trx);
  }
  const scorer = await scorerFor(trx, row.digest);
  const scored = score(prepared, await candidatesFor(trx, keys, mpiId), scorer);
  if (!existing && scored.linkPersons.length === 0) {
    // Alone in its component: a person of its own (awaiting review when a pair is uncertain).
    const how: LinkHow = scored.reviewScore === null ? 'new-person' : 'review';
    const filed = await file(trx, mpiId, feedId, d.localId, prepared, digest, row.gp, keys, scored, { how, score: scored.reviewScore, at, values });
    return { personId: filed.personId!, how, applied: true };
  }
  const { id } = await file(trx, mpiId, feedId, d.localId, prepared, digest, row.gp, keys, scored);

  if (!existing) {
    const resolved = await resolveComponent(trx, { seedIds: [id], lockFirst: scored.linkPersons, pending: { id, input }, parameters: scorer.parameters, at, actor: `feed:${feedId}` });
    const me = resolved.get(id);
    if (!me) throw new MpiError('not-resolved', 'The source record was not placed in a person.');
    await trx.insertInto('source_records').values({ feed_id: feedId, local_id: d.localId, person_id: me.personId, link_how: me.how, link_score: me.score, linked_at: at, ...values }).execute();
    return { personId: me.personId, how: me.how, applied: true };
  }

  await trx.updateTable('source_records').set(values).where('feed_id', '=', feedId).where('local_id', '=', d.localId).execute();
  const resolved = await resolveComponent(trx, { seedIds: [id], seedPersons: [existing.personId], lockFirst: scored.linkPersons, parameters: scorer.parameters, at, actor: `feed:${feedId}` });
  const me = resolved.get(id);
  if (!me) throw new MpiError('not-resolved', 'The source record was not placed in a person.');
  return { personId: me.personId, how: me.how, applied: true, ...(me.personId !== existing.personId ? { movedFrom: existing.personId } : {}) };
}

/**
 * The person a resource's subject belongs to. A resource can arrive before its Patient (a result
 * before the registration): the subject then gets a placeholder source record, linked properly
 * when its demographics arrive.
 */
export async function personForSubject(trx: Kysely<Tables>, feedId: string, localId: string, at: Date): Promise<string> {
  const found = await trx.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirst();
  if (found) return found.person_id;
  await claim(trx, feedId, localId);
  const again = await trx.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirst();
  if (again) return again.person_id;
  const personId = await newPerson(trx);
  await trx.insertInto('source_records').values({
    feed_id: feedId, local_id: localId, person_id: personId, nhs_number: null, demographics: JSON.stringify({ localId }),
    data_quality: '[]', source_version: '', link_how: 'new-person', link_score: null, linked_at: at, updated_at: at,
  }).execute();
  return personId;
}

/** The mpi_records id of a source record, creating an empty one for a placeholder. */
export async function mpiRecordId(trx: Kysely<Tables>, feedId: string, localId: string): Promise<number> {
  const found = await trx.selectFrom('mpi_records').select('id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirst();
  if (found) return Number(found.id);
  return (await claim(trx, feedId, localId)).id;
}

/** Verified NHS numbers of each of the given persons. */
export async function verifiedNumbers(trx: Kysely<Tables>, personIds: string[]): Promise<Map<string, Set<string>>> {
  const rows = await trx.selectFrom('source_records').select(['person_id', 'nhs_number']).where('person_id', 'in', personIds)
    .where('nhs_number_verified', '=', true).where('nhs_number', 'is not', null).execute();
  const out = new Map<string, Set<string>>(personIds.map((p) => [p, new Set<string>()]));
  for (const r of rows) out.get(r.person_id)?.add(r.nhs_number!);
  return out;
}

export function numbersConflict(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!a || !b || a.size === 0 || b.size === 0) return false;
  return [...a].some((n) => !b.has(n)) || [...b].some((n) => !a.has(n));
}

/**
 * A40 at the source: the feed merged its duplicate local record into the survivor. The retired
 * record and its resources follow the survivor's person (a merge link, undoable with
 * unmergePersons); the retired record stays, marked. Persons holding different verified NHS
 * numbers are never merged automatically: the pair goes to review instead.
 */
export async function applySourceMerge(trx: Kysely<Tables>, feedId: string, survivorLocalId: string, retiredLocalId: string, at: Date): Promise<{ personId: string; retiredPersonId: string | null }> {
  const survivorPerson = await personForSubject(trx, feedId, survivorLocalId, at);
  const retired = await trx.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', retiredLocalId).executeTakeFirst();
  if (!retired) return { personId: survivorPerson, retiredPersonId: null };
  await trx.updateTable('source_records').set({ retired_into: survivorLocalId }).where('feed_id', '=', feedId).where('local_id', '=', retiredLocalId).execute();
  if (retired.person_id === survivorPerson) return { personId: survivorPerson, retiredPersonId: retired.person_id };
  const sId = await mpiRecordId(trx, feedId, survivorLocalId);
  const rId = await mpiRecordId(trx, feedId, retiredLocalId);
  const [a, b] = sourceRecordKey(feedId, survivorLocalId) <= sourceRecordKey(feedId, retiredLocalId) ? [sId, rId] : [rId, sId];
  const numbers = await verifiedNumbers(trx, [survivorPerson, retired.person_id]);
  if (numbersConflict(numbers.get(survivorPerson), numbers.get(retired.person_id))) {
    await trx.insertInto('mpi_pairs').values({ a, b, kind: 'review', score: 0, levels: '{-1,-1,-1,-1,-1,-1,-1,-1,-1}', reason: 'nhs-number-conflict' })
      .onConflict((oc) => oc.columns(['a', 'b']).doUpdateSet({ kind: 'review', reason: 'nhs-number-conflict' })).execute();
    return { personId: survivorPerson, retiredPersonId: null };
  }
  await lockPersons(trx, [survivorPerson, retired.person_id]);
  const survivorRecords = await recordIdsOf(trx, survivorPerson);
  const retiredRecords = await recordIdsOf(trx, retired.person_id);
  await trx.insertInto('mpi_must_links').values({ a, b, how: 'merge', created_by: `feed:${feedId}` }).onConflict((oc) => oc.columns(['a', 'b']).doNothing()).execute();
  // Recorded like a person's merge, so that unmergePersons can undo a merge the source made in error.
  await trx.insertInto('mpi_merges').values({
    survivor_person: survivorPerson, retired_person: retired.person_id, survivor_records: `{${survivorRecords.join(',')}}`, retired_records: `{${retiredRecords.join(',')}}`,
    link_a: a, link_b: b, created_by: `feed:${feedId}`,
  }).execute();
  const resolved = await resolveComponent(trx, {
    seedIds: [sId, rId], seedPersons: [survivorPerson, retired.person_id], keepPersonIds: [survivorPerson],
    parameters: (await scorerFor(trx, (await sql<{ d: string | null }>`select ${currentDigestSql} as d`.execute(trx)).rows[0]?.d ?? null)).parameters,
    at, actor: `feed:${feedId}`,
  });
  return { personId: resolved.get(sId)?.personId ?? survivorPerson, retiredPersonId: retired.person_id };
}
