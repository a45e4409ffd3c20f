/**
 * The verifier: reads an audit log in seq order, once, in constant memory, and either vouches for
 * it (count and head) or names the first bad event and what was done to it. It checks every
 * event's own hash, every link to the event before, gapless seq, signed checkpoints (a rewritten
 * history or a cut-off tail cannot match them), in-log checkpoint events, a purge boundary to
 * start from, and optionally an expected head.
 *
 * How the kinds of tampering are told apart (only seq, hashes and one event of lookahead are
 * kept, so memory stays O(1) however long the log):
 *
 *  - The event's own hash is wrong, its seq is the expected one and its link is right: its content
 *    (any field, or the stored hash) changed after it was written → `edited`.
 *  - Own hash wrong but right for seq+d: the event was renumbered down, which only happens when d
 *    events before it were removed and the rest shuffled up to hide the gap → `deleted`; unless the
 *    next event's hash is the one this event says precedes it, i.e. the two swapped places → `reordered`.
 *  - Own hash wrong but right for seq-d: renumbered up, to make room for d events → `inserted` (at the
 *    first of the added seqs). Likewise when the next event is a genuine event that belongs at this
 *    seq (its hash is right here, or right one lower, and it links to the previous event): this one
 *    was slipped in → `inserted`.
 *  - Own hash wrong but right with the seq we expected: only the seq field was changed → `edited`.
 *  - Own hash right but the link is wrong: the event before was changed and its hash recomputed
 *    (the attacker could not fix this one without recomputing the rest) → `edited` at the event
 *    before; unless both events claim the same predecessor, i.e. the one before was slipped in
 *    between → `inserted` at the event before. For the first event after the genesis or purge
 *    boundary the boundary itself disagrees → `hash-mismatch`.
 *  - A seq jump: the missing seqs are remembered (two numbers) and the rest of the log is read;
 *    if one of them turns up later the events are out of order → `reordered` (naming the event that
 *    came too early), otherwise they are gone → `deleted` (naming the first missing seq).
 *  - A seq already seen: a second event claims it → `inserted`.
 *  - A fully consistent chain that disagrees with a signed checkpoint or the expected head:
 *    history up to there was rewritten and re-hashed end to end → `hash-mismatch`.
 *  - The log ends before a signed checkpoint's seq or the expected head → `truncated`.
 *  - A checkpoint whose signature fails, or whose key is not trusted → `bad-checkpoint-signature`.
 *    Checkpoints given without `publicKeys` cannot be trusted and are reported the same way.
 *
 * Times are not required to increase: seq is the order, and clocks on different API nodes skew.
 * Stored events must read back exactly as hashed: absent optional fields absent, not null (see
 * auditEventFromStored).
 */
import { canonicalJsonWithout } from './canonical.ts';
import { isCheckpointShape, verifyCheckpoint, type AuditCheckpoint, type CheckpointVerdict, type PublicKeySet } from './checkpoint.ts';
import { GENESIS_HEAD, isHex64, type AuditEvent, type ChainHead } from './event.ts';
import { sha256Hex } from './hash.ts';

export type ChainProblem =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'bad-checkpoint-signature'
  | 'hash-mismatch';

export interface FirstBad {
  seq: number;
  problem: ChainProblem;
  /** Names seqs only; never event content. */
  message: string;
}

export type VerifyResult =
  | { ok: true; count: number; lastSeq: number; lastHash: string }
  | { ok: false; count: number; firstBad: FirstBad };

export interface VerifyOptions {
  /** Signed checkpoints kept apart from the log, in any order. */
  checkpoints?: readonly AuditCheckpoint[];
  /** keyId → Ed25519 public key (PEM, JWK or KeyObject). */
  publicKeys?: PublicKeySet;
  /** Where the kept log starts: the purge-boundary checkpoint (signature checked) or a trusted head. */
  startAfter?: ChainHead | AuditCheckpoint;
  /** A head known by other means (e.g. read from the table with the log): the log must reach it unchanged. */
  expectedHead?: ChainHead;
}

// How far a renumbering is searched for; only on the failure path, one hash per step.
const MAX_SHIFT = 64;

interface PendingContent {
  seq: number;
  expectedPrevHash: string;
  prevHash: unknown;
  ownHash: string;
  shiftDown: number;
  shiftUp: number;
}

/**
 * What the chain checks read of an event once its own hash is known: its place, its link, its
 * hash, and (for in-log checkpoints) its action and details. `action` may be left null for any
 * event that is not a checkpoint.
 */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
  action: string | null;
  details?: unknown;
}

