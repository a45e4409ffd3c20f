/**
 * Inbox workers. Each batch is one transaction: claim pending rows (SKIP LOCKED), map each, apply
 * them together (the person index links the whole batch at once, see applyBatch), mark them done,
 * bump the feed counters — all committed together. A crash at any moment
 * rolls the whole batch back to pending, so nothing acknowledged is lost and nothing is applied
 * twice. A row that fails is rolled back to its savepoint, dead-lettered with the reason and
 * marked failed; the rest of the batch goes on.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { isRetryable, transaction } from '../store/db.ts';
import { claimPending, markProcessed, type ClaimedRow } from './inbox.ts';
import { bumpFeedCounters, getFeed, type Feed } from './feeds.ts';
import { addDeadLetter } from './deadLetters.ts';
import { inboxWriterFor, type InboxWriter } from './inboxWriter.ts';
import { applyActions, applyBatch, ResourceWrites, type ApplyItem, type ApplyOutcome } from './apply.ts';
import type { IngestError, SourceAction } from './sourceAction.ts';

/** Turns a stored inbox row back into actions (mapping is pure, so re-mapping is safe). */
export type MapStored = (row: ClaimedRow, feed: Feed, trx: Kysely<Tables>) => Promise<{ actions: SourceAction[]; errors: Array<{ content: string; error: IngestError }> }>;

export interface WorkerDeps {
  db: Kysely<Tables>;
  mapStored: MapStored;
  now: () => Date;
  categorise?: (resource: Record<string, unknown>) => string[];
  /** Told of every link change, for the audit log. */
  onBatch?: (trx: Kysely<Tables>, outcomes: Array<{ row: ClaimedRow; outcome: ApplyOutcome }>) => Promise<void>;
  batchSize?: number;
  /** This worker's share of the feeds (see claimPending). */
  partition?: { of: number; index: number };
}

export interface BatchResult { claimed: number; done: number; failed: number; retryLater?: boolean }

export async function processBatch(deps: WorkerDeps): Promise<BatchResult> {
  // Fast path: the whole batch in one go, resources written by one statement. Should any row fail,
  // the batch is rolled back and done again carefully, each row in its own savepoint, so the good
  // rows still go through and the bad one is dead-lettered with its reason.
  try {
    return await runBatch(deps, false);
  } catch (err) {
    if (err instanceof BatchRowFailed) return runBatch(deps, true);
    // A deadlock or serialisation failure that outlived the retries: the rows are still pending
    // and are tried again on the next round; nothing is lost and nothing is dead-lettered.
    if (isRetryable(err)) return { claimed: 0, done: 0, failed: 0, retryLater: true };
    throw err;
  }
}

class BatchRowFailed extends Error {}

async function runBatch(deps: WorkerDeps, careful: boolean): Promise<BatchResult> {
  const batchSize = deps.batchSize ?? 50;
  return transaction(deps.db, async (trx) => {
    const rows = await claimPending(trx, batchSize, deps.partition);
    if (rows.length === 0) return { claimed: 0, done: 0, failed: 0 };
    const now = deps.now();
    const feeds = new Map<string, Feed>();
    const counters = new Map<string, { accepted: number; rejected: number; success: boolean }>();
    const outcomes: Array<{ row: ClaimedRow; outcome: ApplyOutcome }> = [];
    const writes = new ResourceWrites();
    const done: number[] = [];
    let failed = 0;
    const feedOf = async (row: ClaimedRow): Promise<Feed> => {
      let feed = feeds.get(row.feed_id);
      if (!feed) {
        feed = (await getFeed(trx, row.feed_id)) ?? undefined;
        if (!feed) throw new Error(`inbox row ${row.id} names feed ${row.feed_id}, which does not exist`);
        feeds.set(row.feed_id, feed);
      }
      return feed;
    };
    const counterOf = (feedId: string): { accepted: number; rejected: number; success: boolean } => {
      const c = counters.get(feedId) ?? { accepted: 0, rejected: 0, success: false };
      counters.set(feedId, c);
      return c;
    };
    const contextOf = (row: ClaimedRow, feed: Feed) => ({ feed, receivedAt: row.received_at, arrival: row.id, ...(deps.categorise ? { categorise: deps.categorise } : {}) });
    if (!careful) {
      // Every row mapped first, then applied together: the person index links the whole batch at once.
      const mapped: Array<{ row: ClaimedRow; feed: Feed; errors: Array<{ content: string; error: IngestError }>; item: ApplyItem }> = [];
      let applied: ApplyOutcome[];
      try {
        for (const row of rows) {
          const feed = await feedOf(row);
          const m = await deps.mapStored(row, feed, trx);
          mapped.push({ row, feed, errors: m.errors, item: { actions: m.actions, ctx: contextOf(row, feed) } });
        }
        applied = await applyBatch(trx, mapped.map((m) => m.item), writes);
        await writes.flush(trx);
      } catch (err) {
        if (isRetryable(err)) throw err;
        throw new BatchRowFailed(err instanceof Error ? err.message : String(err));
      }
      for (const [i, { row, feed, errors }] of mapped.entries()) {
        const c = counterOf(feed.id);
        for (const e of errors) await addDeadLetter(trx, feed.id, deadLetterKind(row), e.content, e.error, now);
        outcomes.push({ row, outcome: applied[i]! });
        done.push(row.id);
        c.accepted += Math.max(0, row.units - errors.length);
        c.rejected += errors.length;
        c.success = true;
      }
    }
    for (const row of careful ? rows : []) {
      const feed = await feedOf(row);
      const c = counterOf(feed.id);
      await sql`savepoint row_work`.execute(trx);
      try {
        const mapped = await deps.mapStored(row, feed, trx);
        const outcome = await applyActions(trx, mapped.actions, contextOf(row, feed), writes);
        await writes.flush(trx);
        for (const e of mapped.errors) await addDeadLetter(trx, feed.id, deadLetterKind(row), e.content, e.error, now);
        await sql`release savepoint row_work`.execute(trx);
        outcomes.push({ row, outcome });
        done.push(row.id);
        c.accepted += Math.max(0, row.units - mapped.errors.length);
        c.rejected += mapped.errors.length;
        c.success = true;
      } catch (err) {
        // Transient (deadlock, serialisation): the whole batch is retried, never dead-lettered.
        if (isRetryable(err)) throw err;
        await sql`rollback to savepoint row_work`.execute(trx);
        const message = err instanceof Error ? err.message : String(err);
        await addDeadLetter(trx, feed.id, deadLetterKind(row), row.content, {
          code: 'processing-failed', message: `stored message could not be applied: ${message}`, where: {},
        }, now);
        await markProcessed(trx, [row.id], 'failed', now, message);
        c.rejected += row.units;
        failed++;
      }
    }
    await markProcessed(trx, done, 'done', now);
    for (const [feedId, c] of counters) await bumpFeedCounters(trx, feedId, c, c.success ? now : null);
    if (deps.onBatch) await deps.onBatch(trx, outcomes);
    return { claimed: rows.length, done: done.length, failed };
  });
}

