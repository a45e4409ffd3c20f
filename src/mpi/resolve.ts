/**
 * Re-clusters one connected component of the person index in the database. The component of a
 * record is everything reachable through link-capable pairs and manual or merge links; its
 * clustering is computed by the pure PersonIndex (canonical: the same records and decisions give
 * the same persons whatever the order they arrived in; a worker batch's seeds may span several
 * components, each clustered on its own) and the differences are written back:
 * source records and their resources move, emptied persons are retired into the person that took
 * their records, every move is logged in mpi_link_events.
 *
 * Concurrency: the persons of the component are locked (their rows, in id order) and the component
 * is read again under the locks until it no longer grows, so two workers never re-cluster one
 * person from two different views. Waits that cross in opposite orders are broken by PostgreSQL's
 * deadlock detector and the whole batch is retried by `transaction()`.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LinkHow, Tables } from '../store/tables.ts';
import { PersonIndex, type MatchDemographics, type MatchParameters, type MergeResult, type PersonIndexSnapshot, type PreparedRecord, type SourceRecordInput, type SourceRecordRef } from './match/index.ts';

export interface ComponentRow {
  id: number;
  feed_id: string;
  local_id: string;
  gp_registration: boolean;
  person_id: string;
  link_how: LinkHow;
  link_score: number | null;
  /** Null unless asked for (see loadComponent). */
  demographics: Record<string, unknown> | null;
  /** As filed (mpi_records.prepared): what matching compares. */
  prepared: PreparedRecord;
  updated_at: Date;
}

/** A record being matched for the first time: it has no source_records row yet. */
export interface PendingRecord {
  id: number;
  input: SourceRecordInput;
  /** prepareRecord(input), when the caller has it already. */
  prepared?: PreparedRecord;
}

export interface ResolvedRecord {
  id: number;
  feedId: string;
  localId: string;
  personId: string;
  how: LinkHow;
  score: number | null;
  /** Person before this resolution (absent for a pending record). */
  fromPersonId?: string;
}

export class MpiError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'MpiError';
  }
}

/**
 * JSON texts (each already valid JSON) as one JSON array, sent as a single jsonb parameter and
 * taken apart with `->` in SQL. As a text[] the driver escaped every element (each quote of each
 * demographics object doubled, a copy per string): ~2.5 ms of Node CPU per batch of 100. The
 * claim still sends its prepared forms as a text[]: one paired run on a loaded machine measured
 * the jsonb array there as costing PostgreSQL more than it spared (not re-checked on a quiet one).
 */
export function jsonArray(texts: readonly string[] | undefined): string {
  return texts === undefined ? '[]' : `[${texts.join(',')}]`;
}

/**
 * Locks persons' rows (in id order) for the rest of the transaction. Row locks live in the rows,
 * not in the shared lock table, so a worker batch holding thousands of them cannot exhaust it.
 */
export async function lockPersons(trx: Kysely<Tables>, personIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(personIds)].sort();
  if (ids.length === 0) return;
  await sql`select id from persons where id = any(${ids}::uuid[]) order by id for update`.execute(trx);
}

type Aux = { t: 'm' | 's' | 'r'; a: number | null; b: number | null; how: 'manual' | 'merge' | null; pa: string | null; pb: string | null; sa: number[] | null; sb: number[] | null };

/**
 * The component of the seeds (records reachable through link-capable pairs and manual or merge
 * links), its records with their current persons and prepared forms, and in the same statement
 * the manual and merge links, separations and uncertain pairs touching it. The demographics as
 * sent only when `withDemographics`: re-clustering compares the prepared forms, and the
 * demographics (the larger of the two) serve only operations that read the index's inputs back.
 */
