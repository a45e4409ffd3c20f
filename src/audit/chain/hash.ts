/**
 * The hash chain: each audit event's hash covers its whole content and the hash of the event
 * before, so changing, removing, adding or moving any event breaks a link a verifier can find.
 * hash = lower-case hex SHA-256 of the UTF-8 canonical JSON of the event without `hash`
 * (`prevHash` included). Deterministic, no clock: the writer supplies the time in the draft.
 */
import { hash as oneShotHash } from 'node:crypto';
import { canonicalJson, canonicalJsonWithout } from './canonical.ts';
import {
  auditEventDraftProblems,
  GENESIS_HEAD,
  isHex64,
  type AuditEvent,
  type AuditEventDraft,
  type AuditEventProblem,
  type ChainHead,
} from './event.ts';

export class AuditChainError extends Error {
  readonly code: 'invalid-draft' | 'invalid-head';
  readonly where: string;
  readonly problems: AuditEventProblem[];
  constructor(code: AuditChainError['code'], message: string, where: string, problems: AuditEventProblem[] = []) {
    super(message);
    this.name = 'AuditChainError';
    this.code = code;
    this.where = where;
    this.problems = problems;
  }
}

/** SHA-256 hex of the canonical event without its `hash` member (which may be absent). */
export function auditEventHash(event: Omit<AuditEvent, 'hash'> | AuditEvent): string {
  return sha256Hex(canonicalJsonWithout(event, 'hash'));
}

export function sha256Hex(text: string): string {
  // The one-shot form skips the Hash object allocation: about a third faster per event here.
  return oneShotHash('sha256', text, 'hex');
}

/** The next event after `prev` (use GENESIS_HEAD for the first). */
export function chainNext(prev: ChainHead, draft: AuditEventDraft): AuditEvent {
  checkHead(prev);
  checkDraft(draft, prev.seq + 1);
  return link(prev, draft);
}

/** Chains a batch in order after `prev`; the last element is the new head. */
export function chainMany(prev: ChainHead, drafts: readonly AuditEventDraft[]): AuditEvent[] {
  checkHead(prev);
  for (let i = 0; i < drafts.length; i++) checkDraft(drafts[i] as AuditEventDraft, prev.seq + 1 + i);
  return chainChecked(prev, drafts);
}

/**
 * chainMany for drafts the caller has already checked with auditEventDraftProblems (the append
 * path checks them before it locks the chain head): checking each twice was a fifth of the cost
 * of chaining a batch. The head is still checked.
 */
export function chainCheckedDrafts(prev: ChainHead, drafts: readonly AuditEventDraft[]): AuditEvent[] {
  checkHead(prev);
  return chainChecked(prev, drafts);
}

function chainChecked(prev: ChainHead, drafts: readonly AuditEventDraft[]): AuditEvent[] {
  const out: AuditEvent[] = new Array<AuditEvent>(drafts.length);
  let head = prev;
  for (let i = 0; i < drafts.length; i++) {
    const event = link(head, drafts[i] as AuditEventDraft);
    out[i] = event;
    head = event;
  }
  return out;
}

function checkDraft(draft: AuditEventDraft, seq: number): void {
  const problems = auditEventDraftProblems(draft);
  if (problems.length > 0) {
    throw new AuditChainError('invalid-draft', `the audit event for seq ${seq} is invalid: ${problems.map((p) => p.message).join('; ')}`, problems[0]?.where ?? '', problems);
  }
}

/**
 * Only the model's fields are copied, so stray properties on a draft can never enter the hash;
 * optional fields that are undefined are left out, so the event reads back from storage exactly
 * as it was hashed.
 */
function link(prev: ChainHead, draft: AuditEventDraft, knownHash?: string): AuditEvent {
  // Built in canonical key order, by adding properties one by one (never `delete`, which would
  // slow the object down), so hashing it now and when verifying takes the no-sort path.
  const actor: Record<string, unknown> = { id: draft.actor.id, kind: draft.actor.kind };
  if (draft.actor.organisationOds !== undefined) actor.organisationOds = draft.actor.organisationOds;
  if (draft.actor.role !== undefined) actor.role = draft.actor.role;
  const body: Record<string, unknown> = { action: draft.action, actor, details: draft.details, hash: undefined, outcome: draft.outcome };
  if (draft.personId !== undefined) body.personId = draft.personId;
  body.prevHash = prev.hash;
  if (draft.purpose !== undefined) body.purpose = draft.purpose;
  body.seq = prev.seq + 1;
  body.time = draft.time;
  body.hash = knownHash ?? auditEventHash(body as unknown as AuditEvent);
  return body as unknown as AuditEvent;
}

/** canonical text = beforePrevHash + prevHash + beforeSeq + String(seq) + after */
export interface CanonicalParts {
  beforePrevHash: string;
  beforeSeq: string;
  after: string;
}

/**
 * The canonical text the draft will hash as, split around the two members only the chain head
 * decides (prevHash and seq come next to each other in key order, with only purpose between
 * them). Lets a writer have the database finish and hash the text while it holds the head, in
 * the statement that appends the event: one round trip instead of two. The draft must have been
 * checked (auditEventDraftProblems).
 */
export function canonicalParts(draft: AuditEventDraft): CanonicalParts {
  const actor: Record<string, unknown> = { id: draft.actor.id, kind: draft.actor.kind };
  if (draft.actor.organisationOds !== undefined) actor.organisationOds = draft.actor.organisationOds;
  if (draft.actor.role !== undefined) actor.role = draft.actor.role;
  let before = `{"action":${canonicalJson(draft.action)},"actor":${canonicalJson(actor)},"details":${canonicalJson(draft.details)},"outcome":${canonicalJson(draft.outcome)}`;
  if (draft.personId !== undefined) before += `,"personId":${canonicalJson(draft.personId)}`;
  const purpose = draft.purpose !== undefined ? `,"purpose":${canonicalJson(draft.purpose)}` : '';
  return { beforePrevHash: `${before},"prevHash":"`, beforeSeq: `"${purpose},"seq":`, after: `,"time":${canonicalJson(draft.time)}}` };
}

/** The event a checked draft becomes at `seq` after `prevHash`, with its hash as computed elsewhere (see canonicalParts). */
export function chainedEvent(draft: AuditEventDraft, seq: number, prevHash: string, hash: string): AuditEvent {
  return link({ seq: seq - 1, hash: prevHash }, draft, hash);
}

/** The head to continue from after the given events (or `prev` when there are none). */
export function headOf(events: readonly AuditEvent[], prev: ChainHead = GENESIS_HEAD): ChainHead {
  const last = events[events.length - 1];
  return last ? { seq: last.seq, hash: last.hash } : { seq: prev.seq, hash: prev.hash };
}

function checkHead(prev: ChainHead): void {
  if (!Number.isSafeInteger(prev.seq) || prev.seq < 0) {
    throw new AuditChainError('invalid-head', 'the chain head seq is not a whole number from 0', 'seq');
  }
  if (!isHex64(prev.hash)) {
    throw new AuditChainError('invalid-head', 'the chain head hash is not 64 lower-case hex digits', 'hash');
  }
}
