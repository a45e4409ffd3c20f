/**
 * Links source records to persons — the one interface through which ingestion asks "whose record
 * is this?" — inside the caller's transaction, a worker batch at a time (linkSourceRecords; one
 * record is a batch of one). Each record is prepared once (normalised names, phonetic codes, parsed
 * dates) and filed under its blocking keys; candidates for the whole batch come from one indexed
 * query on their keys (only records sharing two keys, or one that does not grow with the county:
 * see worthComparing), and the batch's records are compared with each other in memory (they are
 * not in the database yet); each candidate pair is decided by the matching core (NHS-number rules,
 * then Fellegi–Sunter with two thresholds) and kept; the components the records touch are then
 * re-clustered canonically (see resolve.ts), so the persons do not depend on the order records
 * arrive in nor on how they were split into batches.
 *
 * Safety rules (decided in match/pairDecision.ts and match/personIndex.ts): a valid NHS number
 * agreeing with the date of birth links deterministically; one disagreeing with both name and date
 * of birth is a review, never a link; two different valid NHS numbers are never in one person
 * unless a person put them there; manual links and merges stand until undone.
 *
 * Concurrency: workers run in parallel, each batch one transaction (on PostgreSQL possibly in
 * several processes). A worker first claims its records' mpi_records rows (one upsert, in key
 * order: a second worker on the same record waits for the first to commit), and re-clustering locks
 * the rows of the persons it changes (once for the batch, in id order). Both are row locks, so a batch of thousands of records cannot exhaust
 * PostgreSQL's shared lock table the way one advisory lock per blocking key would (a 500-patient
 * FHIR bundle alone would need several thousand). Two records of one new person filed at the same
 * moment by two workers cannot see each other; each new record that links to no committed record
 * (alone, or joined only by records of its own batch) is queued in mpi_recheck,
 * and recheckAlone() (recheck.ts, run after each drain and periodically) scores it again once both
 * have committed and re-clusters: the race leaves two persons for seconds, never for ever.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LinkHow, Tables } from '../store/tables.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { DataQualityWarning, SourceDemographics } from '../ingest/sourceAction.ts';
import { blockingKeys, BOUNDED_KEY_KINDS, decidePair, DEFAULT_POLICY, prepareRecord, sourceRecordKey, worthComparing, type PreparedRecord, type Scorer } from './match/index.ts';
import { currentDigestSql, scorerFor } from './parameters.ts';
import { jsonArray, lockPersons, MpiError, noJit, recordIdsOf, resolveComponent } from './resolve.ts';

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

/** Scored pairs of records already filed (used by the recheck); pairs already stored stay as they are. */
export async function insertPairRows(trx: Kysely<Tables>, p: PairRow[]): Promise<void> {
  if (p.length === 0) return;
  await sql`
    insert into mpi_pairs (a, b, kind, score, levels, reason)
    select x.a, x.b, x.kind, x.score, x.levels::smallint[], x.reason
    from unnest(${p.map((x) => x.a)}::bigint[], ${p.map((x) => x.b)}::bigint[], ${p.map((x) => x.kind)}::text[],
                ${p.map((x) => x.score)}::float8[], ${p.map((x) => x.levels)}::text[], ${p.map((x) => x.reason)}::text[]) as x(a, b, kind, score, levels, reason)
    on conflict (a, b) do nothing`.execute(trx);
}

/**
 * Records a source record's demographics (if newer than what is stored) and links it.
 * `versionKey` is already normalised (see ingest/version.ts).
 */
export async function linkSourceRecord(
  trx: Kysely<Tables>, feedId: string, d: SourceDemographics, versionKey: string, dataQuality: DataQualityWarning[], at: Date,
): Promise<LinkResult> {
  const [r] = await linkSourceRecords(trx, [{ feedId, demographics: d, versionKey, dataQuality, at }]);
  return r!;
}