async function loadComponent(trx: Kysely<Tables>, seedIds: number[], seedPersons: string[], withDemographics: boolean): Promise<{ rows: ComponentRow[]; aux: Aux[] }> {
  const r = await sql<ComponentRow & Omit<Aux, 't'> & { t: 'c' | Aux['t'] }>`
    with recursive seeds(id) as (
      select unnest(${seedIds}::bigint[])
      union select r.id from source_records sr join mpi_records r on r.feed_id = sr.feed_id and r.local_id = sr.local_id
      where sr.person_id = any(${seedPersons}::uuid[])
    ), comp(id) as (
      select id from seeds
      union
      select x.id from comp c cross join lateral (
        select p.b as id from mpi_pairs p where p.a = c.id and p.kind <> 'review'
        union all select p.a from mpi_pairs p where p.b = c.id and p.kind <> 'review'
        union all select m.b from mpi_must_links m where m.a = c.id
        union all select m.a from mpi_must_links m where m.b = c.id
      ) x
    ), ids as (
      -- An array: the component is a handful of rows, and = any(array) keeps the planner on the indexes.
      select array(select id from comp) as ids
    )
    select 'c' as t, x.id, x.feed_id, x.local_id, x.gp_registration, x.person_id, x.link_how, x.link_score, x.demographics, x.prepared, x.updated_at,
      null::bigint as a, null::bigint as b, null::text as how, null::uuid as pa, null::uuid as pb, null::bigint[] as sa, null::bigint[] as sb
    from unnest((select ids from ids)::bigint[]) as c(id)
    -- offset 0 keeps each look-up a per-record index probe, whatever the planner guesses of sizes.
    cross join lateral (
      select r.id, r.feed_id, r.local_id, r.gp_registration, sr.person_id, sr.link_how, sr.link_score,
        case when ${withDemographics}::boolean then sr.demographics end as demographics, r.prepared, sr.updated_at
      from mpi_records r join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id where r.id = c.id offset 0
    ) x
    union all
    select 'm', null, null, null, null, null, null, null, null, null, null, m.a, m.b, m.how, null, null, null, null
    from mpi_must_links m where m.a = any((select ids from ids)::bigint[])
    union all
    select 's', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, s.a, s.b
    from mpi_separations s where s.a && (select ids from ids)::bigint[] or s.b && (select ids from ids)::bigint[]
    union all
    select 'r', null, null, null, null, null, null, null, null, null, null, p.a, p.b, null,
      (select sr.person_id from mpi_records r join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id where r.id = p.a),
      (select sr.person_id from mpi_records r join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id where r.id = p.b),
      null, null
    from (
      select a, b from mpi_pairs where kind = 'review' and a = any((select ids from ids)::bigint[])
      union select a, b from mpi_pairs where kind = 'review' and b = any((select ids from ids)::bigint[])
    ) p`.execute(trx);
  const rows: ComponentRow[] = [];
  const aux: Aux[] = [];
  for (const x of r.rows) {
    if (x.t === 'c') rows.push({ id: Number(x.id), feed_id: x.feed_id, local_id: x.local_id, gp_registration: x.gp_registration, person_id: x.person_id, link_how: x.link_how, link_score: x.link_score, demographics: x.demographics, prepared: x.prepared, updated_at: x.updated_at });
    else aux.push({ t: x.t, a: x.a, b: x.b, how: x.how, pa: x.pa, pb: x.pb, sa: x.sa, sb: x.sb });
  }
  return { rows, aux };
}

/**
 * Gives the transaction its id, and turns off JIT compilation for the rest of the transaction.
 *
 * The id first: a claim (link.ts) records the oldest transaction running when it looked for
 * candidates (seen_below), and pruning mpi_filings (recheck.ts) relies on every transaction that
 * looked before its mark having had an id at the mark. Linking writes anyway, so this costs nothing.
 *
 * JIT off: the planner cannot estimate the recursive component query (it guesses hundreds of
 * thousands of rows where there are a handful) and compiles it: 15–130 ms of compiling for a query
 * that runs in about a millisecond.
 *
 * And plans each of matching's statements for its own values, though repeated
 * statements are prepared (store/preparedStatements.ts): a generic plan, chosen once for all
 * values, fits neither blocks whose sizes differ by orders of magnitude nor an index that grows
 * from nothing — at 100,000 persons generic plans made matching fall from ~1,700 to ~470
 * records/s by the last tenth.
 */
