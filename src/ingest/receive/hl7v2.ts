/**
 * Receiving one HL7 v2 message (over MLLP or HTTP): find the feed from MSH-4 (and MSH-3), map it,
 * store it durably, then answer. `AA` only once the message is stored; `AE`/`AR` with an ERR
 * naming segment, field and reason otherwise, and the message kept as a dead letter. The same
 * control id from the same feed twice is acknowledged and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { buildAck, headerInfo, parse, parseBatch, serialise, sniffHeader, type AckCode, type AckHeaderInfo, type Hl7Message } from '../../formats/hl7v2/index.ts';
import { mapHl7v2 } from '../map/hl7v2/index.ts';
import type { IngestError } from '../sourceAction.ts';
import { bumpFeedCounters, findHl7Feed, type Feed } from '../feeds.ts';
import { addDeadLetter } from '../deadLetters.ts';
import { storeInInbox, type InboxItem } from '../inbox.ts';
import { receiptMappings } from '../receiptMappings.ts';
import { transaction } from '../../store/db.ts';

export interface Hl7Receipt {
  /** The ACK as wire text (segments joined by CR). */
  ack: string;
  code: AckCode;
  feedId: string | null;
  /** False for a repeat of a message already stored. */
  stored: boolean;
  error?: IngestError;
}

