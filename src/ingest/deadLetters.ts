/**
 * Dead letters: every rejected message, entry or row, kept with its reason, raw content and time,
 * where an operator can see it, fix the mapping and replay it. Nothing rejected is ever dropped.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { IngestError } from './sourceAction.ts';

export interface DeadLetter {
  id: number;
  feedId: string | null;
  receivedAt: string;
  kind: string;
  content: string;
  error: { code: string; message: string; where: Record<string, unknown> };
  status: 'open' | 'replayed' | 'discarded';
  replayedAt: string | null;
  replayResult: string | null;
}

export type DeadLetterKind = 'hl7v2' | 'fhir-bundle' | 'fhir-entry' | 'csv-row' | 'csv-file';

export async function addDeadLetter(db: Kysely<Tables>, feedId: string | null, kind: DeadLetterKind, content: string, error: IngestError, at: Date): Promise<number> {
  const r = await db.insertInto('dead_letters').values({
    feed_id: feedId, kind, content, received_at: at, error_code: error.code, error_message: error.message,
    error_where: JSON.stringify(error.where ?? {}),
  }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

export async function listDeadLetters(db: Kysely<Tables>, opts: { feedId?: string; status?: DeadLetter['status'] | 'all'; limit?: number } = {}): Promise<DeadLetter[]> {
  let q = db.selectFrom('dead_letters').selectAll().orderBy('id').limit(opts.limit ?? 1000);
  if (opts.feedId) q = q.where('feed_id', '=', opts.feedId);
  const status = opts.status ?? 'open';
  if (status !== 'all') q = q.where('status', '=', status);
  return (await q.execute()).map((r) => ({
    id: r.id, feedId: r.feed_id, receivedAt: r.received_at.toISOString(), kind: r.kind, content: r.content,
    error: { code: r.error_code, message: r.error_message, where: r.error_where },
    status: r.status, replayedAt: r.replayed_at ? r.replayed_at.toISOString() : null, replayResult: r.replay_result,
  }));
}

export async function getDeadLetter(db: Kysely<Tables>, id: number): Promise<DeadLetter | null> {
  const r = await db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id, feedId: r.feed_id, receivedAt: r.received_at.toISOString(), kind: r.kind, content: r.content,
    error: { code: r.error_code, message: r.error_message, where: r.error_where },
    status: r.status, replayedAt: r.replayed_at ? r.replayed_at.toISOString() : null, replayResult: r.replay_result,
  };
}

export async function markReplayed(db: Kysely<Tables>, id: number, result: string, at: Date): Promise<void> {
  await db.updateTable('dead_letters').set({ status: 'replayed', replayed_at: at, replay_result: result }).where('id', '=', id).execute();
}

/** A replay that failed again stays open with its new reason. */
export async function recordFailedReplay(db: Kysely<Tables>, id: number, error: IngestError, at: Date): Promise<void> {
  await db.updateTable('dead_letters').set({
    error_code: error.code, error_message: error.message, error_where: JSON.stringify(error.where ?? {}),
    replayed_at: at, replay_result: 'failed again',
  }).where('id', '=', id).execute();
}
