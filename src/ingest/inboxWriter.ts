/**
 * Group commit for the inbox. Messages arriving at the same moment (many MLLP connections, many
 * HTTP requests) are stored by one multi-row INSERT in one transaction, and each sender is answered
 * only after that commit — so every acknowledged message is still durable, but one disk flush
 * serves many messages instead of one each.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { InboxItem } from './inbox.ts';

interface Pending { item: InboxItem; at: Date; resolve: (stored: boolean) => void; reject: (e: unknown) => void }

export class InboxWriter {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Kysely<Tables>, private readonly maxBatch = 500) {}

  /** Resolves once stored durably: true when new, false when the same feed and message id was stored before. */
  store(item: InboxItem, at: Date): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, at, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    // Let the messages that arrive in the same turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const values = sql.join(batch.map((p) => sql`(${p.item.feedId}, ${p.item.messageId}, ${p.item.kind}, ${p.item.content}, ${p.item.units}, ${p.at}, ${p.item.held ? 'held' : 'pending'})`));
        const r = await sql<{ feed_id: string; message_id: string }>`
          insert into inbox (feed_id, message_id, kind, content, units, received_at, status) values ${values}
          on conflict (feed_id, message_id) do nothing
          returning feed_id, message_id`.execute(this.db);
        const stored = new Set(r.rows.map((x) => `${x.feed_id}\u0000${x.message_id}`));
        for (const p of batch) {
          const key = `${p.item.feedId}\u0000${p.item.messageId}`;
          // A message repeated inside one batch: the first copy was stored, the rest are repeats.
          p.resolve(stored.delete(key));
        }
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }
}
