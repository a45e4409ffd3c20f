/**
 * Retention: the one sanctioned way events leave the log. A purge removes the longest prefix of
 * the chain whose events are all older than the cut-off (a prefix, so what is kept is still one
 * unbroken chain), leaves a signed checkpoint of the last purged event (the verifier starts from
 * it) and records itself in the log, all in one transaction. Whole monthly partitions below the
 * boundary are dropped; remaining rows are deleted under the ohc.audit_purge setting the
 * immutability trigger accepts, set only for this transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { checkpointAsJson, purgeBoundaryCheckpoint, type AuditActor, type AuditCheckpoint, type AuditEvent } from './chain/index.ts';
import { appendAudit, AuditUnavailableError, lockHead, storeCheckpoint } from './log.ts';
import { ensureAuditPartitions, listAuditPartitions } from './partitions.ts';
import { readCheckpoints } from './verifyStored.ts';
import { auditSettings, checkpointSigner, type AuditSettings } from './settings.ts';

const DAY_MS = 86_400_000;

export interface PurgeOptions {
  /** Events older than this go (only as a prefix of the chain: see the header). */
  before: Date;
  now: Date;
  /** Who runs the purge (default the retention job). */
  actor?: AuditActor;
  settings?: AuditSettings;
  /** Allow a cut-off inside the retention period (default refused). */
  insideRetention?: boolean;
}

export interface PurgeResult {
  /** The last purged seq (unchanged from the previous purge when nothing was old enough). */
  purgedThroughSeq: number;
  purged: number;
  boundary: AuditCheckpoint | null;
  droppedPartitions: string[];
  /** The `audit-purged` event recording this run. */
  event: AuditEvent;
}

export class AuditPurgeError extends Error {
  readonly code = 'inside-retention';
  readonly where = 'before';
  constructor(message: string) {
    super(message);
    this.name = 'AuditPurgeError';
  }
}

/** The latest cut-off the retention period allows at `now`. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

export async function purgeAudit(db: Kysely<Tables>, opts: PurgeOptions): Promise<PurgeResult> {
  const settings = opts.settings ?? auditSettings();
  const cutoff = retentionCutoff(opts.now, settings.retentionDays);
  if (opts.before.getTime() > cutoff.getTime() && opts.insideRetention !== true) {
    throw new AuditPurgeError(`the cut-off is inside the retention period of ${settings.retentionDays} days; the latest allowed is ${cutoff.toISOString()}`);
  }
  const actor = opts.actor ?? { kind: 'system', id: 'audit-retention' };
  return db.transaction().execute(async (trx) => {
    const head = await lockHead(trx);
    const previous = (await readCheckpoints(trx)).boundary?.seq ?? 0;
    const firstKept = await trx.selectFrom('audit_events').select((eb) => eb.fn.min('seq').as('seq')).where('time', '>=', opts.before).executeTakeFirst();
    const through = firstKept?.seq == null ? head.seq : Number(firstKept.seq) - 1;

    let boundary: AuditCheckpoint | null = null;
    let purged = 0;
    const dropped: string[] = [];
    if (through > previous) {
      const last = await trx.selectFrom('audit_events').select('hash').where('seq', '=', through).orderBy('time').executeTakeFirst();
      if (!last) throw new AuditUnavailableError('write-failed', `the audit log has no event ${through} to mark the purge boundary; run ohc audit verify`, 'purge');
      boundary = purgeBoundaryCheckpoint({ seq: through, hash: last.hash }, opts.now.toISOString(), await checkpointSigner(trx, settings));
      await storeCheckpoint(trx, 'purge-boundary', boundary);

      for (const p of await listAuditPartitions(trx)) {
        if (!p.to || p.to.getTime() > opts.before.getTime()) continue;
        const r = await sql<{ n: number; top: number | null }>`select count(*)::int8 as n, max(seq) as top from ${sql.table(p.name)}`.execute(trx);
        const row = r.rows[0];
        if (row && (row.top === null || Number(row.top) <= through)) {
          await sql`drop table ${sql.table(p.name)}`.execute(trx);
          purged += Number(row.n);
          dropped.push(p.name);
        }
      }
      await sql`select set_config('ohc.audit_purge', 'on', true)`.execute(trx);
      const del = await trx.deleteFrom('audit_events').where('seq', '<=', through).executeTakeFirst();
      await sql`select set_config('ohc.audit_purge', 'off', true)`.execute(trx);
      purged += Number(del.numDeletedRows);
      await ensureAuditPartitions(trx, { now: opts.now });
    }
    const event = await appendAudit(
      trx,
      {
        time: opts.now.toISOString(),
        actor,
        action: 'audit-purged',
        purpose: 'information-governance',
        outcome: 'success',
        details: {
          before: opts.before.toISOString(),
          retentionDays: settings.retentionDays,
          purgedThroughSeq: Math.max(through, previous),
          purged,
          ...(boundary ? { boundary: checkpointAsJson(boundary) } : {}),
        },
      },
      { settings },
    );
    return { purgedThroughSeq: Math.max(through, previous), purged, boundary, droppedPartitions: dropped, event };
  });
}