/** One source record's demographics to link, as ingestion hands them over. */
export interface LinkRequest {
  feedId: string;
  demographics: SourceDemographics;
  /** Already normalised (see ingest/version.ts). */
  versionKey: string;
  dataQuality: DataQualityWarning[];
  at: Date;
}

interface Work {
  /** Index of the request that carries the newest version of this source record. */
  req: LinkRequest;
  prepared: PreparedRecord;
  /** JSON of prepared (what is filed, and what the digest is of). */
  preparedJson: string;
  keys: string[];
  digest: string;
  mpiId: number;
  storedDigest: string;
  inserted: boolean;
  /** Inserted by the claim already filed (prepared form, digest, filing transaction): no update needed. */
  filed: boolean;
  existing: { personId: string; how: LinkHow; version: string } | null;
  gp: boolean;
  values: { nhs_number: string | null; nhs_number_verified: boolean; demographics: string; data_quality: string; source_version: string; updated_at: Date };
  result?: LinkResult;
}

export interface BatchCandidate extends Candidate {
  keys: string[];
}

/**
 * Candidates for a whole batch: the records filed under any of the keys (blocks bigger than the
 * limit left out) that may be worth comparing with a record of the batch (worthComparing, in
 * match/blocking.ts), each with the keys it was found under, and how many records each key holds
 * (capped at the limit + 1) so that blocks grown by the batch itself can be left out too — only
 * for keys within `slack` of the limit (the most records of the batch under one key, less one):
 * a smaller block stays usable whatever the batch adds, and its count need not be sent. Without
 * their persons (personId null): only the few that link are looked up, when the batch is filed.
 * One row per candidate (its keys an array): a row per key found and per block counted were two
 * thirds of the rows sent, each parsed into an object.
 */
export async function candidatesForBatch(trx: Kysely<Tables>, keys: string[], slack = 0): Promise<{ candidates: BatchCandidate[]; counts: Map<string, number> }> {
  const counts = new Map<string, number>();
  if (keys.length === 0) return { candidates: [], counts };
  const limit = DEFAULT_POLICY.maxBlockSize;
  const r = await sql<{ key: string | null; n: number | null; id: number | null; prepared: PreparedRecord | null; keys: string[] | null }>`
    with hits as (
      select k.key, b.record_id from unnest(${keys}::text[]) as k(key)
      cross join lateral (select record_id from mpi_blocking_keys b where b.key = k.key limit ${limit + 1}) b
    ), counts as (
      select key, count(*)::int as n from hits group by key
    ), usable as (
      select h.key, h.record_id from hits h join counts c on c.key = h.key and c.n <= ${limit}
    ), cand as (
      -- Only records that may be worth comparing with a record of the batch (worthComparing: two
      -- shared keys, or one bounded key); the rest are neither read nor sent. The aggregate is
      -- ordered, so it is computed by sorting: a hash aggregate's per-group array state spilled
      -- to disk with a few hundred candidates.
      select record_id, array_agg(key order by key) as keys from usable group by record_id
      having count(*) >= 2 or bool_or(split_part(key, ':', 1) = any(${BOUNDED_KEY_KINDS}::text[]))
    )
    select key, n, null::bigint as id, null::jsonb as prepared, null::text[] as keys from counts where n > ${limit - slack}
    union all
    select null, null, r.id, r.prepared, cand.keys from cand
    cross join lateral (select id, prepared from mpi_records r where r.id = cand.record_id offset 0) r`.execute(trx);
  const candidates: BatchCandidate[] = [];
  for (const x of r.rows) {
    if (x.id === null) counts.set(x.key!, Number(x.n));
    else candidates.push({ id: Number(x.id), prepared: x.prepared!, personId: null, keys: x.keys! });
  }
  candidates.sort((a, b) => a.id - b.id);
  return { candidates, counts };
}

const levelsOf = (d: { vector: { levels: ArrayLike<number> } }): string => `{${Array.from(d.vector.levels).join(',')}}`;

