/**
 * Group commit for the inbox. Messages arriving at the same moment (many MLLP connections, many
 * HTTP requests) are stored by one multi-row INSERT, and each sender is answered only after that
 * statement has committed — so every acknowledged message is still durable, but one disk flush
 * serves many messages instead of one each.
 *
 * A few batches may be in flight at once: senders wait for their ACK before sending again, so
 * with only one batch at a time a message arriving just after a batch left waits for that whole
 * commit and then its own. With several, it goes at once, and the server still shares one WAL
 * flush among the commits that overlap.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { isRetryable } from '../store/db.ts';
import type { InboxItem } from './inbox.ts';

interface Pending { item: InboxItem; at: Date; resolve: (stored: boolean) => void; reject: (e: unknown) => void }

// The writer serving each database, so that workers on an engine with one connection can give way to it.
const writers = new WeakMap<Kysely<Tables>, InboxWriter>();

export function inboxWriterFor(db: Kysely<Tables>): InboxWriter | undefined {
  return writers.get(db);
}

export interface InboxWriterOptions {
  /** Most rows in one INSERT. */
  maxBatch?: number;
  /** Most INSERTs in flight at once (1 on an engine with a single connection gains nothing more). */
  inFlight?: number;
}

export class InboxWriter {
  private queue: Pending[] = [];
  private running = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly inFlight: number;
  private lastActivity = 0;
  private settled: Array<() => void> = [];

  constructor(private readonly db: Kysely<Tables>, opts: InboxWriterOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.inFlight = Math.max(1, opts.inFlight ?? 4);
    writers.set(db, this);
  }

  /**
   * Waits until senders have gone quiet — nothing waiting to be written and nothing new for
   * `quietMs` — or `maxMs` has passed. A worker on an engine with one connection calls this before
   * each batch: its transaction holds that connection throughout, so without giving way every
   * sender's ACK would wait behind a whole worker batch. Bounded, so the workers are slowed by a
   * steady stream of messages, never stopped.
   */
  async giveWay(quietMs: number, maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    // On the embedded engine a worker's queries settle as promises without ever returning to the
    // event loop, so sockets go unread while workers chain batch after batch (acks stalled for
    // seconds): read what senders sent before judging whether they are quiet.
    await new Promise((resolve) => setImmediate(resolve));
    for (let now = performance.now(); now < until; now = performance.now()) {
      const left = until - now;
      if (this.waiting > 0) {
        await this.nextSettled(left);
        continue;
      }
      const quietFor = now - this.lastActivity;
      if (quietFor >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs - quietFor, left)));
      // Timers run before sockets are read: if the thread was busy (the embedded engine runs on
      // it), let waiting messages arrive before taking the quiet for real.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private nextSettled(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      const settled = this.settled;
      function done() {
        clearTimeout(timer);
        const i = settled.indexOf(done);
        if (i >= 0) settled.splice(i, 1);
        resolve();
      }
      settled.push(done);
    });
  }

  /** Resolves once stored durably: true when new, false when the same feed and message id was stored before. */
  store(item: InboxItem, at: Date): Promise<boolean> {
    this.lastActivity = performance.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ item, at, resolve, reject });
      this.schedule();
    });
  }

  /** Rows waiting for, or in, an INSERT. */
  get waiting(): number {
    return this.queue.length + this.running;
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.inFlight) return;
    this.scheduled = true;
    // Let the messages that arrive in the same turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.running < this.inFlight) void this.write(this.queue.splice(0, this.maxBatch));
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    this.running++;
    try {
      const stored = await this.insert(batch);
      // A message repeated inside one batch: the first copy was stored, the rest are repeats.
      for (const p of batch) p.resolve(stored.delete(`${p.item.feedId}\u0000${p.item.messageId}`));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running--;
      this.lastActivity = performance.now();
      if (this.queue.length > 0) this.schedule();
      for (const done of this.settled.slice()) done();
    }
  }

  private async insert(batch: Pending[]): Promise<Set<string>> {
    const values = sql.join(batch.map((p) => sql`(${p.item.feedId}, ${p.item.messageId}, ${p.item.kind}, ${p.item.content}, ${p.item.units}, ${p.at}, ${p.item.held ? 'held' : 'pending'})`));
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await sql<{ feed_id: string; message_id: string }>`
          insert into inbox (feed_id, message_id, kind, content, units, received_at, status) values ${values}
          on conflict (feed_id, message_id) do nothing
          returning feed_id, message_id`.execute(this.db);
        return new Set(r.rows.map((x) => `${x.feed_id}\u0000${x.message_id}`));
      } catch (err) {
        // Two batches in flight holding the same repeated message in opposite orders can deadlock;
        // the victim's statement was rolled back whole, so trying it again is safe.
        if (attempt >= 3 || !isRetryable(err)) throw err;
      }
    }
  }
}
