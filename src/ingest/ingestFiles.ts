/**
 * `ohc ingest --feed ID PATH…`: files and folders through one feed's receive path, in name order,
 * then the inbox processed. HL7 files may hold several messages or a batch; FHIR files are Bundles;
 * CSV files are extracts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Feed } from './feeds.ts';
import { receiveHl7Text } from './receive/hl7v2.ts';
import { receiveFhirBundle } from './receive/fhir.ts';
import { receiveCsv } from './receive/csv.ts';
import { processBatch } from './worker.ts';
import { mapStored } from './mapStored.ts';
import { categoriseResource } from '../access/policy/index.ts';
import { auditBatchLinks } from './auditLinks.ts';
import { recheckAlone } from '../mpi/index.ts';

export interface IngestSummary { feed: string; files: number; received: number; accepted: number; rejected: number; duplicates: number; heldRemovals: number }

const EXTENSIONS: Record<Feed['format'], string[]> = { hl7v2: ['.hl7', '.txt', '.er7'], fhir: ['.json'], csv: ['.csv'] };

export function listInputFiles(paths: string[], format: Feed['format']): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(path.join(p, name));
    } else if (EXTENSIONS[format].includes(path.extname(p).toLowerCase())) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export async function ingestFiles(db: Kysely<Tables>, feed: Feed, files: string[], opts: { now: () => Date; maxRemovalShare: number; confirmRemovals?: boolean; onFile?: (done: number, total: number) => void }): Promise<IngestSummary> {
  const s: IngestSummary = { feed: feed.id, files: files.length, received: 0, accepted: 0, rejected: 0, duplicates: 0, heldRemovals: 0 };
  for (const [i, file] of files.entries()) {
    const content = readFileSync(file);
    if (feed.format === 'hl7v2') {
      for (const r of await receiveHl7Text(db, content.toString('utf8'), opts.now(), { asFeed: feed })) {
        s.received++;
        if (r.code === 'AA') {
          s.accepted++;
          if (!r.stored) s.duplicates++;
        } else s.rejected++;
      }
    } else if (feed.format === 'fhir') {
      const r = await receiveFhirBundle(db, feed, content.toString('utf8'), opts.now());
      s.received += r.accepted + r.rejected;
      s.accepted += r.accepted;
      s.rejected += r.rejected;
      if (!r.stored && r.accepted > 0) s.duplicates += r.accepted;
    } else {
      const r = await receiveCsv(db, feed, content, { maxRemovalShare: opts.maxRemovalShare, ...(opts.confirmRemovals ? { confirmRemovals: true } : {}) }, opts.now());
      s.received += r.rows;
      s.accepted += r.accepted;
      s.rejected += r.rejected + (r.fileError ? 1 : 0);
      if (r.snapshot?.held) s.heldRemovals += r.snapshot.removals;
    }
    opts.onFile?.(i + 1, files.length);
  }
  return s;
}

/** Processes the inbox in this process until it is empty (when no server runs workers). */
export async function drainInbox(db: Kysely<Tables>, now: () => Date): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await processBatch({ db, mapStored, now, categorise: (x) => categoriseResource(x as never), onBatch: auditBatchLinks(now), batchSize: 100 });
    total += r.claimed;
    if (r.claimed === 0 && !r.retryLater) {
      await recheckAlone(db, { now: now() });
      return total;
    }
  }
}
