/**
 * Loading a generated county (`ohc load DIR`, and the demo): registers its organisations and feeds
 * where absent, then sends every file through its feed's own interface — HL7 over MLLP, FHIR
 * bundles and CSV extracts over HTTP — exactly as the partners' systems would.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import type { OrganisationInput } from '../registry/organisation.ts';
import { addFeed, getFeed, type FeedFormat } from '../ingest/feeds.ts';
import { listInputFiles } from '../ingest/ingestFiles.ts';
import { issueToken, tokenKey } from '../access/tokens.ts';
import { MllpClient, ackCode, splitHl7File } from '../mllp/client.ts';

export interface CountyFeedSpec { id: string; organisation: string; name?: string; kind?: string; format: FeedFormat }
interface PartnerSpec { odsCode: string; name: string; kind: string; icoRegistration?: string; siro?: string; caldicottGuardian?: string; accessToRecordsEmail?: string; isaFrom?: string; isaTo?: string | null; syntheticCode?: boolean }

export class LoadError extends Error {}

export function readCountyFeeds(dir: string): CountyFeedSpec[] {
  const file = path.join(dir, 'feeds.json');
  if (!existsSync(file)) throw new LoadError(`${dir} holds no feeds.json; generate a county with ohc generate first`);
  const feeds = JSON.parse(readFileSync(file, 'utf8')) as CountyFeedSpec[];
  if (!Array.isArray(feeds)) throw new LoadError(`${file} is not a list of feeds`);
  return feeds;
}

/** Registers the county's organisations and feeds where absent; returns what was added. */
export async function registerCounty(db: Kysely<Tables>, dir: string, today: string): Promise<{ organisations: string[]; feeds: string[] }> {
  const feeds = readCountyFeeds(dir);
  const orgFile = path.join(dir, 'organisations.json');
  const partners: PartnerSpec[] = existsSync(orgFile) ? (JSON.parse(readFileSync(orgFile, 'utf8')) as PartnerSpec[]) : [];
  const byCode = new Map(partners.map((p) => [p.odsCode, p]));
  const orgInputs: OrganisationInput[] = [...new Set(feeds.map((f) => f.organisation))].map((code) => {
    const p = byCode.get(code);
    const f = feeds.find((x) => x.organisation === code)!;
    return {
      odsCode: code, name: p?.name ?? f.name ?? code, kind: p?.kind ?? f.kind ?? 'other', icoRegistration: p?.icoRegistration,
      siro: p?.siro, caldicottGuardian: p?.caldicottGuardian, accessToRecordsContact: p?.accessToRecordsEmail,
      isaFrom: p?.isaFrom ?? today, isaTo: p?.isaTo ?? null, synthetic: p?.syntheticCode ?? true,
    };
  });
  const organisations = await ensureOrganisations(db, orgInputs);
  const added: string[] = [];
  for (const f of feeds) {
    if (await getFeed(db, f.id)) continue;
    await addFeed(db, { id: f.id, organisationOds: f.organisation, format: f.format, name: f.name ?? null, snapshot: false });
    added.push(f.id);
  }
  return { organisations, feeds: added };
}

export async function feedTokens(db: Kysely<Tables>, feedIds: string[], now: Date): Promise<Record<string, string>> {
  const key = await tokenKey(db);
  const out: Record<string, string> = {};
  for (const id of feedIds) out[id] = await issueToken(key, { kind: 'feed', feedId: id }, now, 6 * 3600);
  return out;
}

export interface SendSummary { feeds: number; files: number; hl7: { sent: number; AA: number; AE: number; AR: number }; fhir: { bundles: number; accepted: number; rejected: number }; csv: { files: number; accepted: number; rejected: number }; seconds: number }

export interface Endpoints { httpUrl: string; mllpHost: string; mllpPort: number }

/** Sends every file of the county to a running server; `concurrency` feeds at a time. */
export async function sendCounty(dir: string, tokens: Record<string, string>, at: Endpoints, opts: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<SendSummary> {
  const started = Date.now();
  const feeds = readCountyFeeds(dir);
  const work = feeds.map((f) => ({ feed: f, files: existsSync(path.join(dir, f.id)) ? listInputFiles([path.join(dir, f.id)], f.format) : [] }));
  const total = work.reduce((n, w) => n + w.files.length, 0);
  const s: SendSummary = { feeds: feeds.length, files: total, hl7: { sent: 0, AA: 0, AE: 0, AR: 0 }, fhir: { bundles: 0, accepted: 0, rejected: 0 }, csv: { files: 0, accepted: 0, rejected: 0 }, seconds: 0 };
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);

  const sendFeed = async (w: (typeof work)[number]) => {
    const token = tokens[w.feed.id];
    if (!token) throw new LoadError(`no token for feed ${w.feed.id}`);
    if (w.feed.format === 'hl7v2') {
      const client = await MllpClient.connect(at.mllpHost, at.mllpPort);
      try {
        for (const file of w.files) {
          for (const msg of splitHl7File(readFileSync(file, 'utf8'))) {
            const code = ackCode(await client.send(msg));
            s.hl7.sent++;
            if (code === 'AA' || code === 'AE' || code === 'AR') s.hl7[code]++;
          }
          tick();
        }
      } finally {
        await client.close();
      }
      return;
    }
    for (const file of w.files) {
      const body = readFileSync(file);
      const route = w.feed.format === 'fhir' ? '/ingest/fhir' : '/ingest/csv';
      const res = await fetch(`${at.httpUrl}${route}`, {
        method: 'POST', body,
        headers: { authorization: `Bearer ${token}`, 'content-type': w.feed.format === 'fhir' ? 'application/fhir+json' : 'text/csv' },
      });
      const answer = (await res.json()) as { entry?: Array<{ response?: { status?: string } }>; accepted?: number; rejected?: number };
      if (w.feed.format === 'fhir') {
        s.fhir.bundles++;
        for (const e of answer.entry ?? []) {
          if (/^2/.test(e.response?.status ?? '')) s.fhir.accepted++;
          else s.fhir.rejected++;
        }
        if (!res.ok) s.fhir.rejected++;
      } else {
        s.csv.files++;
        s.csv.accepted += answer.accepted ?? 0;
        s.csv.rejected += answer.rejected ?? 0;
      }
      tick();
    }
  };

  const queue = [...work].sort((a, b) => b.files.length - a.files.length);
  const runners = Array.from({ length: Math.min(opts.concurrency ?? 4, queue.length) }, async () => {
    for (let w = queue.shift(); w; w = queue.shift()) await sendFeed(w);
  });
  await Promise.all(runners);
  s.seconds = (Date.now() - started) / 1000;
  return s;
}
