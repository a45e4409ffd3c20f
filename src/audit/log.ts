/**
 * Appending to the audit log, inside the caller's transaction: the event commits with the act it
 * records or not at all. Concurrency: the one-row chain head is locked FOR UPDATE, so every
 * transaction and server process takes seq and prevHash from it in turn and the log stays one
 * gapless chain; the lock is held until the caller commits, so append as late in the transaction
 * as the act allows. Every `checkpointEvery` events a checkpoint of the head is signed, stored
 * and recorded in the log itself. Any failure is an AuditUnavailableError: a read whose audit
 * cannot be written must return nothing (fail closed), so callers let it end the transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import {
  auditEventDraftProblems,
  canonicalParts,
  chainCheckedDrafts,
  chainedEvent,
  chainNext,
  checkpointDraft,
  isHex64,
  sha256Hex,
  signCheckpoint,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditEventDraft,
  type CanonicalParts,
  type ChainHead,
} from './chain/index.ts';
import { INSERT_COLUMNS, insertEventsSql } from './rows.ts';
import { auditSettings, checkpointSigner, type AuditSettings } from './settings.ts';

export type AuditUnavailableCode = 'invalid-event' | 'write-failed' | 'signing-failed';

/** The audit could not be written; the HTTP edge answers 503 with an OperationOutcome. */
export class AuditUnavailableError extends Error {
  readonly code: AuditUnavailableCode;
  /** Which draft (`drafts[i]`) and field, or the step that failed; never a value. */
  readonly where: string;
  constructor(code: AuditUnavailableCode, message: string, where: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditUnavailableError';
    this.code = code;
    this.where = where;
  }
}

export interface AppendOptions {
  /** Default: the process settings (configureAudit). */
  settings?: AuditSettings;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Rows per INSERT statement: bounds the size of one JSON parameter for very large batches.
const ROWS_PER_STATEMENT = 5000;

/**
 * Appends one event in `trx` (a transaction handle) and returns it chained. One statement: it
 * locks the head, moves it on, and inserts the event hashed by the database over the canonical
 * text prepared here (canonicalParts) and the head it locked, so the audited act waits for one
 * round trip, not two. The hash is checked here before the event is returned.
 */
export async function appendAudit(trx: Kysely<Tables>, draft: AuditEventDraft, options: AppendOptions = {}): Promise<AuditEvent> {
  const settings = options.settings ?? auditSettings();
  const ready = checkedDraft(draft, 0);
  const parts = canonicalParts(ready);
  const stored = await step('write-failed', 'audit-events', () => appendOne(trx, ready, parts));
  const seq = Number(stored.seq);
  if (!isHex64(stored.prev_hash)) throw new AuditUnavailableError('write-failed', 'the audit event could not be written (the chain head is malformed)', 'chain-head');
  // The database hashed what it was given; a server whose text is not UTF-8 underneath would hash
  // other bytes and leave an event no verifier accepts. Refusing here keeps the act from happening.
  if (sha256Hex(parts.beforePrevHash + stored.prev_hash + parts.beforeSeq + String(seq) + parts.after) !== stored.hash) {
    throw new AuditUnavailableError('write-failed', 'the audit event could not be written (the database hashed it differently)', 'audit-events');
  }
  const event = chainedEvent(ready, seq, stored.prev_hash, stored.hash);
  await checkpointIfDue(trx, { seq: seq - 1, hash: stored.prev_hash }, event, settings);
  return event;
}

/** The one statement of appendAudit; returns what the database decided (seq, prev_hash, hash). */
async function appendOne(trx: Kysely<Tables>, d: AuditEventDraft, parts: CanonicalParts): Promise<{ seq: number; prev_hash: string; hash: string }> {
  const r = await sql<{ seq: number; prev_hash: string; hash: string }>`
    with head as (select seq, hash from audit_chain_head where id for update),
    moved as (
      update audit_chain_head h
         set seq = head.seq + 1,
             hash = encode(sha256(convert_to(${parts.beforePrevHash}::text || head.hash || ${parts.beforeSeq}::text || (head.seq + 1)::text || ${parts.after}::text, 'UTF8')), 'hex')
        from head
       where h.id
      returning h.seq, h.hash, head.hash as prev_hash
    )
    insert into audit_events (${sql.raw(INSERT_COLUMNS)})
    select moved.seq, ${d.time}::timestamptz, ${d.actor.kind}, ${d.actor.id}, ${d.actor.organisationOds ?? null}, ${d.actor.role ?? null}, ${d.action},
           ${d.personId ?? null}::uuid, ${d.purpose ?? null}, ${d.outcome}, ${JSON.stringify(d.details)}::jsonb, moved.prev_hash, moved.hash
      from moved
    returning seq, prev_hash, hash`.execute(trx);
  const row = r.rows[0];
  if (!row) throw new Error('the audit chain head row is missing');
  return row;
}

/**
 * Appends several events in order under one head lock (the fast path for bulk work). Returns the
 * events for the drafts; a checkpoint event, when one falls due, follows them in the log.
 */
export async function appendAuditMany(trx: Kysely<Tables>, drafts: readonly AuditEventDraft[], options: AppendOptions = {}): Promise<AuditEvent[]> {
  if (drafts.length === 0) return [];
  if (drafts.length === 1) return [await appendAudit(trx, drafts[0] as AuditEventDraft, options)];
  const settings = options.settings ?? auditSettings();
  // Checked before the head is locked, so a bad draft never holds up other writers.
  const ready = drafts.map(checkedDraft);
  const head = await step('write-failed', 'chain-head', () => lockHead(trx));
  const events = chainCheckedDrafts(head, ready);
  await step('write-failed', 'audit-events', () => writeEvents(trx, events));
  await checkpointIfDue(trx, head, events[events.length - 1] as AuditEvent, settings);
  return events;
}

/**
 * Every `checkpointEvery` events a checkpoint of the head is signed, stored, and recorded in the
 * log right after `last` (which must be the head, locked by `trx`); `before` is the head before
 * this append.
 */
async function checkpointIfDue(trx: Kysely<Tables>, before: ChainHead, last: AuditEvent, settings: AuditSettings): Promise<void> {
  const every = settings.checkpointEvery;
  if (!(every > 0 && Math.floor(last.seq / every) > Math.floor(before.seq / every))) return;
  const checkpoint = await step('signing-failed', 'checkpoint', async () => signCheckpoint(last, last.time, await checkpointSigner(trx, settings)));
  await step('write-failed', 'audit-events', () => writeEvents(trx, [chainNext(last, checkpointDraft(checkpoint))]));
  await step('write-failed', 'checkpoint', () => storeCheckpoint(trx, 'periodic', checkpoint));
}

/**
 * Signs the current head now and records it (log and checkpoints table), e.g. to publish it
 * elsewhere. Null when the log is empty. Runs its own transaction.
 */
export async function checkpointNow(db: Kysely<Tables>, opts: { now: Date; settings?: AuditSettings }): Promise<AuditCheckpoint | null> {
  return db.transaction().execute(async (trx) => {
    const head = await step('write-failed', 'chain-head', () => lockHead(trx));
    if (head.seq === 0) return null;
    const signer = await step('signing-failed', 'checkpoint', () => checkpointSigner(trx, opts.settings ?? auditSettings()));
    const cp = signCheckpoint(head, opts.now.toISOString(), signer);
    await step('write-failed', 'audit-events', () => writeEvents(trx, [chainNext(head, checkpointDraft(cp))]));
    await step('write-failed', 'checkpoint', () => storeCheckpoint(trx, 'on-demand', cp));
    return cp;
  });
}

/** Locks the chain head for the rest of `trx` and reads it. */
export async function lockHead(trx: Kysely<Tables>): Promise<ChainHead> {
  const row = await trx.selectFrom('audit_chain_head').select(['seq', 'hash']).where('id', '=', true).forUpdate().executeTakeFirst();
  if (!row) throw new Error('the audit chain head row is missing');
  return { seq: Number(row.seq), hash: row.hash };
}

/** Inserts chained events and moves the head to the last; the head must be locked by `trx`. */
export async function writeEvents(trx: Kysely<Tables>, events: readonly AuditEvent[]): Promise<void> {
  const last = events[events.length - 1];
  if (!last) return;
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const insert = insertEventsSql('audit_events', events.slice(i, i + ROWS_PER_STATEMENT));
    if (i + ROWS_PER_STATEMENT >= events.length) {
      // The last (usually only) chunk moves the head in the same statement: one round trip.
      await sql`with ins as (${insert}) update audit_chain_head set seq = ${last.seq}, hash = ${last.hash} where id`.execute(trx);
    } else {
      await insert.execute(trx);
    }
  }
}