function deadLetterKind(row: ClaimedRow): 'hl7v2' | 'fhir-bundle' | 'csv-row' {
  if (row.kind === 'hl7v2') return 'hl7v2';
  if (row.kind === 'fhir-bundle') return 'fhir-bundle';
  return 'csv-row';
}

/**
 * After a claim that found nothing, how long a woken worker still waits before claiming again.
 * Every stored message wakes the idle workers; a worker whose share of the feeds has nothing
 * pending (with two workers, both HL7 feeds of the generated county hash to one share) would
 * otherwise claim again for every message stored, and each such claim reads through the whole
 * pending backlog of the other shares, since the share is worked out row by row — database time
 * taken from the very inserts senders wait on, growing with the backlog. New work in an idle
 * share is picked up at most this much later; a busy worker is never held back.
 */
export const EMPTY_CLAIM_GAP_MS = 100;

export function delayBeforeClaim(lastEmptyAt: number | null, now: number, gapMs = EMPTY_CLAIM_GAP_MS): number {
  if (lastEmptyAt === null) return 0;
  return Math.max(0, Math.min(gapMs, lastEmptyAt + gapMs - now));
}

/**
 * Workers give way to the inbox writer (see InboxWriter.giveWay) so that senders' ACKs do not
 * queue behind batches. The embedded engine (PGlite) has one connection, which a worker's
 * transaction holds for a whole batch, and runs on this very thread — measured on 10,000 persons
 * over 16 MLLP connections, HL7 ACKs went from about 200/s to 2,900/s, and end to end from 200/s
 * to 500/s. On PostgreSQL the workers run in processes of their own at a lower priority, but the
 * database backends serving them do not (nobody can lower those from here), and on a machine short
 * of CPU they took it from the inserts senders wait on: those workers ask the server first (see
 * workerProcesses.ts), which holds them back only while receiving keeps its event loop busy, and
 * then until senders have been quiet a much shorter while (OHC_INGEST_WORKER_GIVE_WAY_MS; see
 * givingWayWhenBusy). Measured at 100,000 persons on PostgreSQL: HL7 ACKs 2,159/s against 1,608
 * without, FHIR resources 13,378 against 12,033. Under a steady stream each worker still runs a
 * batch at least every GIVE_WAY_MAX_MS, so the backlog moves; it drains at full speed once senders
 * pause.
 */
const GIVE_WAY_QUIET_MS = 20;
const GIVE_WAY_MAX_MS = 1000;

/** Resolves when workers may take their next batch: senders have gone quiet, or they have waited long enough. */
export function givingWayTo(writer: InboxWriter, quietMs = GIVE_WAY_QUIET_MS): () => Promise<void> {
  return () => writer.giveWay(quietMs, GIVE_WAY_MAX_MS);
}

/** Share of its time this server's event loop was busy, above which workers elsewhere give way. */
export const BUSY_LOOP_SHARE = 0.7;

/**
 * For workers in processes of their own (PostgreSQL): they give way (givingWayTo) only while
 * receiving keeps this server's event loop busy — a burst that wants the machine. A moderate
 * stream leaves the loop mostly idle, and the workers must keep up with it: waiting for a gap
 * between messages regardless held them to a batch a second each under a few hundred messages a
 * second from one sender, and the backlog grew for as long as the stream lasted.
 */