interface CheckpointEntry {
  cp: AuditCheckpoint;
  verdict: CheckpointVerdict;
}

/**
 * Incremental form, for callers that fetch the log in pages. `push` returns false once the verdict
 * is settled (stop reading); `finish` gives the verdict after the last event.
 */
export class ChainVerifier {
  private nextSeq: number;
  private prevHash: string;
  private lastPrevHash: string | undefined;
  private count = 0;
  private readonly startSeq: number;
  private readonly checkpoints: CheckpointEntry[];
  private cpIndex = 0;
  private readonly expectedHead: ChainHead | undefined;
  private readonly publicKeys: PublicKeySet | undefined;
  private pending: PendingContent | undefined;
  private scan: { from: number; to: number; early: number } | undefined;
  private bad: FirstBad | undefined;

  constructor(options: VerifyOptions = {}) {
    this.publicKeys = options.publicKeys;
    this.expectedHead = options.expectedHead;
    const start = options.startAfter ?? GENESIS_HEAD;
    this.startSeq = start.seq;
    this.nextSeq = start.seq + 1;
    this.prevHash = start.hash;
    this.checkpoints = [...(options.checkpoints ?? [])]
      .map((cp) => ({ cp, verdict: verifyCheckpoint(cp, this.publicKeys) }))
      .sort((a, b) => seqOf(a.cp) - seqOf(b.cp));
    this.checkStart(start);
  }

  push(event: unknown): boolean {
    if (this.bad) return false;
    if (this.scan) return this.scanFor(event);
    if (this.pending) {
      this.resolvePending(event);
      return false;
    }
    if (typeof event !== 'object' || event === null) {
      return this.fail(this.nextSeq, 'edited', `the entry after seq ${this.nextSeq - 1} is not an audit event`);
    }
    const e = event as AuditEvent;
    const seq = e.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      return this.fail(this.nextSeq, 'edited', `the entry after seq ${this.nextSeq - 1} has no whole-number seq`);
    }
    const own = safeHash(e, seq);
    const ownOk = own === e.hash;

    if (seq === this.nextSeq) {
      if (ownOk && e.prevHash === this.prevHash) return this.accept(e);
      if (ownOk) return this.brokenLink(e);
      this.pending = {
        seq,
        expectedPrevHash: this.prevHash,
        prevHash: e.prevHash,
        ownHash: own,
        shiftDown: findShift(e, seq, +1),
        shiftUp: findShift(e, seq, -1),
      };
      return true;
    }