export async function storeCheckpoint(trx: Kysely<Tables>, kind: 'periodic' | 'purge-boundary' | 'on-demand', cp: AuditCheckpoint): Promise<void> {
  await trx.insertInto('audit_checkpoints').values({ kind, seq: cp.seq, hash: cp.hash, time: cp.time, key_id: cp.keyId, signature: cp.signature }).execute();
}

/** The draft as it will be chained (person id lower-cased), or AuditUnavailableError('invalid-event') naming `drafts[i]`'s field. */
export function checkedDraft(draft: AuditEventDraft, i: number): AuditEventDraft {
  const problems = auditEventDraftProblems(draft);
  if (problems.length > 0) {
    const first = problems[0];
    throw new AuditUnavailableError('invalid-event', `the audit event is invalid: ${problems.map((p) => p.message).join('; ')}`, `drafts[${i}]${first ? `.${first.where}` : ''}`);
  }
  if (draft.personId === undefined) return draft;
  if (!UUID.test(draft.personId)) throw new AuditUnavailableError('invalid-event', 'the audit event is invalid: personId is not a UUID', `drafts[${i}].personId`);
  const lower = draft.personId.toLowerCase();
  return lower === draft.personId ? draft : { ...draft, personId: lower };
}

async function step<T>(code: AuditUnavailableCode, where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AuditUnavailableError) throw err;
    // Only the SQLSTATE: a database message may quote the values it choked on.
    const state = (err as { code?: unknown } | null)?.code;
    const detail = typeof state === 'string' ? ` (database error ${state})` : '';
    const what = code === 'signing-failed' ? 'the audit checkpoint could not be signed' : 'the audit event could not be written';
    throw new AuditUnavailableError(code, `${what}${detail}`, where, { cause: err });
  }
}
