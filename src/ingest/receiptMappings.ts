/**
 * What receipt learned, kept for the worker. An HL7 message is parsed and mapped when it arrives
 * (to pick its feed and to answer AE/AR precisely) and again by the worker that applies it; when
 * both happen in one process, the worker takes the actions receipt already mapped instead of
 * parsing and mapping the same text a second time.
 *
 * Only an optimisation: the inbox row stays the truth. A worker in another process, after a
 * restart, or once an entry was evicted, simply maps the stored text again. An entry is used only
 * for exactly the text it was mapped from (and the same feed organisation), so it can never stand
 * in for a different message with a reused control id; mapping is pure, so the answer is the one
 * the worker would have computed. Each entry is used once, and the whole is bounded in number,
 * size and age: when full, a new message is not kept (workers take the oldest first, so the
 * entries kept are the next ones needed), and an entry nobody took in time — its row went to a
 * worker in another process — gives way.
 */
import type { SourceAction } from './sourceAction.ts';

interface Entry { content: string; odsCode: string; actions: SourceAction[]; at: number }

export interface ReceiptMappingsLimits {
  /** Most entries kept. */
  maxEntries: number;
  /** Most message text kept, in UTF-16 code units (what a JS string's length counts). */
  maxChars: number;
  /** An entry not taken within this long is dropped. */
  maxAgeMs: number;
}

export class ReceiptMappings {
  // A Map iterates in insertion order: the first key is the oldest entry.
  private readonly entries = new Map<string, Entry>();
  private chars = 0;

  constructor(private readonly limits: ReceiptMappingsLimits = { maxEntries: 10_000, maxChars: 32 * 1024 * 1024, maxAgeMs: 60_000 }) {}

  get size(): number {
    return this.entries.size;
  }

  /** Kept for the worker, if there is room. */
  put(feedId: string, messageId: string, odsCode: string, content: string, actions: SourceAction[], now = Date.now()): void {
    const key = keyOf(feedId, messageId);
    this.remove(key);
    for (const [oldest, e] of this.entries) {
      if (e.at > now - this.limits.maxAgeMs) break;
      this.remove(oldest);
    }
    if (this.entries.size + 1 > this.limits.maxEntries || this.chars + content.length > this.limits.maxChars) return;
    this.entries.set(key, { content, odsCode, actions, at: now });
    this.chars += content.length;
  }

  /** Forgets an entry no worker will take (the message was a repeat, or storing it failed). */
  drop(feedId: string, messageId: string): void {
    this.remove(keyOf(feedId, messageId));
  }

  /** The actions mapped at receipt from exactly this text, once; undefined means map it again. */
  take(feedId: string, messageId: string, odsCode: string, content: string): SourceAction[] | undefined {
    const key = keyOf(feedId, messageId);
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.remove(key);
    return e.content === content && e.odsCode === odsCode ? e.actions : undefined;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.chars -= e.content.length;
  }
}

function keyOf(feedId: string, messageId: string): string {
  return `${feedId}\u0000${messageId}`;
}

/** The process's own: receipt (receive/hl7v2.ts) puts, the worker's mapStored takes. */
export const receiptMappings = new ReceiptMappings();