    // Only the seq field was changed: the hash is right for the seq we expected, and it links.
    if (!ownOk && e.prevHash === this.prevHash && safeHash(e, this.nextSeq) === e.hash) {
      return this.fail(this.nextSeq, 'edited', `the seq of event ${this.nextSeq} was changed to ${seq}`);
    }
    if (seq > this.nextSeq) {
      this.scan = { from: this.nextSeq, to: seq - 1, early: seq };
      return true;
    }
    // Every seq below nextSeq has been seen (a jump would have stopped us first), so this is a second claimant.
    const samePredecessor = ownOk && seq === this.nextSeq - 1 && e.prevHash === this.lastPrevHash;
    return this.fail(
      seq,
      'inserted',
      seq <= this.startSeq
        ? `event ${seq} is at or before the start of the kept log (seq ${this.startSeq})`
        : samePredecessor
          ? `two events carry seq ${seq} and follow the same event: one was inserted`
          : `a second event carries seq ${seq}`,
    );
  }

  /** Nothing half-judged: no event waiting on the next one, no open search for missing seqs, no verdict. */
  get clean(): boolean {
    return this.bad === undefined && this.pending === undefined && this.scan === undefined;
  }

  /**
   * The fast path, for callers that worked out the event's own hash by other means (the stored
   * verifier hashes text the database serialised): takes the event only when it is exactly the
   * expected next one, its own hash is right and it links to the event before. Anything else
   * returns undefined, taking nothing: push the full event, which tells what happened.
   * A right hash here means the event is as written whatever serialised it, so this never
   * accepts an event push would refuse; signed checkpoints, in-log checkpoints and the expected
   * head are checked exactly as push checks them.
   */
  pushIntact(link: ChainLink, ownHash: string): boolean | undefined {
    if (!this.clean || link.seq !== this.nextSeq || ownHash !== link.hash || link.prevHash !== this.prevHash) return undefined;
    return this.accept(link);
  }

  finish(): VerifyResult {
    if (this.pending) this.resolvePending(undefined);
    if (this.scan && !this.bad) {
      const { from, to } = this.scan;
      this.fail(from, 'deleted', from === to ? `event ${from} is missing` : `events ${from} to ${to} are missing`);
    }
    if (!this.bad) this.checkEnd();
    if (this.bad) return { ok: false, count: this.count, firstBad: this.bad };
    return { ok: true, count: this.count, lastSeq: this.nextSeq - 1, lastHash: this.prevHash };
  }

  private checkStart(start: ChainHead | AuditCheckpoint): void {
    if (!Number.isSafeInteger(start.seq) || start.seq < 0 || !isHex64(start.hash)) {
      this.fail(start.seq, 'hash-mismatch', 'the start of the kept log is not a valid seq and hash');
      return;
    }
    if ('signature' in start) {
      const verdict = verifyCheckpoint(start, this.publicKeys);
      if (!verdict.ok) {
        this.fail(start.seq, 'bad-checkpoint-signature', `purge boundary: ${verdict.message}`);
        return;
      }
    }
    // Checkpoints inside the purged range vouch for nothing still held; the one at the boundary must agree with it.
    while (this.cpIndex < this.checkpoints.length) {
      const entry = this.checkpoints[this.cpIndex];
      if (!entry || seqOf(entry.cp) > start.seq) break;
      this.cpIndex++;
      if (seqOf(entry.cp) === start.seq && !this.checkpointAgrees(entry, start.hash)) return;
    }
  }

  private accept(e: ChainLink): boolean {
    this.count++;
    this.lastPrevHash = this.prevHash;
    this.prevHash = e.hash;
    this.nextSeq = e.seq + 1;
    const entry = this.checkpoints[this.cpIndex];
    if (entry !== undefined && entry.cp.seq === e.seq) {
      while (this.cpIndex < this.checkpoints.length) {
        const next = this.checkpoints[this.cpIndex];
        if (!next || next.cp.seq !== e.seq) break;
        this.cpIndex++;
        if (!this.checkpointAgrees(next, e.hash)) return false;
      }
    }
    if (e.action === 'checkpoint' && !this.inLogCheckpointAgrees(e)) return false;
    const head = this.expectedHead;
    if (head !== undefined && head.seq === e.seq && head.hash !== e.hash) {
      return this.fail(e.seq, 'hash-mismatch', `event ${e.seq} differs from the expected head: the log up to it was rewritten`);
    }
    return true;
  }

  private checkpointAgrees(entry: CheckpointEntry, hash: string): boolean {
    if (!entry.verdict.ok) {
      this.fail(seqOf(entry.cp), 'bad-checkpoint-signature', entry.verdict.message);
      return false;
    }
    if (entry.cp.hash !== hash) {
      this.fail(entry.cp.seq, 'hash-mismatch', `the log disagrees with the signed checkpoint at seq ${entry.cp.seq}: the log up to it was rewritten`);
      return false;
    }
    return true;
  }

  /** A checkpoint recorded in the log must sign the event just before it (see checkpointDraft). */
  private inLogCheckpointAgrees(e: ChainLink): boolean {
    const details = e.details as Record<string, unknown> | undefined;
    const cp = details?.checkpoint;
    if (cp === undefined) return true;
    if (!isCheckpointShape(cp)) return !this.fail(e.seq, 'bad-checkpoint-signature', `the checkpoint recorded in event ${e.seq} is malformed`);
    if (cp.seq !== e.seq - 1 || cp.hash !== e.prevHash) {
      return !this.fail(e.seq, 'hash-mismatch', `the checkpoint recorded in event ${e.seq} does not sign the event before it`);
    }
    if (this.publicKeys !== undefined) {
      const verdict = verifyCheckpoint(cp, this.publicKeys);
      if (!verdict.ok) return !this.fail(e.seq, 'bad-checkpoint-signature', `event ${e.seq}: ${verdict.message}`);
    }
    return true;
  }

  private brokenLink(e: AuditEvent): boolean {
    if (this.count === 0) {
      const boundary = this.startSeq === 0 ? 'the start of the chain' : `the purge boundary at seq ${this.startSeq}`;
      return this.fail(e.seq, 'hash-mismatch', `event ${e.seq} does not follow ${boundary}`);
    }
    if (e.prevHash === this.lastPrevHash) {
      return this.fail(e.seq - 1, 'inserted', `events ${e.seq - 1} and ${e.seq} follow the same event: ${e.seq - 1} was inserted`);
    }
    return this.fail(e.seq - 1, 'edited', `event ${e.seq - 1} was changed and its hash recomputed; event ${e.seq} no longer follows it`);
  }

  private resolvePending(next: unknown): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const n = isEventLike(next) ? next : undefined;
    if (p.shiftDown === 1 && n !== undefined && n.hash === p.prevHash) {
      this.fail(p.seq, 'reordered', `events ${p.seq} and ${p.seq + 1} were swapped`);
      return;
    }
    if (p.shiftDown > 0) {
      const d = p.shiftDown;
      this.fail(p.seq, 'deleted', `${d === 1 ? 'an event' : `${d} events`} before event ${p.seq + d} ${d === 1 ? 'was' : 'were'} removed and later events renumbered`);
      return;
    }
    if (p.shiftUp > 0) {
      const d = p.shiftUp;
      this.fail(p.seq - d, 'inserted', `${d === 1 ? 'an event was' : `${d} events were`} inserted at seq ${p.seq - d} and later events renumbered`);
      return;
    }
    if (n !== undefined && n.prevHash === p.expectedPrevHash) {
      const nOwn = safeHash(n, n.seq);
      const belongsHere = (n.seq === p.seq && nOwn === n.hash) || (n.seq === p.seq + 1 && safeHash(n, p.seq) === n.hash);
      if (belongsHere) {
        this.fail(p.seq, 'inserted', `event ${p.seq} was inserted: the next event is the genuine event ${p.seq}`);
        return;
      }
    }
    if (n !== undefined && p.ownHash !== '' && n.prevHash === p.ownHash) {
      this.fail(p.seq, 'edited', `the stored hash of event ${p.seq} was changed`);
      return;
    }
    this.fail(p.seq, 'edited', `event ${p.seq} was changed after it was written`);
  }

  private scanFor(event: unknown): boolean {
    const s = this.scan;
    if (!s) return false;
    if (isEventLike(event) && event.seq >= s.from && event.seq <= s.to) {
      this.scan = undefined;
      return this.fail(s.early, 'reordered', `event ${s.early} appears before event ${event.seq}`);
    }
    return true;
  }

  private checkEnd(): void {
    const lastSeq = this.nextSeq - 1;
    const entry = this.checkpoints[this.cpIndex];
    if (entry !== undefined) {
      if (!entry.verdict.ok) {
        this.fail(seqOf(entry.cp), 'bad-checkpoint-signature', entry.verdict.message);
        return;
      }
      this.fail(lastSeq + 1, 'truncated', `the log ends at seq ${lastSeq} but a signed checkpoint shows it reached seq ${entry.cp.seq}`);
      return;
    }
    const head = this.expectedHead;
    if (head !== undefined && head.seq > lastSeq) {
      this.fail(lastSeq + 1, 'truncated', `the log ends at seq ${lastSeq} but its head was seq ${head.seq}`);
    }
  }

  /** Records the first failure; returns false so callers can `return this.fail(...)` from push. */
  private fail(seq: number, problem: ChainProblem, message: string): false {
    if (!this.bad) this.bad = { seq, problem, message };
    return false;
  }
}