/**
 * Records the demographics of a worker batch's source records (each if newer than what is stored)
 * and links them: the same persons as linking them one by one, in a handful of statements for the
 * whole batch. Claims every record first (in key order, so two workers claiming overlapping
 * batches queue rather than deadlock); skips records whose stored version is newer; refreshes
 * records whose matching demographics did not change without matching them again; compares the
 * rest with the candidates of all their blocking keys (one query) and with each other (they are
 * not in the database yet); files the records, keys and pairs in one statement; gives the records
 * that link to nothing a person of their own in another; and re-clusters everything the rest touch
 * in one resolveComponent. Results are in the order of the requests; a source record sent twice
 * takes the newer version, and both requests get its result.
 */
export async function linkSourceRecords(trx: Kysely<Tables>, requests: LinkRequest[]): Promise<LinkResult[]> {
  if (requests.length === 0) return [];
  // The newest version of each source record (ties: the later request, as one by one would).
  const byKey = new Map<string, LinkRequest>();
  for (const q of requests) {
    const k = sourceRecordKey(q.feedId, q.demographics.localId);
    const had = byKey.get(k);
    if (!had || had.versionKey <= q.versionKey) byKey.set(k, q);
  }
  const keysInOrder = [...byKey.keys()].sort();
  const reqs = keysInOrder.map((k) => byKey.get(k)!);

  // Claims every record: a concurrent worker holding one makes this statement wait for its commit.
  // A new record's row is inserted already filed: written once, not as a placeholder and again.
  const feedIds = reqs.map((q) => q.feedId);
  const localIds = reqs.map((q) => q.demographics.localId);
  const prepared = reqs.map((q) => prepareRecord({ feedId: q.feedId, localId: q.demographics.localId, demographics: q.demographics }));
  const preparedJson = prepared.map((x) => JSON.stringify(x));
  const digests = preparedJson.map((x) => createHash('sha1').update(x).digest('hex'));
  // The transaction's id before the claim looks (pruning mpi_filings relies on it), JIT off and each
  // statement planned for its values, from the first statement on (see noJit).
  await noJit(trx);
  const mine = await claimAll(trx, feedIds, localIds, { prepared: preparedJson, digests });
  const seenBelow = [...mine.values()][0]?.seenBelow ?? null;
  // A second statement, so that it sees what a worker this one waited for has committed.
  const found = await sql<{ feed_id: string; local_id: string; person_id: string | null; link_how: LinkHow | null; source_version: string | null; gp: boolean | null; known_feed: boolean; params: string | null }>`
    select u.feed_id, u.local_id, sr.person_id, sr.link_how, sr.source_version, coalesce(o.kind = 'gp-practice', false) as gp, f.id is not null as known_feed,
      ${currentDigestSql} as params
    from unnest(${feedIds}::text[], ${localIds}::text[]) as u(feed_id, local_id)
    left join feeds f on f.id = u.feed_id left join organisations o on o.ods_code = f.organisation_ods
    left join source_records sr on sr.feed_id = u.feed_id and sr.local_id = u.local_id`.execute(trx);
  const claimed = { rows: found.rows.map((x) => ({ ...x, ...mine.get(sourceRecordKey(x.feed_id, x.local_id))! })) };
  const claims = new Map(claimed.rows.map((x) => [sourceRecordKey(x.feed_id, x.local_id), x]));
  const works: Work[] = [];
  keysInOrder.forEach((k, i) => {
    const q = byKey.get(k)!;
    const row = claims.get(k);
    if (!row?.known_feed) throw new MpiError('unknown-feed', 'The source record names a feed that is not registered.');
    const d = q.demographics;
    const nhs = usableNhsNumber(d.nhsNumber);
    works.push({
      req: q, prepared: prepared[i]!, preparedJson: preparedJson[i]!, keys: [...new Set(blockingKeys(prepared[i]!))], digest: digests[i]!,
      mpiId: Number(row.id), storedDigest: row.digest, inserted: row.inserted, filed: row.filed, gp: row.gp === true,
      existing: row.person_id !== null ? { personId: row.person_id, how: row.link_how!, version: row.source_version ?? '' } : null,
      values: {
        nhs_number: nhs, nhs_number_verified: nhs !== null && d.nhsNumberVerified === true,
        demographics: JSON.stringify(d), data_quality: JSON.stringify(q.dataQuality), source_version: q.versionKey, updated_at: q.at,
      },
    });
  });
  const params = claimed.rows[0]?.params ?? null;

  const refresh: Work[] = [];
  const changed: Work[] = [];
  for (const w of works) {
    if (w.existing && w.existing.version >= w.req.versionKey) w.result = { personId: w.existing.personId, how: w.existing.how, applied: false };
    else if (w.existing && w.storedDigest === w.digest) {
      // Sent again with the same matching demographics (an update of something else): nothing to re-match.
      w.result = { personId: w.existing.personId, how: w.existing.how, applied: true };
      refresh.push(w);
    } else changed.push(w);
  }
  // Existing records first: the re-clustering below reads their new demographics from source_records.
  const updates = [...refresh, ...changed.filter((w) => w.existing !== null)];
  if (updates.length > 0) await updateSourceValues(trx, updates);
  if (changed.length > 0) await linkChanged(trx, changed, params, seenBelow);
  const results = new Map(works.map((w) => [w.prepared.key, w.result!]));
  return requests.map((q) => results.get(sourceRecordKey(q.feedId, q.demographics.localId))!);
}

