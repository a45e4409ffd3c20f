/**
 * The second look at records that were alone when filed. Two records of one new person filed at
 * the same moment by two workers each miss the other (neither was committed); once both have
 * committed, scoring them again finds the pair and re-clustering joins them. Idempotent, safe to
 * run from several processes (rows are claimed with SKIP LOCKED), and cheap: only records that
 * linked to no committed record are looked at, each only once, in claims of a few hundred; only
 * those that a transaction filing at the same moment may have missed (migration 0018) have their
 * keys probed, and of their candidates only those that neither saw the other being filed are
 * scored again. Once the queue is empty it prunes the record of those filings (pruneFilings), which
 * would otherwise grow by a row a worker batch for ever.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { BOUNDED_KEY_KINDS, DEFAULT_POLICY, type PreparedRecord } from './match/index.ts';
import { insertPairRows, score, type Candidate, type PairRow } from './link.ts';
import { currentDigestSql, scorerFor } from './parameters.ts';
import { noJit, resolveComponent } from './resolve.ts';

/** `linked`: source records that moved to another person because of the second look. */
export interface RecheckSummary { checked: number; linked: number }

export async function recheckAlone(db: Kysely<Tables>, opts: { now: Date; batchSize?: number }): Promise<RecheckSummary> {
  const total: RecheckSummary = { checked: 0, linked: 0 };
  for (;;) {
    const r = await transaction(db, async (trx) => {
      const claimed = await sql<{ record_id: number }>`
        delete from mpi_recheck where record_id in (
          select record_id from mpi_recheck order by record_id limit ${opts.batchSize ?? 200} for update skip locked)
        returning record_id`.execute(trx);
      const ids = claimed.rows.map((x) => Number(x.record_id));
      let linked = 0;
      if (ids.length === 0) return { checked: 0, linked };
      await noJit(trx);
      // The claimed records, and only the candidates each may not have seen: a record sharing a
      // usable block, not yet paired with it, where neither was filed before the other looked for
      // candidates (see filed_by and seen_below in migrations 0010 and 0013). Everything else was compared
      // when the later of the two was filed.
      const limit = DEFAULT_POLICY.maxBlockSize;
      const found = await sql<{ t: 'm' | 'c'; id: number; prepared: PreparedRecord; person_id: string | null; mine: number[] | null }>`
        with claimed as (
          -- Lateral look-ups with offset 0 keep every step an index probe, whatever the planner guesses of sizes.
          select r.id, r.filed_by, r.seen_below from unnest(${ids}::bigint[]) as i(id)
          cross join lateral (select id, filed_by, seen_below from mpi_records r where r.id = i.id offset 0) r
        ), overlapping as materialized (
          -- The transactions that filed keys while the transaction of any claimed record was running,
          -- read once for the claim (a range of mpi_filings, one row a worker batch): a handful,
          -- unless some transaction stays open for long.
          select f.filed_by, f.seen_below from mpi_filings f
          where f.filed_by >= (select min(seen_below) from claimed)
            and not coalesce((select max(filed_by) from claimed) < f.seen_below, false)
        ), unfiled as (
          -- Whether any key was filed before migration 0010 (none, in an index filed since): asked
          -- once, not under every key of every record.
          select exists (select 1 from mpi_blocking_keys u where u.filed_by is null) as unfiled
        ), risk as (
          -- Only a record that some other transaction filing keys may have missed (see migration 0018):
          -- one filing at or after it looked, that did not look after it was filed. Every key found
          -- below belongs to such a transaction (or to none, if filed before migration 0010), so a
          -- record without one has nothing to find, and its keys are not read nor probed.
          select c.id, c.filed_by, c.seen_below from claimed c
          where c.filed_by is null or c.seen_below is null
            or (select unfiled from unfiled)
            or exists (select 1 from overlapping f where f.filed_by >= c.seen_below and f.filed_by <> c.filed_by
              and not coalesce(c.filed_by < f.seen_below, false))
        ), me as (
          -- Each record at risk with its keys and the last transaction that may have missed it: the
          -- latest overlapping filing that filed at or after it looked and did not look after it was filed.
          select r.id, r.filed_by, r.seen_below, k.key, l.last from risk r
          cross join lateral (
            select max(f.filed_by) as last from overlapping f
            where f.filed_by >= r.seen_below and f.filed_by <> r.filed_by and not coalesce(r.filed_by < f.seen_below, false)
          ) l
          cross join lateral (select key from mpi_blocking_keys k where k.record_id = r.id offset 0) k
        ), hits as (
          -- Under each key, only the records this one may not have seen (see migration 0013): filed
          -- at or after it looked for candidates, not looking after it was filed, not of its own
          -- transaction. Those are records of the overlapping transactions, so each key is read once
          -- over the range of their ids, by (key, filed_by): from when this record looked to the last
          -- of them, a few transactions wide. A range with no end would also read every record filed
          -- since that saw it, which for a recheck run long after the filing is most of the block; a
          -- probe for each overlapping transaction read the same rows with one descent of the index each.
          -- Records filed before migration 0013 (no filed_by or seen_below of their own) are probed
          -- by the open range, and keys filed before migration 0010 (no filed_by) are always read.
          select m.id, m.filed_by, m.seen_below, m.key, b.record_id from me m
          cross join lateral (
            select record_id from mpi_blocking_keys b where m.filed_by is not null and m.seen_below is not null
              and b.key = m.key and b.filed_by >= m.seen_below and b.filed_by <= m.last
              and b.filed_by <> m.filed_by and not coalesce(m.filed_by < b.seen_below, false)
            union all
            select record_id from mpi_blocking_keys b where (m.filed_by is null or m.seen_below is null)
              and b.key = m.key and b.filed_by >= coalesce(m.seen_below, '0'::xid8)
              and not coalesce(m.filed_by < b.seen_below or b.filed_by = m.filed_by, false)
            union all
            select record_id from mpi_blocking_keys b where (select unfiled from unfiled) and b.key = m.key and b.filed_by is null
          ) b
          where b.record_id <> m.id
        ), usable as (
          -- Blocks bigger than the limit are not used (as when filing); only blocks with a hit are counted.
          select x.key from (select distinct key from hits) x
          where (select count(*) from (select 1 from mpi_blocking_keys b where b.key = x.key limit ${limit + 1}) s) <= ${limit}
        ), shared as (
          -- Pairs worth comparing (worthComparing: two shared usable keys, or one bounded key). A
          -- record's keys are filed together, so a pair passes the filters above on all its keys or none.
          select h.id, h.filed_by, h.seen_below, h.record_id as other from hits h join usable u on u.key = h.key
          group by h.id, h.filed_by, h.seen_below, h.record_id
          having count(*) >= 2 or bool_or(split_part(h.key, ':', 1) = any(${BOUNDED_KEY_KINDS}::text[]))
        ), unseen as (
          select o.id as other, array_agg(distinct m.id) as mine
          from shared m
          cross join lateral (select id, filed_by, seen_below from mpi_records o where o.id = m.other offset 0) o
          where not coalesce(o.filed_by < m.seen_below or m.filed_by < o.seen_below or o.filed_by = m.filed_by, false)
            -- Two probes of the (a, b) index: an OR of the two orders made the planner scan the pairs.
            -- Offset 0 keeps each a probe for the few pairs found: as anti-joins, the planner (which
            -- guesses millions of hits) sorted the whole of mpi_pairs for every claim, 70 ms a claim
            -- at 100,000 persons with two workers, growing with the county.
            and not exists (select 1 from mpi_pairs p where p.a = m.id and p.b = o.id offset 0)
            and not exists (select 1 from mpi_pairs p where p.a = o.id and p.b = m.id offset 0)
          group by o.id
        )
        -- The claimed records that have a candidate to score (the others are not read nor sent).
        select 'm' as t, r.id, r.prepared, sr.person_id, null::bigint[] as mine
        from (select distinct unnest(mine) as id from unseen) x
        cross join lateral (select id, feed_id, local_id, prepared from mpi_records r where r.id = x.id offset 0) r
        cross join lateral (select person_id from source_records sr where sr.feed_id = r.feed_id and sr.local_id = r.local_id offset 0) sr
        union all
        select 'c', o.id, o.prepared, sr.person_id, u.mine from unseen u
        cross join lateral (select id, feed_id, local_id, prepared from mpi_records o where o.id = u.other offset 0) o
        left join lateral (select person_id from source_records sr where sr.feed_id = o.feed_id and sr.local_id = o.local_id offset 0) sr on true`.execute(trx);
      // Nothing any of them may have missed (the usual case): no parameters to read, nothing to score.
      if (found.rows.length === 0) return { checked: ids.length, linked };
      const digest = (await sql<{ d: string | null }>`select ${currentDigestSql} as d`.execute(trx)).rows[0]?.d ?? null;
      const scorer = await scorerFor(trx, digest);
      const rows = found.rows.filter((x) => x.t === 'm').map((x) => ({ id: Number(x.id), prepared: x.prepared, person_id: x.person_id! })).sort((x, y) => x.id - y.id);
      const unseen = new Map<number, Candidate[]>();
      for (const x of found.rows) {
        if (x.t !== 'c') continue;
        for (const m of x.mine ?? []) {
          const list = unseen.get(Number(m)) ?? [];
          list.push({ id: Number(x.id), prepared: x.prepared, personId: x.person_id });
          unseen.set(Number(m), list);
        }
      }
      const known = new Set<string>();
      const pairs: PairRow[] = [];
      const seedIds: number[] = [];
      const seedPersons = new Set<string>();
      const lockFirst = new Set<string>();
      for (const row of rows) {
        const mine = new Map<number, Candidate>();
        // Two records of this claim that missed each other meet once.
        for (const c of unseen.get(row.id) ?? []) if (!known.has(pairKey(row.id, c.id))) mine.set(c.id, c);
        if (mine.size === 0) continue;
        for (const id of mine.keys()) known.add(pairKey(row.id, id));
        const scored = score(row.prepared, [...mine.values()], scorer);
        for (const x of scored.pairs) pairs.push({ a: x.first ? row.id : x.other, b: x.first ? x.other : row.id, kind: x.kind, score: x.score, levels: x.levels, reason: x.reason });
        if (scored.linkPersons.length === 0) continue;
        seedIds.push(row.id);
        seedPersons.add(row.person_id);
        for (const p of scored.linkPersons) lockFirst.add(p);
      }
      await insertPairRows(trx, pairs);
      if (seedIds.length > 0) {
        const resolved = await resolveComponent(trx, { seedIds, seedPersons: [...seedPersons], lockFirst: [...lockFirst], parameters: scorer.parameters, at: opts.now, actor: 'system:mpi-recheck', jitOff: true });
        for (const x of resolved.values()) if (x.fromPersonId !== undefined && x.fromPersonId !== x.personId) linked++;
      }
      return { checked: ids.length, linked };
    });
    total.checked += r.checked;
    total.linked += r.linked;
    if (r.checked === 0) {
      await pruneFilings(db);
      return total;
    }
  }
}

