/**
 * Verifies the stored audit log end to end: streams every event in seq order in keyset pages
 * (PGlite has no cursors; one huge query would hold the whole log in memory), through the pure
 * ChainVerifier, starting after the latest purge boundary, against every stored (and any
 * externally published) signed checkpoint and the chain head. Names the first bad event.
 * Speed: the database writes each event's canonical text around its details (rows.ts), so the
 * usual intact event costs one canonicalised details object and one hash, not an object rebuilt
 * and walked; anything irregular is read again in full and judged by the exact verifier.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import {
  ChainVerifier,
  sha256Hex,
  type AuditCheckpoint,
  type ChainHead,
  type ChainLink,
  type KeyInput,
  type PublicKeySet,
  type VerifyResult,
} from './chain/index.ts';
import { CANONICAL_AROUND_DETAILS_SQL, canonicalFromStored, EVENT_COLUMNS, eventFromRow, TIME_AS_ISO } from './rows.ts';
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
  /** Events per page (default 4000). */
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
  for await (const page of rangePages(db, options.pageSize ?? DEFAULT_PAGE, fetchLinks)) {
    const settled = await verifyPage(db, verifier, page);
    read += page.rows.length;
    options.onProgress?.(read);
    if (settled) break;
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

// Small enough that a page's rows die young (a large page outlives the collector's nursery and
// costs more in garbage collection than the round trips it saves), large enough to amortise them.
const DEFAULT_PAGE = 4000;
// Pages asked for ahead of the one being checked.
const AHEAD = 2;

/**
 * One event as the verifier's fast path reads it: the chain fields and the canonical text around
 * details. `action` is read only for checkpoint events (NULL otherwise: the driver makes no string).
 */
interface LinkRow extends ChainLink {
  around: string;
}

interface Page<R> {
  /** The seq range [lo, hi) the rows were read from. */
  lo: number;
  hi: number;
  rows: R[];
}

/**
 * Checks one page: on the fast path when the page is regular (seqs consecutive, once each) and
 * the verifier has nothing half-judged, hashing the text the database serialised; from the first
 * event the fast path cannot vouch for, the page is read again as full events and pushed through
 * the exact verifier, which names what happened. Returns true once the verdict is settled.
 */
async function verifyPage(db: Kysely<Tables>, verifier: ChainVerifier, page: Page<LinkRow>): Promise<boolean> {
  const rows = page.rows.sort(bySeq);
  let fromSeq = Number.NEGATIVE_INFINITY;
  if (verifier.clean && consecutive(rows)) {
    let i = 0;
    for (; i < rows.length; i++) {
      const r = rows[i] as LinkRow;
      const taken = verifier.pushIntact(r, ownHash(r));
      if (taken === undefined) break;
      if (!taken) return true;
    }
    if (i === rows.length) return false;
    fromSeq = (rows[i] as LinkRow).seq;
  }
  const events = (await fetchEvents(db, page.lo, page.hi)).sort(bySeqThenTime).map(eventFromRow);
  for (const event of events) {
    if (event.seq < fromSeq) continue;
    if (!verifier.push(event)) return true;
  }
  return false;
}

/** The hash of the event as stored; '' (never a hash) when it cannot be serialised. */
function ownHash(r: LinkRow): string {
  try {
    return sha256Hex(canonicalFromStored(r.around, r.details));
  } catch {
    return '';
  }
}

function consecutive(rows: readonly LinkRow[]): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i] as LinkRow).seq !== (rows[i - 1] as LinkRow).seq + 1) return false;
  return true;
}

function fetchLinks(db: Kysely<Tables>, lo: number, hi: number): Promise<LinkRow[]> {
  return db
    .selectFrom('audit_events')
    .select([
      'seq',
      sql<string>`${sql.raw(CANONICAL_AROUND_DETAILS_SQL)}`.as('around'),
      'details',
      'prev_hash as prevHash',
      'hash',
      sql<string | null>`case when action = 'checkpoint' then action end`.as('action'),
    ])
    .where('seq', '>=', lo)
    .where('seq', '<', hi)
    .execute();
}

function fetchEvents(db: Kysely<Tables>, lo: number, hi: number) {
  return db
    .selectFrom('audit_events')
    .select([...COLUMNS_BUT_TIME, sql<string>`${sql.raw(TIME_AS_ISO)}`.as('time')])
    .where('seq', '>=', lo)
    .where('seq', '<', hi)
    .execute();
}

/**
 * Every stored event in seq ranges, a page at a time, the next AHEAD pages fetched while this one
 * is checked (on PostgreSQL on separate connections, so the server builds them in parallel).
 * Pages are seq ranges, not `ORDER BY … LIMIT` (which, on a table the planner has no statistics
 * for yet, sorts the whole remainder for every page): a range picks up every row in it, so a
 * second row carrying a seq (an insertion the verifier must see) is never skipped, and an empty
 * range jumps straight to the next stored seq, so gaps cost one query, not many. Rows come
 * unsorted: a page is small, and the planner would often sort it slower.
 */
async function* rangePages<R>(
  db: Kysely<Tables>,
  pageSize: number,
  read: (db: Kysely<Tables>, lo: number, hi: number) => Promise<R[]>,
): AsyncGenerator<Page<R>> {
  const bounds = await db.selectFrom('audit_events').select((eb) => [eb.fn.min('seq').as('lo'), eb.fn.max('seq').as('hi')]).executeTakeFirst();
  if (bounds?.lo == null || bounds.hi == null) return;
  const top = Number(bounds.hi);
  const queue: Promise<Page<R>>[] = [];
  let nextLo = Number(bounds.lo);
  const fill = () => {
    while (queue.length < AHEAD && nextLo <= top) {
      const lo = nextLo;
      const p = read(db, lo, lo + pageSize).then((rows) => ({ lo, hi: lo + pageSize, rows }));
      // A reader that stops early never awaits the prefetched pages; their failure must not go unhandled.
      p.catch(() => undefined);
      queue.push(p);
      nextLo = lo + pageSize;
    }
  };
  fill();
  for (let pending = queue.shift(); pending !== undefined; pending = queue.shift()) {
    const page = await pending;
    if (page.rows.length === 0 && page.hi >= nextLo) {
      // A gap reaching past every page asked for: jump to the next stored seq.
      const after = await db.selectFrom('audit_events').select((eb) => eb.fn.min('seq').as('seq')).where('seq', '>=', page.hi).executeTakeFirst();
      if (after?.seq == null) return;
      nextLo = Number(after.seq);
    }
    fill();
    if (page.rows.length > 0) yield page;
  }
}

const COLUMNS_BUT_TIME = EVENT_COLUMNS.filter((c): c is Exclude<(typeof EVENT_COLUMNS)[number], 'time'> => c !== 'time');

function bySeq(a: { seq: number }, b: { seq: number }): number {
  return a.seq - b.seq;
}

function bySeqThenTime(a: { seq: number | string; time: string }, b: { seq: number | string; time: string }): number {
  const d = Number(a.seq) - Number(b.seq);
  return d !== 0 ? d : a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}
