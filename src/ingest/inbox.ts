/**
 * The durable inbox. A message is stored here before it is acknowledged; workers then claim
 * pending rows with FOR UPDATE SKIP LOCKED, so several workers (and several processes on
 * PostgreSQL) share the work without two ever taking the same row. Storing is idempotent on
 * (feed, message id): the same message twice is stored once.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { InboxKind, InboxTable, Tables } from '../store/tables.ts';

export interface InboxItem { feedId: string; messageId: string; kind: InboxKind; content: string; units: number; held?: boolean }

/**
 * Returns true when stored now (or a held copy was released by this confirmed one), false when
 * this message was already stored (a replay).
 */
export async function storeInInbox(db: Kysely<Tables>, item: InboxItem, at: Date): Promise<boolean> {
  const status = item.held ? 'held' : 'pending';
  const r = await db.insertInto('inbox').values({
    feed_id: item.feedId, message_id: item.messageId, kind: item.kind, content: item.content, units: item.units,
    received_at: at, status,
  }).onConflict((oc) => oc.columns(['feed_id', 'message_id'])
    // The same extract sent again with confirmation releases what was held; anything else is a replay.
    .doUpdateSet({ status: 'pending' })
    .where('inbox.status', '=', 'held')
    .where(sql<boolean>`${status} = 'pending'`))
    .returning('id').executeTakeFirst();
  return r !== undefined;
}

export type ClaimedRow = Selectable<InboxTable>;

/**
 * Claims up to `limit` pending rows, oldest first, inside the caller's transaction. With a
 * partition, a worker takes only the feeds that hash to it: one feed's messages (often about the
 * same people) then stay with one worker, so workers do not fight over the same person records.
 * It claims from one feed at a time — the one of its share whose oldest pending message is the
 * oldest — so each claim is a few probes of the (feed_id, id) index however long the backlog is.
 */
export async function claimPending(trx: Kysely<Tables>, limit: number, partition?: { of: number; index: number }): Promise<ClaimedRow[]> {
  const r = partition && partition.of > 1
    ? await sql<ClaimedRow>`
        with mine as (select id from feeds where mod(abs(hashtext(id)), ${partition.of}) = ${partition.index}),
        oldest as (
          select m.id as feed_id, (select i.id from inbox i where i.status = 'pending' and i.feed_id = m.id order by i.id limit 1) as first
            from mine m)
        select * from inbox
         where status = 'pending' and feed_id = (select feed_id from oldest where first is not null order by first limit 1)
         order by id limit ${limit} for update skip locked`.execute(trx)
    : await sql<ClaimedRow>`
        select * from inbox where status = 'pending' order by id limit ${limit} for update skip locked`.execute(trx);
  return r.rows;
}

export async function markProcessed(trx: Kysely<Tables>, ids: number[], status: 'done' | 'failed', at: Date, error?: string): Promise<void> {
  if (ids.length === 0) return;
  await trx.updateTable('inbox').set((eb) => ({ status, processed_at: at, attempts: eb('attempts', '+', 1), last_error: error ?? null }))
    .where('id', 'in', ids).execute();
}

export async function pendingCount(db: Kysely<Tables>): Promise<number> {
  const r = await db.selectFrom('inbox').select(sql<number>`count(*)::int8`.as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Releases a held snapshot (its removals were confirmed by an operator). */
export async function releaseHeld(db: Kysely<Tables>, feedId: string): Promise<number> {
  const r = await db.updateTable('inbox').set({ status: 'pending' }).where('feed_id', '=', feedId).where('status', '=', 'held').executeTakeFirst();
  return Number(r.numUpdatedRows);
}