/** Verifies a whole log, sync or async source; stops reading as soon as the verdict is settled. */
export async function verifyChain(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  if (Symbol.iterator in events) return verifyChainSync(events, options);
  const verifier = new ChainVerifier(options);
  for await (const e of events) {
    if (!verifier.push(e)) break;
  }
  return verifier.finish();
}

/** The same, without a promise, for in-memory logs. */
export function verifyChainSync(events: Iterable<AuditEvent>, options: VerifyOptions = {}): VerifyResult {
  const verifier = new ChainVerifier(options);
  for (const e of events) {
    if (!verifier.push(e)) break;
  }
  return verifier.finish();
}

function seqOf(cp: AuditCheckpoint): number {
  return typeof cp.seq === 'number' ? cp.seq : Number.NaN;
}

function isEventLike(x: unknown): x is AuditEvent {
  return typeof x === 'object' && x !== null && Number.isSafeInteger((x as { seq?: unknown }).seq);
}

/** The hash the event would have with the given seq; '' when it cannot be serialised (so never equal). */
function safeHash(e: AuditEvent, seq: number): string {
  try {
    const body = seq === e.seq ? e : { ...e, seq };
    return sha256Hex(canonicalJsonWithout(body, 'hash'));
  } catch {
    return '';
  }
}

function findShift(e: AuditEvent, seq: number, direction: 1 | -1): number {
  for (let d = 1; d <= MAX_SHIFT; d++) {
    const candidate = seq + direction * d;
    if (candidate < 1) break;
    if (safeHash(e, candidate) === e.hash) return d;
  }
  return 0;
}
