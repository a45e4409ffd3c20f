/**
 * Ingests a generated county in-process through the real pipeline (organisations, feeds, every
 * file through its feed's receive path, then the inbox drained) and reads its answer key: what the
 * person index's tests and benchmark measure linkage quality on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { parse } from 'csv-parse/sync';
import type { Tables } from '../store/tables.ts';
import { countyPartners } from '../generate/index.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed, getFeed, type FeedFormat } from '../ingest/feeds.ts';
import { drainInbox, ingestFiles, listInputFiles } from '../ingest/ingestFiles.ts';
import { recheckAlone } from './recheck.ts';

export interface TruthRow { feedId: string; localId: string; personKey: string }

/** Registers the partners and feeds of a county of `persons` and ingests every file of `dir`. */
export async function ingestCounty(db: Kysely<Tables>, dir: string, persons: number, now: () => Date): Promise<{ files: number }> {
  const today = now().toISOString().slice(0, 10);
  await ensureOrganisations(db, countyPartners({ persons }).map((p) => ({
    odsCode: p.odsCode, name: p.name, kind: p.kind, icoRegistration: p.icoRegistration, siro: p.siro,
    caldicottGuardian: p.caldicottGuardian, accessToRecordsContact: p.accessToRecordsEmail,
    isaFrom: p.isaFrom <= today ? p.isaFrom : today, isaTo: p.isaTo, synthetic: p.syntheticCode,
  })));
  const specs = JSON.parse(readFileSync(path.join(dir, 'feeds.json'), 'utf8')) as { id: string; organisation: string; name?: string; format: FeedFormat }[];
  let files = 0;
  for (const s of specs) {
    const feed = (await getFeed(db, s.id)) ?? (await addFeed(db, { id: s.id, organisationOds: s.organisation, format: s.format, name: s.name ?? null, snapshot: false }));
    const list = listInputFiles([path.join(dir, s.id)], feed.format);
    files += list.length;
    await ingestFiles(db, feed, list, { now, maxRemovalShare: 1 });
  }
  await drainInbox(db, now);
  // What the server's periodic job does: a second look at records that were alone when filed.
  await recheckAlone(db, { now: now() });
  return { files };
}

/** truth.csv: `feed_id,local_id,person_key`. */
export function readTruth(file: string): TruthRow[] {
  const rows = parse<Record<string, string>>(readFileSync(file), { columns: true, skip_empty_lines: true });
  return rows.map((r) => {
    const feedId = r.feed_id;
    const localId = r.local_id;
    const personKey = r.person_key;
    if (feedId === undefined || localId === undefined || personKey === undefined) throw new Error('truth file needs columns feed_id, local_id, person_key');
    return { feedId, localId, personKey };
  });
}
