/**
 * The second look at records that were alone when filed. Two records of one new person filed at
 * the same moment by two workers each miss the other (neither was committed); once both have
 * committed, scoring them again finds the pair and re-clustering joins them. Idempotent, safe to
 * run from several processes (rows are claimed with SKIP LOCKED), and cheap: only records that
 * were alone are looked at, and each only once.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { blockingKeys, type PreparedRecord } from './match/index.ts';
import { candidatesFor, insertPairs, score } from './link.ts';
import { currentDigestSql, scorerFor } from './parameters.ts';
import { resolveComponent } from './resolve.ts';

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
      const digest = (await sql<{ d: string | null }>`select ${currentDigestSql} as d`.execute(trx)).rows[0]?.d ?? null;
      const scorer = await scorerFor(trx, digest);
      const rows = await sql<{ id: number; prepared: PreparedRecord; person_id: string }>`
        select r.id, r.prepared, sr.person_id from mpi_records r join source_records sr on sr.feed_id = r.feed_id and sr.local_id = r.local_id
        where r.id = any(${ids}::bigint[]) order by r.id`.execute(trx);
      for (const row of rows.rows) {
        const id = Number(row.id);
        const known = new Set((await sql<{ other: number }>`select case when a = ${id} then b else a end as other from mpi_pairs where a = ${id} or b = ${id}`.execute(trx)).rows.map((x) => Number(x.other)));
        const candidates = (await candidatesFor(trx, [...new Set(blockingKeys(row.prepared))], id)).filter((c) => !known.has(c.id));
        if (candidates.length === 0) continue;
        const scored = score(row.prepared, candidates, scorer);
        await insertPairs(trx, id, scored);
        if (scored.linkPersons.length === 0) continue;
        const resolved = await resolveComponent(trx, { seedIds: [id], seedPersons: [row.person_id], lockFirst: scored.linkPersons, parameters: scorer.parameters, at: opts.now, actor: 'system:mpi-recheck' });
        for (const x of resolved.values()) if (x.fromPersonId !== undefined && x.fromPersonId !== x.personId) linked++;
      }
      return { checked: ids.length, linked };
    });
    total.checked += r.checked;
    total.linked += r.linked;
    if (r.checked === 0) return total;
  }
}