export async function noJit(trx: Kysely<Tables>): Promise<void> {
  await sql`select pg_current_xact_id(), set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)`.execute(trx);
}

/** The mpi_records ids of a person's source records. */
export async function recordIdsOf(trx: Kysely<Tables>, personId: string): Promise<number[]> {
  const rows = await sql<{ id: number }>`select r.id from source_records sr join mpi_records r on r.feed_id = sr.feed_id and r.local_id = sr.local_id
    where sr.person_id = ${personId} order by r.id`.execute(trx);
  return rows.rows.map((r) => Number(r.id));
}

const refOf = (feedId: string, localId: string): SourceRecordRef => ({ feedId, localId });

export interface ResolveOptions {
  seedIds: number[];
  seedPersons?: string[];
  /** Persons expected in the component: locked before it is read (saves a second read). */
  lockFirst?: string[];
  pending?: PendingRecord;
  /** Several records matched for the first time (a worker batch), re-clustered together. */
  pendings?: PendingRecord[];
  parameters: MatchParameters;
  at: Date;
  actor: string;
  /** An operation on the restored index (merge, unmerge, review decision) before reading it back. */
  op?: (index: PersonIndex, refs: Map<number, SourceRecordRef>) => MergeResult;
  /** Persons that keep their ids when clusters join (the survivor of a merge). */
  keepPersonIds?: string[];
  /** Load recorded merges of these persons (needed to undo one). */
  mergesOf?: string[];
  /** The caller turned JIT off for this transaction already (see noJit): one round trip fewer. */
  jitOff?: boolean;
  /**
   * The source_records values of pending records (by id): each is inserted with the person it is
   * placed in, in the statement that writes the moves (one round trip fewer for a worker batch).
   */
  pendingRows?: Map<number, PendingRow>;
}

/** What a pending record's source_records row holds besides its person and link. */
export interface PendingRow {
  nhsNumber: string | null;
  nhsNumberVerified: boolean;
  /** JSON text. */
  demographics: string;
  /** JSON text. */
  dataQuality: string;
  sourceVersion: string;
  at: Date;
}

