/**
 * The second look at records that were alone when filed. Two records of one new person filed at
 * the same moment by two workers each miss the other (neither was committed); once both have
 * committed, scoring them again finds the pair and re-clustering joins them. Idempotent, safe to
 * run from several processes (rows are claimed with SKIP LOCKED), and cheap: only records that
 * linked to no committed record are looked at, each only once, in claims of a few hundred, and of
 * their candidates only those that neither saw the other being filed are scored again.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { DEFAULT_POLICY, type PreparedRecord } from './match/index.ts';
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
      const digest = (await sql<{ d: string | null }>`select ${currentDigestSql} as d`.execute(trx)).rows[0]?.d ?? null;
      const scorer = await scorerFor(trx, digest);
      // The claimed records, and only the candidates each may not have seen: a record sharing a
      // usable block, not yet paired with it, where neither was filed before the other looked for
      // candidates (see filed_by and seen_below in migration 0010). Everything else was compared
      // when the later of the two was filed.
      const limit = DEFAULT_POLICY.maxBlockSize;
      const found = await sql<{ t: 'm' | 'c'; id: number; prepared: PreparedRecord; person_id: string | null; mine: number[] | null }>`
        with me as (
          -- Lateral look-ups with offset 0 keep every step an index probe, whatever the planner guesses of sizes.
          select r.id, r.filed_by, r.seen_below, k.key from unnest(${ids}::bigint[]) as i(id)
          cross join lateral (select id, filed_by, seen_below from mpi_records r where r.id = i.id offset 0) r
          cross join lateral (select key from mpi_blocking_keys k where k.record_id = r.id offset 0) k
        ), hits as (
          select m.key, b.record_id, b.filed_by from (select distinct key from me) m
          cross join lateral (select record_id, filed_by from mpi_blocking_keys b where b.key = m.key limit ${limit + 1}) b
        ), usable as (
          select key from hits group by key having count(*) <= ${limit}
        ), unseen as (
          select o.id as other, array_agg(distinct m.id) as mine
          from me m join usable u on u.key = m.key join hits h on h.key = m.key
            -- A key filed before this record looked for candidates was seen: its record is not read.
            and not coalesce(h.filed_by < m.seen_below, false)
          cross join lateral (select id, filed_by, seen_below from mpi_records o where o.id = h.record_id offset 0) o
          where o.id <> m.id
            and not coalesce(o.filed_by < m.seen_below or m.filed_by < o.seen_below or o.filed_by = m.filed_by, false)
            and not exists (select 1 from mpi_pairs p where (p.a = m.id and p.b = o.id) or (p.a = o.id and p.b = m.id))
          group by o.id
        )
        select 'm' as t, r.id, r.prepared, sr.person_id, null::bigint[] as mine
        from mpi_records r join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id where r.id = any(${ids}::bigint[])
        union all
        select 'c', o.id, o.prepared, sr.person_id, u.mine from unseen u
        cross join lateral (select id, feed_id, local_id, prepared from mpi_records o where o.id = u.other offset 0) o
        left join lateral (select person_id from source_records sr where sr.feed_id = o.feed_id and sr.local_id = o.local_id offset 0) sr on true`.execute(trx);
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
        const resolved = await resolveComponent(trx, { seedIds, seedPersons: [...seedPersons], lockFirst: [...lockFirst], parameters: scorer.parameters, at: opts.now, actor: 'system:mpi-recheck' });
        for (const x of resolved.values()) if (x.fromPersonId !== undefined && x.fromPersonId !== x.personId) linked++;
      }
      return { checked: ids.length, linked };
    });
    total.checked += r.checked;
    total.linked += r.linked;
    if (r.checked === 0) return total;
  }
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}
