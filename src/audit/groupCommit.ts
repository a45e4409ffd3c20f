/**
 * Group commit for the audit of reads. A read changes nothing, so its audit event need not share a
 * transaction with it; what matters is that the event is committed before any data leaves. Each
 * committed append holds the chain head's lock through its COMMIT (the WAL flush), so when every
 * read appends in its own transaction, busy readers queue on that lock one flush at a time. Here
 * the events of reads that arrive together are appended in one transaction under one lock: one
 * flush for many reads. Nothing waits on a timer — while one batch commits the next gathers — so a
 * lone read pays one transaction, as before, and a busy server pays one per batch.
 *
 * Each caller's promise settles only after its batch has committed (or failed): a read answers
 * with data only once its audit is durable, and with nothing (AuditUnavailableError) if it is not.
 * A draft that is itself invalid is refused at once and never holds up, or fails, the others.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import type { AuditEvent, AuditEventDraft } from './chain/index.ts';
import { appendAuditMany, AuditUnavailableError, checkedDraft, type AppendOptions } from './log.ts';

interface Waiting {
  readonly draft: AuditEventDraft;
  resolve(event: AuditEvent): void;
  reject(err: unknown): void;
}

/** Events per transaction: bounds one statement's size when a crowd arrives at once. */
const MAX_BATCH = 500;

export class AuditGroupCommit {
  private queue: Waiting[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Kysely<Tables>, private readonly options: AppendOptions = {}) {}

  /** Appends `draft` in a transaction of its own (shared with concurrent callers); resolves once committed. */
  async append(draft: AuditEventDraft): Promise<AuditEvent> {
    // Throws (rejects) at once for an invalid draft: it never joins a batch.
    const ready = checkedDraft(draft, 0);
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ draft: ready, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Resolves when every event handed in so far has been committed or refused. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    // Let the callers already on their way (the same tick's requests) join the first batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const events = await transaction(this.db, (trx) => appendAuditMany(trx, batch.map((w) => w.draft), this.options), { retries: 0 });
          batch.forEach((w, i) => w.resolve(events[i] as AuditEvent));
        } catch (err) {
          const failure = err instanceof AuditUnavailableError
            ? err
            : new AuditUnavailableError('write-failed', 'the audit event could not be written', 'transaction', { cause: err });
          for (const w of batch) w.reject(failure);
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}