export async function resolveComponent(trx: Kysely<Tables>, o: ResolveOptions): Promise<Map<number, ResolvedRecord>> {
  const seedPersons = o.seedPersons ?? [];
  if (!o.jitOff) await noJit(trx);
  const locked = new Set<string>();
  const first = [...new Set([...seedPersons, ...(o.lockFirst ?? [])])];
  if (first.length > 0) {
    await lockPersons(trx, first);
    for (const p of first) locked.add(p);
  }
  let rows: ComponentRow[] = [];
  let aux: Aux[] = [];
  for (let round = 0; round < 20; round++) {
    ({ rows, aux } = await loadComponent(trx, o.seedIds, seedPersons, o.op !== undefined));
    const persons = new Set([...rows.map((r) => r.person_id), ...seedPersons]);
    const missing = [...persons].filter((p) => !locked.has(p));
    if (missing.length === 0) break;
    await lockPersons(trx, missing);
    for (const p of missing) locked.add(p);
  }
  const pendings = [...(o.pending ? [o.pending] : []), ...(o.pendings ?? [])];
  const refs = new Map<number, SourceRecordRef>();
  for (const r of rows) refs.set(r.id, refOf(r.feed_id, r.local_id));
  for (const p of pendings) refs.set(p.id, refOf(p.input.feedId, p.input.localId));
  const refFor = (id: number): SourceRecordRef => refs.get(id) ?? refOf('\u0000', String(id));

  const musts = aux.filter((x) => x.t === 'm').map((x) => ({ a: Number(x.a), b: Number(x.b), how: x.how ?? 'manual' }));
  const separations = aux.filter((x) => x.t === 's').map((x) => ({ a: (x.sa ?? []).map(Number), b: (x.sb ?? []).map(Number) }));
  const reviews = aux.filter((x) => x.t === 'r').map((x) => ({ a: Number(x.a), b: Number(x.b), pa: x.pa, pb: x.pb }));
  const merges = o.mergesOf && o.mergesOf.length > 0
    ? await trx.selectFrom('mpi_merges').selectAll().where('undone_at', 'is', null)
      .where((eb) => eb.or([eb('survivor_person', 'in', o.mergesOf!), eb('retired_person', 'in', o.mergesOf!)])).orderBy('id').execute()
    : [];

  // Records are restored with their prepared forms as filed (not normalised again from their
  // demographics); without an operation the demographics are not read, and the index built here
  // only decides links (nothing asks it for a person's derived demographics or a snapshot's records).
  const snapshot: PersonIndexSnapshot = {
    records: rows.map((r) => ({
      feedId: r.feed_id, localId: r.local_id, demographics: (r.demographics ?? { localId: r.local_id }) as unknown as MatchDemographics,
      recordedAt: r.updated_at.toISOString(), gpRegistration: r.gp_registration,
    })),
    // In the order of records below: the component's rows, then the pending records pushed after.
    prepared: [...rows.map((r) => r.prepared), ...pendings.map((p) => p.prepared)],
    links: rows.map((r) => ({ feedId: r.feed_id, localId: r.local_id, personId: r.person_id })),
    mustLinks: musts.map((m) => ({ a: refFor(m.a), b: refFor(m.b), how: m.how })),
    separations: separations.map((x) => ({ a: x.a.map(refFor), b: x.b.map(refFor) })),
    merges: merges.map((m) => ({
      survivor: m.survivor_person, retired: m.retired_person,
      survivorRecords: m.survivor_records.map((x) => refFor(Number(x))), retiredRecords: m.retired_records.map((x) => refFor(Number(x))),
      link: { a: refFor(Number(m.link_a)), b: refFor(Number(m.link_b)) },
    })),
    retiredPersons: [],
  };
  for (const p of pendings) snapshot.records.push(p.input);

  const index = PersonIndex.restore(snapshot, { newPersonId: randomUUID, parameters: o.parameters, ...(o.keepPersonIds ? { keepPersonIds: o.keepPersonIds } : {}) });
  if (o.op) {
    const r = o.op(index, refs);
    if (!r.ok) throw new MpiError(r.code, r.message);
  }

  // Records in review with a record of another person (outside this component).
  const inReview = new Set<number>();
  const before = new Map(rows.map((r) => [r.id, r]));
  for (const p of reviews) {
    if (p.pa !== p.pb) {
      inReview.add(Number(p.a));
      inReview.add(Number(p.b));
    }
  }

  const out = new Map<number, ResolvedRecord>();
  const newPersons = new Set<string>();
  const existingPersons = new Set(rows.map((r) => r.person_id));
  for (const [id, ref] of refs) {
    const d = index.decision(ref.feedId, ref.localId);
    if (!d) continue;
    let how: LinkHow = d.how;
    if (how === 'new-person' && inReview.has(id)) how = 'review';
    const prior = before.get(id);
    out.set(id, { id, feedId: ref.feedId, localId: ref.localId, personId: d.personId, how, score: d.score, ...(prior ? { fromPersonId: prior.person_id } : {}) });
    if (!existingPersons.has(d.personId)) newPersons.add(d.personId);
  }
  const takenBy = new Map<string, Map<string, number>>();
  const changed: { r: ResolvedRecord; from: string; moved: boolean }[] = [];
  for (const r of out.values()) {
    const prior = before.get(r.id);
    if (!prior) continue;
    if (prior.person_id !== r.personId) {
      const m = takenBy.get(prior.person_id) ?? new Map<string, number>();
      m.set(r.personId, (m.get(r.personId) ?? 0) + 1);
      takenBy.set(prior.person_id, m);
      changed.push({ r, from: prior.person_id, moved: true });
    } else if (prior.link_how !== r.how || prior.link_score !== r.score) changed.push({ r, from: prior.person_id, moved: false });
  }
  // Pending records given their source_records rows here (see pendingRows).
  const inserts = o.pendingRows ? pendings.flatMap((p) => {
    const v = o.pendingRows!.get(p.id);
    const r = out.get(p.id);
    return v && r ? [{ r, v }] : [];
  }) : [];
  if (newPersons.size > 0 || changed.length > 0 || inserts.length > 0) {
    // New persons (a person coming back from an unmerge already exists), new source records, moved
    // records with their resources and a log entry, and changed link reasons: one statement.
    await sql`
      with np as (
        insert into persons (id) select unnest(${[...newPersons]}::uuid[]) on conflict (id) do nothing
      ), ins as (
        insert into source_records (feed_id, local_id, person_id, link_how, link_score, linked_at, nhs_number, nhs_number_verified, demographics, data_quality, source_version, updated_at)
        select feed_id, local_id, person_id, how, score, at, nhs_number, verified,
          ${jsonArray(inserts.map((x) => x.v.demographics))}::jsonb -> (n - 1)::int, ${jsonArray(inserts.map((x) => x.v.dataQuality))}::jsonb -> (n - 1)::int, source_version, at
        from unnest(${inserts.map((x) => x.r.feedId)}::text[], ${inserts.map((x) => x.r.localId)}::text[], ${inserts.map((x) => x.r.personId)}::uuid[],
          ${inserts.map((x) => x.r.how)}::text[], ${inserts.map((x) => x.r.score)}::float8[], ${inserts.map((x) => x.v.at)}::timestamptz[],
          ${inserts.map((x) => x.v.nhsNumber)}::text[], ${inserts.map((x) => x.v.nhsNumberVerified)}::boolean[], ${inserts.map((x) => x.v.sourceVersion)}::text[])
          with ordinality as p(feed_id, local_id, person_id, how, score, at, nhs_number, verified, source_version, n)
      ), u as (
        select * from unnest(${changed.map((c) => c.r.feedId)}::text[], ${changed.map((c) => c.r.localId)}::text[], ${changed.map((c) => c.r.personId)}::uuid[],
          ${changed.map((c) => c.from)}::uuid[], ${changed.map((c) => c.r.how)}::text[], ${changed.map((c) => c.r.score)}::float8[], ${changed.map((c) => c.moved)}::boolean[])
          as u(feed_id, local_id, person_id, from_person, how, score, moved)
      ), s as (
        update source_records sr set person_id = u.person_id, link_how = u.how, link_score = u.score,
          linked_at = case when u.moved then ${o.at}::timestamptz else sr.linked_at end
        from u where sr.feed_id = u.feed_id and sr.local_id = u.local_id
      ), res as (
        update resources x set person_id = u.person_id from u where u.moved and x.feed_id = u.feed_id and x.subject_local_id = u.local_id
      )
      insert into mpi_link_events (feed_id, local_id, from_person, to_person, how, score, at, actor)
      select feed_id, local_id, from_person, person_id, how, score, ${o.at}, ${o.actor} from u where moved`.execute(trx);
  }
  // A person whose records all left is retired into the person that took most of them; a person
  // that holds records again (an unmerge) is current again.
  const current = new Set([...out.values()].map((r) => r.personId));
  for (const [p, to] of takenBy) {
    if (current.has(p)) continue;
    const target = [...to.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
    if (target) await trx.updateTable('persons').set({ merged_into: target[0] }).where('id', '=', p).execute();
  }
  if (o.mergesOf) await trx.updateTable('persons').set({ merged_into: null }).where('id', 'in', [...current]).where('merged_into', 'is not', null).execute();
  return out;
}