/**
 * Deletes the rows of mpi_filings no recheck can need any more, and returns how many: those filed
 * before every record still queued looked for its candidates, and before the oldest transaction
 * running at the last mark (migration 0019), once every transaction that had an id at that mark
 * has finished. Each time the mark is usable it moves to now; the first call only sets it. Safe
 * beside linking and other rechecks: queued records (even ones another recheck has claimed but not
 * yet committed) keep theirs, and a transaction still linking looked after the mark.
 */
export async function pruneFilings(db: Kysely<Tables>): Promise<number> {
  const r = await sql<{ pruned: number }>`
    with snap as (
      -- The id this statement takes is greater than that of every transaction with an id by now (a
      -- snapshot's xmax is not: transactions given ids since the last one finished lie beyond it).
      select pg_snapshot_xmin(pg_current_snapshot()) as xmin, pg_current_xact_id() as xid
    ), mark as (
      select oldest, next from mpi_filings_mark
    ), ready as (
      select m.oldest from mark m, snap s where s.xmin >= m.next
    ), bound as (
      -- least() passes over a null: an empty queue (or records filed before migration 0013) bounds nothing.
      select least(r.oldest, (select min(x.seen_below) from mpi_recheck q join mpi_records x on x.id = q.record_id)) as below from ready r
    ), gone as (
      delete from mpi_filings f using bound b where f.filed_by < b.below returning 1
    ), moved as (
      insert into mpi_filings_mark (only_row, oldest, next) select true, s.xmin, s.xid from snap s
      where exists (select 1 from ready) or not exists (select 1 from mark)
      on conflict (only_row) do update set oldest = excluded.oldest, next = excluded.next
    )
    select count(*)::int as pruned from gone`.execute(db);
  return r.rows[0]?.pruned ?? 0;
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}
