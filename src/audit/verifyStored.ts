/**
 * Verifies the stored audit log end to end: streams every event in seq order in keyset pages
 * (PGlite has no cursors; one huge query would hold the whole log in memory), through the pure
 * ChainVerifier, starting after the latest purge boundary, against every stored (and any
 * externally published) signed checkpoint and the chain head. Names the first bad event.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { ChainVerifier, type AuditCheckpoint, type AuditEvent, type ChainHead, type KeyInput, type PublicKeySet, type VerifyResult } from './chain/index.ts';
import { EVENT_COLUMNS, eventFromRow, TIME_AS_ISO } from './rows.ts';
import { storedPublicKeys } from './settings.ts';

export interface StoredVerifyOptions {
  /** Keys trusted from outside the database (keyId → PEM, JWK or KeyObject). */
  publicKeys?: PublicKeySet;
  /**
   * Also trust the keys registered in audit_keys (default true). Turn off, and pass publicKeys,
   * to verify against someone who can write to this database.
   */
  trustStoredKeys?: boolean;
  /** Checkpoints published elsewhere: the stored log must still reach them unchanged. */
  checkpoints?: readonly AuditCheckpoint[];
  /** Events per page (default 5000). */
  pageSize?: number;
  onProgress?: (eventsRead: number) => void;
}

export type StoredVerifyResult = VerifyResult & {
  /** The purge boundary the log was checked from (seq 0: the genesis). */
  startAfterSeq: number;
  /** Signed checkpoints the log was checked against (boundary included). */
  checkpoints: number;
  /** The chain head as stored when the check began. */
  head: ChainHead;
};

interface StoredCheckpoints {
  boundary: AuditCheckpoint | undefined;
  others: AuditCheckpoint[];
}

export async function verifyStoredAudit(db: Kysely<Tables>, options: StoredVerifyOptions = {}): Promise<StoredVerifyResult> {
  const first = await verifyOnce(db, options);
  if (first.ok) return first;
  // A purge that committed while we read makes a sound log look cut; check again from its boundary.
  const { boundary } = await readCheckpoints(db);
  if ((boundary?.seq ?? 0) !== first.startAfterSeq) return verifyOnce(db, options);
  return first;
}

async function verifyOnce(db: Kysely<Tables>, options: StoredVerifyOptions): Promise<StoredVerifyResult> {
  const headRow = await db.selectFrom('audit_chain_head').select(['seq', 'hash']).where('id', '=', true).executeTakeFirst();
  const head: ChainHead = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : { seq: 0, hash: '0'.repeat(64) };
  const { boundary, others } = await readCheckpoints(db);
  const checkpoints = [...others, ...(options.checkpoints ?? [])];
  const publicKeys = await trustedKeys(db, options);
  const verifier = new ChainVerifier({
    checkpoints,
    publicKeys,
    ...(boundary ? { startAfter: boundary } : {}),
    // A head that went missing (no row) is itself tampering; the verifier then sees a cut log.
    expectedHead: head,
  });
  let read = 0;
  for await (const page of pages(db, options.pageSize ?? 5000)) {
    let more = true;
    for (const event of page) {
      if (!verifier.push(event)) {
        more = false;
        break;
      }
    }
    read += page.length;
    options.onProgress?.(read);
    if (!more) break;
  }
  const result = verifier.finish();
  return { ...result, startAfterSeq: boundary?.seq ?? 0, checkpoints: checkpoints.length + (boundary ? 1 : 0), head };
}

async function trustedKeys(db: Kysely<Tables>, options: StoredVerifyOptions): Promise<PublicKeySet> {
  const keys = new Map<string, KeyInput>();
  if (options.trustStoredKeys ?? true) for (const [id, pem] of Object.entries(await storedPublicKeys(db))) keys.set(id, pem);
  const given = options.publicKeys;
  if (given instanceof Map) for (const [id, k] of given as ReadonlyMap<string, KeyInput>) keys.set(id, k);
  else if (given) for (const [id, k] of Object.entries(given as Readonly<Record<string, KeyInput>>)) keys.set(id, k);
  return keys;
}

/** The stored checkpoints: the latest purge boundary, and every other one. */
export async function readCheckpoints(db: Kysely<Tables>): Promise<StoredCheckpoints> {
  const rows = await db.selectFrom('audit_checkpoints').select(['kind', 'seq', 'hash', 'time', 'key_id', 'signature']).orderBy('id').execute();
  let boundary: AuditCheckpoint | undefined;
  const others: AuditCheckpoint[] = [];
  for (const r of rows) {
    const cp: AuditCheckpoint = { seq: Number(r.seq), hash: r.hash, time: r.time.toISOString(), keyId: r.key_id, signature: r.signature };
    if (r.kind === 'purge-boundary') {
      if (!boundary || cp.seq > boundary.seq) boundary = cp;
    } else {
      others.push(cp);
    }
  }
  return { boundary, others };
}

/**
 * Every stored event in (seq, time) order, a page at a time, the next page fetched while this one
 * is checked. Pages are seq ranges, not `ORDER BY … LIMIT` (which, on a table the planner has no
 * statistics for yet, sorts the whole remainder for every page): a range picks up every row in
 * it, so a second row carrying a seq (an insertion the verifier must see) is never skipped, and
 * an empty range jumps straight to the next stored seq, so gaps cost one query, not many.
 */
export async function* pages(db: Kysely<Tables>, pageSize: number): AsyncGenerator<AuditEvent[]> {
  const bounds = await db.selectFrom('audit_events').select((eb) => [eb.fn.min('seq').as('lo'), eb.fn.max('seq').as('hi')]).executeTakeFirst();
  if (bounds?.lo == null || bounds.hi == null) return;
  const top = Number(bounds.hi);
  const fetch = (lo: number) => {
    const p = db
      .selectFrom('audit_events')
      .select([...COLUMNS_BUT_TIME, sql<string>`${sql.raw(TIME_AS_ISO)}`.as('time')])
      .where('seq', '>=', lo)
      .where('seq', '<', lo + pageSize)
      .execute();
    // A reader that stops early never awaits the prefetched page; its failure must not go unhandled.
    p.catch(() => undefined);
    return p;
  };
  let lo = Number(bounds.lo);
  let pending = fetch(lo);
  while (lo <= top) {
    const rows = await pending;
    let next = lo + pageSize;
    if (rows.length === 0) {
      const after = await db.selectFrom('audit_events').select((eb) => eb.fn.min('seq').as('seq')).where('seq', '>=', next).executeTakeFirst();
      if (after?.seq == null) return;
      next = Number(after.seq);
    }
    lo = next;
    if (lo <= top) pending = fetch(lo);
    // Sorted here, not by the database: a page is small, and the planner would often sort it slower.
    if (rows.length > 0) yield rows.sort(bySeqThenTime).map(eventFromRow);
  }
}

const COLUMNS_BUT_TIME = EVENT_COLUMNS.filter((c): c is Exclude<(typeof EVENT_COLUMNS)[number], 'time'> => c !== 'time');

function bySeqThenTime(a: { seq: number | string; time: string }, b: { seq: number | string; time: string }): number {
  const d = Number(a.seq) - Number(b.seq);
  return d !== 0 ? d : a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}