/**
 * The prepared form of a record without demographics (prepareRecord of a local id alone) built in
 * SQL from the row's x.feed_id and x.local_id, so that a claim need not send one for every record
 * (it is used only for a placeholder). Equal to the JSON of prepareRecord (a test says so).
 */
export const placeholderSql = sql`jsonb_build_object('key', x.feed_id || E'\t' || x.local_id, 'feedId', x.feed_id, 'localId', x.local_id,
  'nhsNumber', null, 'nhsNumberVerified', false, 'nhsDigits', null, 'family', null, 'given', '[]'::jsonb, 'birthDate', null, 'sex', null,
  'postcode', null, 'address', '[]'::jsonb, 'phone', null, 'email', null)`;

interface Claimed { id: number; digest: string; inserted: boolean; filed: boolean; seenBelow: string }

/**
 * Claims many records in one statement, in the order given (sorted by the callers: two workers
 * claiming overlapping sets then queue on the first shared record instead of deadlocking). With
 * `filing`, a record new to the index is inserted filed — its prepared form and digest, its GP
 * registration, this transaction as filed_by and the claim's snapshot as seen_below (earlier than
 * the candidates' look-up, so the recheck may score a little more, never less) — and the
 * filing statement need not write it again. A record whose source record exists without an index
 * row (none should) gets a placeholder, filed as any changed record is.
 */
async function claimAll(trx: Kysely<Tables>, feedIds: string[], localIds: string[], filing?: { prepared: string[]; digests: string[] }): Promise<Map<string, Claimed>> {
  const r = await sql<{ feed_id: string; local_id: string; id: number; digest: string; inserted: boolean; seen_below: string }>`
    insert into mpi_records (feed_id, local_id, prepared, digest, gp_registration, filed_by, seen_below)
    select x.feed_id, x.local_id, case when x.digest is null or sr.feed_id is not null then ${placeholderSql} else x.prepared::jsonb end,
      case when x.digest is null or sr.feed_id is not null then '' else x.digest end,
      coalesce(o.kind = 'gp-practice', false), pg_current_xact_id(), pg_snapshot_xmin(pg_current_snapshot())
    from unnest(${feedIds}::text[], ${localIds}::text[], ${filing?.prepared ?? feedIds.map(() => null)}::text[], ${filing?.digests ?? feedIds.map(() => null)}::text[]) with ordinality as x(feed_id, local_id, prepared, digest, n)
    left join source_records sr on sr.feed_id = x.feed_id and sr.local_id = x.local_id
    left join feeds f on f.id = x.feed_id left join organisations o on o.ods_code = f.organisation_ods
    order by x.n
    on conflict (feed_id, local_id) do update set feed_id = excluded.feed_id
    returning feed_id, local_id, id, digest, (xmax = 0) as inserted, pg_snapshot_xmin(pg_current_snapshot())::text as seen_below`.execute(trx);
  return new Map(r.rows.map((x) => [sourceRecordKey(x.feed_id, x.local_id), {
    id: Number(x.id), digest: x.digest, inserted: x.inserted, filed: x.inserted && x.digest !== '', seenBelow: x.seen_below,
  }]));
}

