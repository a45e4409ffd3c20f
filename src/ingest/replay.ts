/**
 * Replaying dead letters after a fix (a mapping corrected, a feed registered): the kept content
 * goes through the same receive path as when it first arrived. A dead letter that now succeeds is
 * marked replayed; one that fails again stays open with its new reason.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { getDeadLetter, markReplayed, recordFailedReplay } from './deadLetters.ts';
import { receiveHl7Message } from './receive/hl7v2.ts';
import { receiveFhirBundle } from './receive/fhir.ts';
import { getFeed } from './feeds.ts';
import { storeInInbox } from './inbox.ts';
import { mapCsvRow } from './map/csv/index.ts';
import type { CsvDatasetName } from '../formats/csv/index.ts';
import type { IngestError } from './sourceAction.ts';

export type ReplayResult = { id: number; outcome: 'replayed' | 'failed-again' | 'not-found' | 'not-open' | 'not-replayable'; message: string };

export async function replayDeadLetter(db: Kysely<Tables>, id: number, now: Date): Promise<ReplayResult> {
  const dl = await getDeadLetter(db, id);
  if (!dl) return { id, outcome: 'not-found', message: `dead letter ${id} does not exist` };
  if (dl.status !== 'open') return { id, outcome: 'not-open', message: `dead letter ${id} is ${dl.status}` };
  const failed = async (error: IngestError): Promise<ReplayResult> => {
    await recordFailedReplay(db, id, error, now);
    return { id, outcome: 'failed-again', message: error.message };
  };
  const done = async (what: string): Promise<ReplayResult> => {
    await markReplayed(db, id, what, now);
    return { id, outcome: 'replayed', message: what };
  };

  if (dl.kind === 'hl7v2') {
    // The receive path keeps a new dead letter when it fails again; this one is then superseded.
    const r = await receiveHl7Message(db, dl.content, now);
    if (r.code === 'AA') return done(r.stored ? 'stored' : 'already stored');
    await markReplayed(db, id, `failed again: see the newer dead letter (${r.error?.code ?? r.code})`, now);
    return { id, outcome: 'failed-again', message: r.error?.message ?? `answered ${r.code}` };
  }
  const feed = dl.feedId ? await getFeed(db, dl.feedId) : null;
  if (!feed) return failed({ code: 'unknown-feed', message: 'the dead letter names no registered feed', where: {} });
  if (dl.kind === 'fhir-bundle' || dl.kind === 'fhir-entry') {
    const body = dl.kind === 'fhir-bundle' ? dl.content : JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [JSON.parse(dl.content) as unknown] });
    const r = await receiveFhirBundle(db, feed, body, now);
    if (r.rejected === 0 && r.status === 200) return done(`stored ${r.accepted} entries`);
    await markReplayed(db, id, 'failed again: see the newer dead letter', now);
    return { id, outcome: 'failed-again', message: 'the content was refused again' };
  }
  if (dl.kind === 'csv-row') {
    const stored = JSON.parse(dl.content) as { dataset: CsvDatasetName | null; line: number; values: Record<string, string> | null; asOf: string };
    if (!stored.dataset || !stored.values) return { id, outcome: 'not-replayable', message: 'the row could not be read as CSV; send a corrected extract' };
    const outcome = mapCsvRow(stored.dataset, { line: stored.line, values: stored.values }, { feedId: feed.id, odsCode: feed.organisationOds, asOf: stored.asOf, now });
    if (!outcome.result.ok) return failed(outcome.result.error);
    await storeInInbox(db, { feedId: feed.id, messageId: `replay:${id}`, kind: 'csv-rows', content: JSON.stringify({ dataset: stored.dataset, asOf: stored.asOf, rows: [{ line: stored.line, values: stored.values }] }), units: 1 }, now);
    return done('stored');
  }
  return { id, outcome: 'not-replayable', message: `a ${dl.kind} dead letter is fixed by sending a corrected file` };
}
