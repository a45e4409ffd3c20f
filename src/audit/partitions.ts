/**
 * Monthly partitions of audit_events. The append path never creates partitions (that would take a
 * catalog lock inside request transactions); this upkeep creates the coming months ahead of time,
 * at start-up and daily, and moves any rows the default partition caught for those months.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';

export interface AuditPartition {
  name: string;
  /** Inclusive lower bound, or null for the default partition. */
  from: Date | null;
  /** Exclusive upper bound, or null for the default partition. */
  to: Date | null;
}

/** Creates the partitions for the month of `now` and the `monthsAhead` after it; returns how many were new. */
export async function ensureAuditPartitions(db: Kysely<Tables>, opts: { now: Date; monthsAhead?: number }): Promise<number> {
  const months = 1 + (opts.monthsAhead ?? 2);
  const r = await sql<{ made: number }>`select audit_ensure_partitions(${opts.now.toISOString()}::timestamptz, ${months}::integer) as made`.execute(db);
  return Number(r.rows[0]?.made ?? 0);
}

const MONTHLY = /^audit_events_y(\d{4})m(\d{2})$/;

/** The partitions that exist, monthly ones with their bounds (from their names), oldest first. */
export async function listAuditPartitions(db: Kysely<Tables>): Promise<AuditPartition[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass('audit_events')`.execute(db);
  return r.rows
    .map(({ name }) => {
      const m = MONTHLY.exec(name);
      if (!m) return { name, from: null, to: null };
      const y = Number(m[1]);
      const mo = Number(m[2]) - 1;
      return { name, from: new Date(Date.UTC(y, mo, 1)), to: new Date(Date.UTC(y, mo + 1, 1)) };
    })
    .sort((a, b) => (a.from?.getTime() ?? -Infinity) - (b.from?.getTime() ?? -Infinity));
}