async function updateSourceValues(trx: Kysely<Tables>, ws: Work[]): Promise<void> {
  const v = ws.map((w) => w.values);
  await sql`
    update source_records sr set nhs_number = u.nhs_number, nhs_number_verified = u.verified, demographics = ${jsonArray(v.map((x) => x.demographics))}::jsonb -> (u.n - 1)::int,
      data_quality = ${jsonArray(v.map((x) => x.data_quality))}::jsonb -> (u.n - 1)::int, source_version = u.source_version, updated_at = u.updated_at
    from unnest(${ws.map((w) => w.req.feedId)}::text[], ${ws.map((w) => w.req.demographics.localId)}::text[], ${v.map((x) => x.nhs_number)}::text[],
      ${v.map((x) => x.nhs_number_verified)}::boolean[], ${v.map((x) => x.source_version)}::text[], ${v.map((x) => x.updated_at)}::timestamptz[])
      with ordinality as u(feed_id, local_id, nhs_number, verified, source_version, updated_at, n)
    where sr.feed_id = u.feed_id and sr.local_id = u.local_id`.execute(trx);
}

export interface PairRow { a: number; b: number; kind: 'nhs-number' | 'link' | 'review'; score: number; levels: string; reason: string | null }

/** Matches and links the records of a batch whose matching demographics are new or changed. */
async function linkChanged(trx: Kysely<Tables>, changed: Work[], params: string | null, seenBelow: string | null): Promise<void> {
  const scorer = await scorerFor(trx, params);
  const refiled = changed.filter((w) => !w.inserted).map((w) => w.mpiId);
  if (refiled.length > 0) {
    // New demographics: the old filing goes.
    await sql`with k as (delete from mpi_blocking_keys where record_id = any(${refiled}::bigint[]))
      delete from mpi_pairs where a = any(${refiled}::bigint[]) or b = any(${refiled}::bigint[])`.execute(trx);
  }
  // How many of the batch's records each key holds: a block the batch itself makes too big is left
  // out as it would be had the records been filed one by one.
  const inBatch = new Map<string, number>();
  for (const w of changed) for (const k of w.keys) inBatch.set(k, (inBatch.get(k) ?? 0) + 1);
  let most = 1;
  for (const n of inBatch.values()) most = Math.max(most, n);
  const { candidates, counts } = await candidatesForBatch(trx, [...inBatch.keys()], most - 1);
  const usable = (k: string): boolean => (counts.get(k) ?? 0) + (inBatch.get(k) ?? 0) - 1 <= DEFAULT_POLICY.maxBlockSize;
  const byKey = new Map<string, BatchCandidate[]>();
  for (const c of candidates) for (const k of c.keys) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(c);
  const batchByKey = new Map<string, number[]>();
  changed.forEach((w, i) => { for (const k of w.keys) (batchByKey.get(k) ?? batchByKey.set(k, []).get(k)!).push(i); });

  const pairs: PairRow[] = [];
  // Committed records each links with (their persons are read when the batch is filed).
  const linkWith = changed.map(() => new Set<number>());
  const reviewScore: (number | null)[] = changed.map(() => null);
  const reviewPartners = new Set<number>();
  // Records of the batch joined by a link-capable pair (union-find): re-clustered together.
  const parent = changed.map((_w, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!; return i; };
  const linkedInBatch = changed.map(() => false);
  const noteReview = (i: number, s: number): void => { reviewScore[i] = Math.max(reviewScore[i] ?? -Infinity, s); };

  changed.forEach((w, i) => {
    // Candidates and earlier records of the batch, each with the usable keys it shares with w.
    const shared = new Map<BatchCandidate, string[]>();
    const peers = new Map<number, string[]>();
    for (const k of w.keys) {
      if (!usable(k)) continue;
      for (const c of byKey.get(k) ?? []) (shared.get(c) ?? shared.set(c, []).get(c)!).push(k);
      for (const j of batchByKey.get(k) ?? []) if (j < i) (peers.get(j) ?? peers.set(j, []).get(j)!).push(k);
    }
    for (const [c, keys] of shared) {
      if (!worthComparing(keys)) continue;
      const d = decidePair(w.prepared, c.prepared, scorer, DEFAULT_POLICY);
      if (d.kind === 'none') continue;
      const first = w.prepared.key <= c.prepared.key;
      pairs.push({ a: first ? w.mpiId : c.id, b: first ? c.id : w.mpiId, kind: d.kind, score: d.score, levels: levelsOf(d), reason: d.kind === 'review' ? d.reason : null });
      if (d.kind === 'review') {
        noteReview(i, d.score);
        reviewPartners.add(c.id);
      } else linkWith[i]!.add(c.id);
    }
    for (const [j, keys] of peers) {
      if (!worthComparing(keys)) continue;
      const o = changed[j]!;
      const d = decidePair(w.prepared, o.prepared, scorer, DEFAULT_POLICY);
      if (d.kind === 'none') continue;
      const first = w.prepared.key <= o.prepared.key;
      pairs.push({ a: first ? w.mpiId : o.mpiId, b: first ? o.mpiId : w.mpiId, kind: d.kind, score: d.score, levels: levelsOf(d), reason: d.kind === 'review' ? d.reason : null });
      if (d.kind === 'review') {
        noteReview(i, d.score);
        noteReview(j, d.score);
      } else {
        linkedInBatch[i] = linkedInBatch[j] = true;
        parent[find(i)] = find(j);
      }
    }
  });

  // Alone: new, and nothing to link to in the database or the batch — a person of its own (awaiting
  // review when a pair is uncertain), no re-clustering needed. Queued for the recheck: a record of
  // the same person filed at this moment by another worker was invisible here.
  const alone: Work[] = [];
  const aloneHow: LinkHow[] = [];
  const aloneScore: (number | null)[] = [];
  const resolve: Work[] = [];
  // Records that link to no committed record: the recheck looks at them again too.
  const recheck: number[] = [];
  changed.forEach((w, i) => {
    const s = reviewScore[i] ?? null;
    if (w.existing === null && linkWith[i]!.size === 0) recheck.push(w.mpiId);
    if (w.existing === null && linkWith[i]!.size === 0 && !linkedInBatch[i]) {
      alone.push(w);
      aloneHow.push(s === null ? 'new-person' : 'review');
      aloneScore.push(s === null ? null : Math.round(s * 100) / 100);
    } else resolve.push(w);
  });
  const alonePersons = alone.map(() => randomUUID());
  const inBatchIds = new Set(changed.map((w) => w.mpiId));
  const outsideReview = [...reviewPartners].filter((id) => !inBatchIds.has(id));
  const linkIds = [...new Set(linkWith.flatMap((x) => [...x]))];

  const ch = changed;
  // Records new to the index were filed by the claim; the others are written here.
  const rewrite = changed.filter((w) => !w.filed);
  const v = alone.map((w) => w.values);
  const filed = await sql<{ person_id: string }>`
    with rec as (
      update mpi_records r set prepared = ${jsonArray(rewrite.map((w) => w.preparedJson))}::jsonb -> (u.n - 1)::int, digest = u.digest, gp_registration = u.gp,
        filed_by = pg_current_xact_id(), seen_below = ${seenBelow}::xid8
      from unnest(${rewrite.map((w) => w.mpiId)}::bigint[], ${rewrite.map((w) => w.digest)}::text[], ${rewrite.map((w) => w.gp)}::boolean[])
        with ordinality as u(id, digest, gp, n)
      where r.id = u.id
    ), k as (
      insert into mpi_blocking_keys (key, record_id, filed_by, seen_below)
      select unnest(${ch.flatMap((w) => w.keys)}::text[]), unnest(${ch.flatMap((w) => w.keys.map(() => w.mpiId))}::bigint[]), pg_current_xact_id(), ${seenBelow}::xid8
    ), f as (
      -- This transaction filed keys (migration 0018): the recheck asks this row, not every key, whether
      -- a record may have missed one of them. A second filing in one transaction keeps the earlier snapshot.
      insert into mpi_filings (filed_by, seen_below) values (pg_current_xact_id(), ${seenBelow}::xid8)
      on conflict (filed_by) do update set seen_below = case when mpi_filings.seen_below is null or excluded.seen_below is null then null
        else least(mpi_filings.seen_below, excluded.seen_below) end
    ), p as (
      insert into mpi_pairs (a, b, kind, score, levels, reason)
      select x.a, x.b, x.kind, x.score, x.levels::smallint[], x.reason
      from unnest(${pairs.map((x) => x.a)}::bigint[], ${pairs.map((x) => x.b)}::bigint[], ${pairs.map((x) => x.kind)}::text[],
                  ${pairs.map((x) => x.score)}::float8[], ${pairs.map((x) => x.levels)}::text[], ${pairs.map((x) => x.reason)}::text[]) as x(a, b, kind, score, levels, reason)
      on conflict (a, b) do update set kind = excluded.kind, score = excluded.score, levels = excluded.levels, reason = excluded.reason
    ), rv as (
      -- The other side of an uncertain pair is awaiting review too.
      update source_records sr set link_how = 'review' from mpi_records o
      where o.id = any(${outsideReview}::bigint[]) and sr.feed_id = o.feed_id and sr.local_id = o.local_id and sr.link_how = 'new-person'
    ), np as (
      insert into persons (id) select unnest(${alonePersons}::uuid[])
    ), rq as (
      insert into mpi_recheck (record_id) select unnest(${recheck}::bigint[]) on conflict do nothing
    ), ns as (
      insert into source_records (feed_id, local_id, person_id, link_how, link_score, linked_at, nhs_number, nhs_number_verified, demographics, data_quality, source_version, updated_at)
      select feed_id, local_id, person_id, how, score, at, nhs_number, verified,
        ${jsonArray(v.map((x) => x.demographics))}::jsonb -> (n - 1)::int, ${jsonArray(v.map((x) => x.data_quality))}::jsonb -> (n - 1)::int, source_version, at
      from unnest(${alone.map((w) => w.req.feedId)}::text[], ${alone.map((w) => w.req.demographics.localId)}::text[], ${alonePersons}::uuid[], ${aloneHow}::text[],
        ${aloneScore}::float8[], ${alone.map((w) => w.req.at)}::timestamptz[], ${v.map((x) => x.nhs_number)}::text[], ${v.map((x) => x.nhs_number_verified)}::boolean[],
        ${v.map((x) => x.source_version)}::text[])
        with ordinality as u(feed_id, local_id, person_id, how, score, at, nhs_number, verified, source_version, n)
    )
    -- The persons of the committed records linked with: locked before re-clustering.
    select distinct sr.person_id from unnest(${linkIds}::bigint[]) as i(id)
    cross join lateral (select feed_id, local_id from mpi_records r where r.id = i.id offset 0) r
    cross join lateral (select person_id from source_records sr where sr.feed_id = r.feed_id and sr.local_id = r.local_id offset 0) sr`.execute(trx);
  const lockFirst = filed.rows.map((x) => x.person_id);
  alone.forEach((w, i) => { w.result = { personId: alonePersons[i]!, how: aloneHow[i]!, applied: true }; });
  if (resolve.length === 0) return;

  const pending = resolve.filter((w) => w.existing === null);
  const at = resolve.reduce((m, w) => (w.req.at > m ? w.req.at : m), resolve[0]!.req.at);
  const resolved = await resolveComponent(trx, {
    seedIds: resolve.map((w) => w.mpiId), seedPersons: [...new Set(resolve.flatMap((w) => (w.existing ? [w.existing.personId] : [])))], lockFirst,
    pendings: pending.map((w) => ({ id: w.mpiId, prepared: w.prepared, input: { feedId: w.req.feedId, localId: w.req.demographics.localId, demographics: w.req.demographics, recordedAt: w.req.at.toISOString(), gpRegistration: w.gp } })),
    parameters: scorer.parameters, at, actor: feedActor(resolve), jitOff: true,
    pendingRows: new Map(pending.map((w) => [w.mpiId, {
      nhsNumber: w.values.nhs_number, nhsNumberVerified: w.values.nhs_number_verified, demographics: w.values.demographics,
      dataQuality: w.values.data_quality, sourceVersion: w.values.source_version, at: w.req.at,
    }])),
  });
  const placed = resolve.map((w) => {
    const me = resolved.get(w.mpiId);
    if (!me) throw new MpiError('not-resolved', 'The source record was not placed in a person.');
    return me;
  });
  resolve.forEach((w, i) => {
    const me = placed[i]!;
    const moved = w.existing !== null && me.personId !== w.existing.personId;
    w.result = { personId: me.personId, how: me.how, applied: true, ...(moved ? { movedFrom: w.existing!.personId } : {}) };
  });
}

/** Who re-clustered, for the link log: the feed, or the feeds of a batch that spans several. */
function feedActor(ws: Work[]): string {
  return [...new Set(ws.map((w) => w.req.feedId))].sort().map((f) => `feed:${f}`).join(' ');
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

/** A resource's subject: the source record it belongs to. */
export interface SubjectRef { feedId: string; localId: string; at: Date }

/**
 * personForSubject for a whole batch: one look-up when every subject is known (the usual case),
 * else a claim of the missing ones and one statement giving each still missing a placeholder
 * source record of a person of its own.
 */
export async function personsForSubjects(trx: Kysely<Tables>, subjects: SubjectRef[]): Promise<void> {
  const byKey = new Map<string, SubjectRef>();
  for (const s of subjects) if (!byKey.has(sourceRecordKey(s.feedId, s.localId))) byKey.set(sourceRecordKey(s.feedId, s.localId), s);
  if (byKey.size === 0) return;
  const all = [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  const found = await sql<{ feed_id: string; local_id: string }>`
    select sr.feed_id, sr.local_id from unnest(${all.map((s) => s.feedId)}::text[], ${all.map((s) => s.localId)}::text[]) as u(feed_id, local_id)
    join source_records sr on sr.feed_id = u.feed_id and sr.local_id = u.local_id`.execute(trx);
  const known = new Set(found.rows.map((x) => sourceRecordKey(x.feed_id, x.local_id)));
  const missing = all.filter((s) => !known.has(sourceRecordKey(s.feedId, s.localId)));
  if (missing.length === 0) return;
  await claimAll(trx, missing.map((s) => s.feedId), missing.map((s) => s.localId));
  // A new statement: it sees a placeholder a worker the claim waited for has committed meanwhile.
  await sql`
    with m as (
      select * from unnest(${missing.map((s) => s.feedId)}::text[], ${missing.map((s) => s.localId)}::text[], ${missing.map(() => randomUUID())}::uuid[],
        ${missing.map((s) => s.at)}::timestamptz[]) as u(feed_id, local_id, person_id, at)
      where not exists (select 1 from source_records sr where sr.feed_id = u.feed_id and sr.local_id = u.local_id)
    ), np as (
      insert into persons (id) select person_id from m
    )
    insert into source_records (feed_id, local_id, person_id, nhs_number, demographics, data_quality, source_version, link_how, link_score, linked_at, updated_at)
    select feed_id, local_id, person_id, null, jsonb_build_object('localId', local_id), '[]'::jsonb, '', 'new-person', null, at, at from m`.execute(trx);
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
