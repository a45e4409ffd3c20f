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

/** The advisory-lock space of inbox feeds (the first key of pg_try_advisory_xact_lock(int, int)). */
const FEED_LOCK_SPACE = 0x0c1a1;

/** What one claim took; `busy`: nothing, though rows are pending (other workers hold their feeds). */
export interface Claim { rows: ClaimedRow[]; busy: boolean }

/**
 * Claims up to `limit` pending rows of one feed, oldest first, inside the caller's transaction:
 * of the feeds with pending messages, the one whose oldest is oldest among those no other worker
 * holds. The worker holds that feed until its transaction ends (an advisory lock of the
 * transaction), so one feed's messages — often about the same people — go through one worker at
 * a time and in order, while the workers share out whichever feeds have work. (A fixed share of
 * the feeds per worker, by hash, left a generated county's two HL7 feeds both to one worker: the
 * other had nothing to do while they drained.) Each claim is a few probes of the (feed_id, id)
 * index however long the backlog is; a feed's lock is tried only when the feeds before it are held.
 */
export async function claimPending(trx: Kysely<Tables>, limit: number): Promise<Claim> {
  const r = await sql<ClaimedRow>`
    with oldest as (
      select f.id as feed_id, (select i.id from inbox i where i.status = 'pending' and i.feed_id = f.id order by i.id limit 1) as first
        from feeds f
    ), free as (
      -- In order, until one is free: offset 0 keeps the lock attempts out of the sort beneath.
      select o.feed_id from (select feed_id, first from oldest where first is not null order by first offset 0) o
       where pg_try_advisory_xact_lock(${FEED_LOCK_SPACE}, hashtext(o.feed_id))
       limit 1
    )
    select * from inbox
     where status = 'pending' and feed_id = (select feed_id from free)
     order by id limit ${limit} for update skip locked`.execute(trx);
  if (r.rows.length > 0) return { rows: r.rows, busy: false };
  // Nothing claimed: empty, or every pending feed (or row) is some other worker's for now.
  const pending = await sql<{ any: boolean }>`select exists (select 1 from inbox where status = 'pending') as any`.execute(trx);
  return { rows: [], busy: pending.rows[0]?.any === true };
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