// ACK control ids: unique without asking the system for random bytes on every message — a random
// prefix per process, then a counter (same shape as before: ACK and 16 hex digits).
const ackPrefix = randomBytes(4).toString('hex').toUpperCase();
let ackCounter = 0;
function ackId(): string {
  ackCounter = (ackCounter + 1) >>> 0;
  return `ACK${ackPrefix}${ackCounter.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** First component of an HD field (MSH-3, MSH-4) as plain text. */
function namespaceOf(hd: string | undefined, component: string): string {
  return (hd ?? '').split(component)[0]?.trim() ?? '';
}

function answer(source: Hl7Message | AckHeaderInfo, code: AckCode, error: IngestError | undefined, now: Date): string {
  return serialise(buildAck(source, code, error, ackId(), now));
}

/**
 * `asFeed`: the feed the sender authenticated as (HTTP); its messages must name its own
 * organisation in MSH-4 — a feed may write only as its own organisation.
 */
export interface Hl7ReceiveOptions {
  /** The feed the sender authenticated as (HTTP). */
  asFeed?: Feed | undefined;
  /** Group commit of the inbox (the listeners share one); without it each message commits alone. */
  store?: (item: InboxItem, at: Date) => Promise<boolean>;
  /**
   * Keep what was mapped for a worker in this process (receiptMappings; default true). False when
   * the workers run in other processes: nobody here would take it.
   */
  keepMappings?: boolean;
}

// Feeds change rarely and every message needs its sender's feed: a short-lived cache of the
// lookups that succeeded (an unknown sender is looked up again each time, so a feed registered
// to fix it works at once).
const feedCaches = new WeakMap<Kysely<Tables>, Map<string, { feed: Feed; until: number }>>();
async function cachedHl7Feed(db: Kysely<Tables>, facility: string, application: string, now: number): Promise<Feed | null> {
  // One cache per database: a process may serve (or test) more than one.
  let feedCache = feedCaches.get(db);
  if (!feedCache) feedCaches.set(db, (feedCache = new Map<string, { feed: Feed; until: number }>()));
  const key = `${facility}\u0000${application}`;
  const hit = feedCache.get(key);
  if (hit && hit.until > now) return hit.feed;
  const feed = await findHl7Feed(db, facility, application);
  if (feed) feedCache.set(key, { feed, until: now + 5000 });
  return feed;
}

export async function receiveHl7Message(db: Kysely<Tables>, text: string, now: Date, opts: Hl7ReceiveOptions = {}): Promise<Hl7Receipt> {
  const asFeed = opts.asFeed;
  const parsed = parse(text);
  if (!parsed.ok) {
    const header = sniffHeader(text);
    const feed = header.sendingFacility ? await findHl7Feed(db, namespaceOf(header.sendingFacility, header.encoding.component), namespaceOf(header.sendingApplication, header.encoding.component)) : null;
    return reject(db, feed?.id ?? null, text, parsed.error, header, now);
  }
  const msg = parsed.message;
  const header = headerInfo(msg);
  const comp = msg.encoding.component;
  const facility = namespaceOf(header.sendingFacility, comp);
  const feed = facility ? await cachedHl7Feed(db, facility, namespaceOf(header.sendingApplication, comp), now.getTime()) : null;
  if (asFeed && feed?.id !== asFeed.id) {
    return reject(db, asFeed.id, text, {
      code: 'sender-mismatch',
      message: `this feed may send only as its own organisation; MSH-4 (and MSH-3) must name feed ${asFeed.id}`,
      where: { segment: 'MSH', segmentIndex: 1, field: 'MSH-4' },
      hl7AckCode: 'AR',
    }, msg, now);
  }
  if (!feed) {
    return reject(db, null, text, {
      code: 'unknown-sender',
      message: facility ? 'the sending facility (MSH-4) is not a registered HL7 feed' : 'MSH-4 (sending facility) is empty, so the sending feed is unknown',
      where: { segment: 'MSH', segmentIndex: 1, field: 'MSH-4' },
      hl7AckCode: 'AR',
    }, msg, now);
  }
  const controlId = header.controlId?.trim();
  if (!controlId) {
    return reject(db, feed.id, text, {
      code: 'required-field-missing', message: 'MSH-10 (message control id) is empty; it is needed to recognise repeats',
      where: { segment: 'MSH', segmentIndex: 1, field: 'MSH-10' }, hl7AckCode: 'AR',
    }, msg, now);
  }
  const mapped = mapHl7v2(msg, { feedId: feed.id, odsCode: feed.organisationOds });
  if (!mapped.ok) return reject(db, feed.id, text, mapped.error, msg, now);
  const item: InboxItem = { feedId: feed.id, messageId: controlId, kind: 'hl7v2', content: text, units: 1 };
  // Kept before storing: a worker may claim the row the moment it is committed.
  const keep = opts.keepMappings ?? true;
  if (keep) receiptMappings.put(feed.id, controlId, feed.organisationOds, text, mapped.actions);
  let stored: boolean;
  try {
    stored = opts.store ? await opts.store(item, now) : await storeInInbox(db, item, now);
  } catch (err) {
    if (keep) receiptMappings.drop(feed.id, controlId);
    throw err;
  }
  if (!stored && keep) receiptMappings.drop(feed.id, controlId);
  // The header read above, not the message: an AA needs nothing else of it, and reading it twice cost every message.
  return { ack: answer(header, 'AA', undefined, now), code: 'AA', feedId: feed.id, stored };
}

async function reject(db: Kysely<Tables>, feedId: string | null, text: string, error: IngestError, source: Hl7Message | AckHeaderInfo, now: Date): Promise<Hl7Receipt> {
  const code: AckCode = error.hl7AckCode ?? 'AE';
  // The rejection is kept before it is answered: a sender that sees AE/AR may never send it again.
  await transaction(db, async (trx) => {
    await addDeadLetter(trx, feedId, 'hl7v2', text, error, now);
    if (feedId) await bumpFeedCounters(trx, feedId, { rejected: 1 }, null);
  });
  return { ack: answer(source, code, error, now), code, feedId, stored: false, error };
}

/**
 * A body that may be a batch (FHS/BHS … BTS/FTS) or several messages back to back: each message
 * is received on its own and the answers are returned in order.
 */
export async function receiveHl7Text(db: Kysely<Tables>, text: string, now: Date, opts: Hl7ReceiveOptions = {}): Promise<Hl7Receipt[]> {
  const trimmed = text.replace(/^[\s\uFEFF]+/, '');
  if (trimmed.startsWith('FHS') || trimmed.startsWith('BHS')) {
    const batch = parseBatch(trimmed);
    if (!batch.ok) return [await reject(db, null, text, batch.error, sniffHeader(text), now)];
    const out: Hl7Receipt[] = [];
    for (const item of batch.batch.messages) out.push(await receiveHl7Message(db, item.text, now, opts));
    return out;
  }
  const starts = [...trimmed.matchAll(/(^|[\r\n])MSH/g)].map((m) => (m.index ?? 0) + (m[1] ? 1 : 0));
  if (starts.length <= 1) return [await receiveHl7Message(db, trimmed, now, opts)];
  const out: Hl7Receipt[] = [];
  for (let i = 0; i < starts.length; i++) out.push(await receiveHl7Message(db, trimmed.slice(starts[i], starts[i + 1] ?? trimmed.length).trim(), now, opts));
  return out;
}