export function givingWayWhenBusy(writer: InboxWriter, quietMs: number, utilisation: () => number = loopUtilisation()): () => Promise<void> {
  const wait = givingWayTo(writer, quietMs);
  return () => (utilisation() >= BUSY_LOOP_SHARE ? wait() : Promise.resolve());
}

/** This thread's event-loop utilisation over the latest window of at least `windowMs` (0 before the first). */
export function loopUtilisation(windowMs = 100): () => number {
  let mark = performance.eventLoopUtilization();
  let markedAt = performance.now();
  let latest = 0;
  return () => {
    const now = performance.now();
    if (now - markedAt >= windowMs) {
      const next = performance.eventLoopUtilization();
      latest = performance.eventLoopUtilization(next, mark).utilization;
      mark = next;
      markedAt = now;
    }
    return latest;
  };
}

async function hasOneConnection(db: Kysely<Tables>): Promise<boolean> {
  try {
    const r = await sql<{ v: string }>`select version() as v`.execute(db);
    return /PGlite/i.test(r.rows[0]?.v ?? '');
  } catch {
    return false;
  }
}

/**
 * Runs `count` workers until stopped. Workers sleep when the inbox is empty and are woken by
 * `wake()` when something is stored (no sooner than EMPTY_CLAIM_GAP_MS after finding nothing).
 */
export interface Workers { wake(): void; stop(): Promise<void>; drained(): Promise<void> }

export interface WorkerLoopOptions {
  /**
   * Where these workers sit among all the workers claiming from one inbox — several processes on
   * PostgreSQL each run some — so that every worker anywhere owns its own share of the feeds
   * (worker i here claims share first + i of of). Default: these are all the workers.
   */
  share?: { of: number; first: number };
  /**
   * Waited on before each claim (see givingWayTo). Default: on an engine with one connection, the
   * inbox writer of this process; otherwise none.
   */
  giveWay?: () => Promise<void>;
}

export function startWorkers(deps: WorkerDeps, count: number, onError: (err: unknown) => void, opts: WorkerLoopOptions = {}): Workers {
  const share = opts.share ?? { of: count, first: 0 };
  let stopping = false;
  let wakers: Array<() => void> = [];
  // Each waiter waits for every worker to have found its share empty since it asked: one idle
  // worker is not enough, as another may be in the middle of a batch or not yet have claimed.
  let idleWaiters: Array<{ left: Set<number>; resolve: () => void }> = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      wakers = wakers.filter((w) => w !== done);
      resolve();
    }
    wakers.push(done);
  });
  let stopped = () => undefined as void;
  const stopSignal = new Promise<void>((resolve) => { stopped = resolve; });
  const oneConnection = opts.giveWay ? Promise.resolve(false) : hasOneConnection(deps.db);
  const loop = async (index: number) => {
    const own: WorkerDeps = { ...deps, partition: { of: share.of, index: share.first + index } };
    let lastEmptyAt: number | null = null;
    const writer = (await oneConnection) ? inboxWriterFor(deps.db) : undefined;
    const giveWay = opts.giveWay ?? (writer ? givingWayTo(writer) : undefined);
    while (!stopping) {
      if (giveWay) await Promise.race([giveWay(), stopSignal]);
      const wait = delayBeforeClaim(lastEmptyAt, performance.now());
      if (wait > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((resolve) => { timer = setTimeout(resolve, wait); }), stopSignal]);
        clearTimeout(timer);
        if (stopping) break;
      }
      // Only waiters already waiting when the claim began may count its empty answer.
      const asked = idleWaiters.slice();
      let r: BatchResult = { claimed: 0, done: 0, failed: 0 };
      try {
        r = await processBatch(own);
      } catch (err) {
        onError(err);
      }
      lastEmptyAt = r.claimed === 0 && !r.retryLater ? performance.now() : null;
      if (r.claimed === 0 && !r.retryLater) {
        for (const w of asked) w.left.delete(index);
        const still = idleWaiters.filter((w) => w.left.size > 0);
        const done = idleWaiters.filter((w) => w.left.size === 0);
        idleWaiters = still;
        done.forEach((w) => w.resolve());
        // Someone asked while this claim was under way: claim again soon (after the gap) to answer.
        if (!still.some((w) => w.left.has(index))) await sleep(500);
      }
    }
  };
  const loops = Array.from({ length: count }, (_, i) => loop(i));
  return {
    wake: () => wakers.slice().forEach((w) => w()),
    async stop() {
      stopping = true;
      stopped();
      wakers.slice().forEach((w) => w());
      await Promise.all(loops);
    },
    /** Resolves once every worker has found its share of the inbox empty since this was asked. */
    drained: () => new Promise<void>((resolve) => {
      if (count === 0) return resolve();
      idleWaiters.push({ left: new Set(Array.from({ length: count }, (_, i) => i)), resolve });
      wakers.slice().forEach((w) => w());
    }),
  };
}
