/**
 * Receiving a FHIR R4 Bundle from a feed: each entry is checked and mapped at once so the sender
 * gets a precise answer per entry; accepted entries are stored durably (the whole bundle, with the
 * indexes accepted) before the answer is sent; failed entries are kept as dead letters. A
 * transaction bundle with any failing entry is refused whole.
 */
import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcome } from 'fhir/r4';
import type { Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { mapFhirBundle } from '../map/fhir/index.ts';
import { addDeadLetter } from '../deadLetters.ts';
import { storeInInbox } from '../inbox.ts';
import { bumpFeedCounters, type Feed } from '../feeds.ts';
import { transaction } from '../../store/db.ts';
import type { IngestError } from '../sourceAction.ts';

export interface FhirReceipt { status: number; body: Bundle | OperationOutcome; accepted: number; rejected: number; stored: boolean }

/** What the inbox keeps for a bundle: the bundle as sent and which entries were accepted. */
export interface StoredBundle { bundle: unknown; accepted: number[]; receivedAt: string }

function outcomeError(o: OperationOutcome | undefined, fallback: string): IngestError {
  const issue = o?.issue?.[0];
  return {
    code: issue?.code ?? 'invalid',
    message: issue?.diagnostics ?? fallback,
    where: issue?.expression?.[0] ? { jsonPath: issue.expression[0] } : {},
  };
}

export async function receiveFhirBundle(db: Kysely<Tables>, feed: Feed, rawText: string, now: Date): Promise<FhirReceipt> {
  let body: unknown;
  try {
    body = JSON.parse(rawText);
  } catch (e) {
    const error: IngestError = { code: 'invalid-json', message: `the body is not JSON: ${(e as Error).message}`, where: { jsonPath: '$' } };
    await transaction(db, async (trx) => {
      await addDeadLetter(trx, feed.id, 'fhir-bundle', rawText, error, now);
      await bumpFeedCounters(trx, feed.id, { rejected: 1 }, null);
    });
    return { status: 400, body: outcome('structure', error.message, 'Bundle'), accepted: 0, rejected: 1, stored: false };
  }
  const answer = mapFhirBundle(body, { feedId: feed.id, odsCode: feed.organisationOds, receivedAt: now.toISOString() });
  const entryCount = Array.isArray((body as { entry?: unknown[] }).entry) ? (body as { entry: unknown[] }).entry.length : 0;
  if (answer.bundleError) {
    await transaction(db, async (trx) => {
      await addDeadLetter(trx, feed.id, 'fhir-bundle', rawText, outcomeError(answer.bundleError, 'the bundle was refused'), now);
      await bumpFeedCounters(trx, feed.id, { rejected: Math.max(1, entryCount) }, null);
    });
    return { status: 400, body: answer.bundleError, accepted: 0, rejected: Math.max(1, entryCount), stored: false };
  }
  const accepted = answer.entries.filter((e) => e.result.ok).map((e) => e.index);
  const failed = answer.entries.filter((e) => !e.result.ok);
  const rawEntries = (body as { entry?: unknown[] }).entry ?? [];
  const identifier = (body as { identifier?: { value?: unknown } }).identifier?.value;
  const messageId = typeof identifier === 'string' && identifier !== '' ? `bundle:${identifier}` : `sha256:${createHash('sha256').update(rawText).digest('hex')}`;
  let stored = false;
  await transaction(db, async (trx) => {
    for (const e of failed) {
      const err = e.result.ok ? null : e.result.error;
      await addDeadLetter(trx, feed.id, 'fhir-entry', JSON.stringify(rawEntries[e.index] ?? null), err ?? outcomeError(e.outcome, 'entry refused'), now);
    }
    if (failed.length > 0) await bumpFeedCounters(trx, feed.id, { rejected: failed.length }, null);
    if (accepted.length > 0) {
      stored = await storeInInbox(trx, { feedId: feed.id, messageId, kind: 'fhir-bundle', content: storedBundleText(rawText, accepted, now), units: accepted.length }, now);
    }
  });
  const type = (body as { type?: string }).type === 'transaction' ? 'transaction-response' : 'batch-response';
  const response: Bundle = {
    resourceType: 'Bundle',
    type,
    entry: answer.entries.map((e): BundleEntry => ({
      response: {
        status: e.responseStatus,
        ...(e.outcome ? { outcome: e.outcome } : {}),
        ...(e.result.ok ? { lastModified: now.toISOString() } : {}),
      },
    })),
  };
  return { status: 200, body: response, accepted: accepted.length, rejected: failed.length, stored };
}

/**
 * The StoredBundle of a bundle as JSON text, the bundle as the sender wrote it: the text parsed
 * as JSON above, so it can stand as a value as it is — where serialising the parsed bundle again
 * cost as much as parsing it, for every bundle received.
 */
export function storedBundleText(rawText: string, accepted: readonly number[], receivedAt: Date): string {
  return `{"bundle":${rawText},"accepted":${JSON.stringify(accepted)},"receivedAt":${JSON.stringify(receivedAt.toISOString())}}`;
}

export function outcome(code: OperationOutcome['issue'][number]['code'], diagnostics: string, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) }],
  };
}
