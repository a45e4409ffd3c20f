/**
 * Ingestion throughput, end to end through the real interfaces: a generated county's HL7 messages
 * over MLLP (acknowledged = stored durably), FHIR bundles and CSV extracts over HTTP, then until the
 * workers have mapped, matched and stored everything — each beside the raw batched-insert rate of
 * the same rows into a plain table, measured in the same run on the same engine.
 *
 * Then the workers alone ("worker drain"): in a second fresh database everything is stored first
 * with the workers paused, and the workers (as many as the server runs) are timed until the inbox
 * is empty — their throughput including matching, apart from how fast senders are acknowledged.
 *
 *   npm run bench -- ingest [--persons 100000] [--connections 16] [--engine postgres|pglite] [--drain false]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { generateCounty } from '../src/generate/index.ts';
import { loadConfig } from '../src/config/config.ts';
import { startSystem } from '../src/system/start.ts';
import { feedTokens, readCountyFeeds, registerCounty } from '../src/load/county.ts';
import { listInputFiles } from '../src/ingest/ingestFiles.ts';
import { MllpClient, ackCode, splitHl7File } from '../src/mllp/client.ts';
import type { Tables } from '../src/store/tables.ts';
import { startWorkers } from '../src/ingest/worker.ts';
import { mapStored } from '../src/ingest/mapStored.ts';
import { auditBatchLinks } from '../src/ingest/auditLinks.ts';
import { categoriseResource } from '../src/access/policy/index.ts';
import { benchEngines, freshDatabase, machine, printTable, writeResult } from './support.ts';

interface Row {
  engine: string; format: string; items: number; ackPerSec: number; endToEndPerSec: number; rawInsertPerSec: number; ratioToRaw: number;
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let x = queue.shift(); x !== undefined; x = queue.shift()) await work(x);
  }));
}

/** Raw baseline: the same payloads inserted in batches of 500 into a plain table, no processing. */
async function rawInsertRate(db: Kysely<Tables>, payloads: string[], asJson: boolean): Promise<number> {
  await sql`drop table if exists bench_raw`.execute(db);
  await sql.raw(`create table bench_raw (id bigserial primary key, feed text not null, message_id text not null, content ${asJson ? 'jsonb' : 'text'} not null, received_at timestamptz not null default now())`).execute(db);
  const started = performance.now();
  for (let i = 0; i < payloads.length; i += 500) {
    const batch = payloads.slice(i, i + 500);
    const values = sql.join(batch.map((p, j) => sql`(${'bench'}, ${String(i + j)}, ${asJson ? sql`${p}::jsonb` : p})`));
    await sql`insert into bench_raw (feed, message_id, content) values ${values}`.execute(db);
  }
  const seconds = (performance.now() - started) / 1000;
  await sql`drop table bench_raw`.execute(db);
  return payloads.length / seconds;
}

/** HL7 files dealt to connections in turn, each connection sending one message at a time; returns how many were answered. */
async function sendHl7(port: number, files: Array<{ file: string }>, connections: number): Promise<number> {
  const streams = Array.from({ length: connections }, (_, c) => files.filter((_, i) => i % connections === c));
  let acked = 0;
  await Promise.all(streams.map(async (list) => {
    const client = await MllpClient.connect('127.0.0.1', port);
    for (const f of list) for (const m of splitHl7File(readFileSync(f.file, 'utf8'))) if (['AA', 'AE', 'AR'].includes(ackCode(await client.send(m)))) acked++;
    await client.close();
  }));
  return acked;
}

/** FHIR bundles posted four at a time; returns how many entries were accepted. */
async function sendFhir(httpUrl: string, files: Array<{ feed: string; file: string }>, tokens: Record<string, string>): Promise<number> {
  let accepted = 0;
  await pool(files, 4, async (f) => {
    const res = await fetch(`${httpUrl}/ingest/fhir`, { method: 'POST', body: readFileSync(f.file), headers: { authorization: `Bearer ${tokens[f.feed]}`, 'content-type': 'application/fhir+json' } });
    const body = (await res.json()) as { entry?: Array<{ response: { status: string } }> };
    accepted += (body.entry ?? []).filter((e) => e.response.status.startsWith('2')).length;
  });
  return accepted;
}

export async function run(opts: { persons?: number; connections?: number; engine?: string; drain?: boolean } = {}): Promise<unknown> {
  const persons = opts.persons ?? 10_000;
  const connections = opts.connections ?? 16;
  const dir = mkdtempSync(path.join(tmpdir(), 'ohc-bench-ingest-'));
  process.stderr.write(`generating ${persons} persons …\n`);
  const summary = await generateCounty({ persons, seed: 'bench-ingest', outDir: path.join(dir, 'county'), asOf: '2025-06-30' });
  const county = path.join(dir, 'county');
  const feeds = readCountyFeeds(county);
  const filesOf = (format: string) => feeds.filter((f) => f.format === format).flatMap((f) => listInputFiles([path.join(county, f.id)], f.format).map((file) => ({ feed: f.id, file })));
  const hl7Files = filesOf('hl7v2');
  const fhirFiles = filesOf('fhir');
  const csvFiles = filesOf('csv');
  const hl7Messages = hl7Files.flatMap((f) => splitHl7File(readFileSync(f.file, 'utf8')));
  const fhirResources = fhirFiles.flatMap((f) => ((JSON.parse(readFileSync(f.file, 'utf8')) as { entry?: Array<{ resource?: unknown }> }).entry ?? []).map((e) => JSON.stringify(e.resource ?? {})));
  const csvRows = csvFiles.flatMap((f) => readFileSync(f.file, 'utf8').split(/\r?\n/).slice(1).filter((l) => l !== ''));

  const rows: Row[] = [];
  for (const engine of benchEngines(opts.engine)) {
    const fresh = await freshDatabase(engine);
    const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
    const system = await startSystem({ config, database: fresh.database, log: () => undefined });
    try {
      const db = fresh.database.db;
      await registerCounty(db, county, '2025-06-30');
      const tokens = await feedTokens(db, feeds.map((f) => f.id), new Date());
      const httpUrl = `http://127.0.0.1:${system.httpPort}`;
      process.stderr.write(`${fresh.describe}: HL7 over MLLP (${hl7Messages.length} messages, ${connections} connections) …\n`);

      let t0 = performance.now();
      const acked = await sendHl7(system.mllpPort, hl7Files, connections);
      const hl7Ack = (performance.now() - t0) / 1000;
      await system.drained();
      const hl7E2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'HL7 v2 messages (MLLP)', items: acked, ackPerSec: acked / hl7Ack, endToEndPerSec: acked / hl7E2e, rawInsertPerSec: await rawInsertRate(db, hl7Messages, false), ratioToRaw: 0 });

      process.stderr.write(`${fresh.describe}: FHIR bundles over HTTP (${fhirResources.length} resources) …\n`);
      t0 = performance.now();
      const fhirAccepted = await sendFhir(httpUrl, fhirFiles, tokens);
      const fhirAck = (performance.now() - t0) / 1000;
      await system.drained();
      const fhirE2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'FHIR resources (HTTP bundles)', items: fhirAccepted, ackPerSec: fhirAccepted / fhirAck, endToEndPerSec: fhirAccepted / fhirE2e, rawInsertPerSec: await rawInsertRate(db, fhirResources, true), ratioToRaw: 0 });

      process.stderr.write(`${fresh.describe}: CSV extracts over HTTP (${csvRows.length} rows) …\n`);
      t0 = performance.now();
      let csvAccepted = 0;
      for (const f of csvFiles) {
        const res = await fetch(`${httpUrl}/ingest/csv`, { method: 'POST', body: readFileSync(f.file), headers: { authorization: `Bearer ${tokens[f.feed]}`, 'content-type': 'text/csv' } });
        csvAccepted += ((await res.json()) as { accepted: number }).accepted;
      }
      const csvAck = (performance.now() - t0) / 1000;
      await system.drained();
      const csvE2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'CSV rows (HTTP extracts)', items: csvAccepted, ackPerSec: csvAccepted / csvAck, endToEndPerSec: csvAccepted / csvE2e, rawInsertPerSec: await rawInsertRate(db, csvRows, false), ratioToRaw: 0 });
    } finally {
      await system.stop();
      await fresh.dispose();
    }
    if (opts.drain === false) continue;

    // The workers alone: everything stored first, then drained.
    const second = await freshDatabase(engine);
    const paused = await startSystem({ config, database: second.database, log: () => undefined, workers: 0 });
    try {
      const db = second.database.db;
      await registerCounty(db, county, '2025-06-30');
      const tokens = await feedTokens(db, feeds.map((f) => f.id), new Date());
      const now = () => new Date();
      process.stderr.write(`${second.describe}: worker drain (${config.ingestWorkers} workers) …\n`);
      // acked/s here: how fast senders are answered while no worker runs (the receive path alone).
      const timed = async (send: () => Promise<number>): Promise<{ items: number; ackPerSec: number }> => {
        const t = performance.now();
        const items = await send();
        return { items, ackPerSec: items / ((performance.now() - t) / 1000) };
      };
      const drain = async (format: string, { items, ackPerSec }: { items: number; ackPerSec: number }): Promise<void> => {
        const workers = startWorkers({ db, mapStored, now, categorise: (r) => categoriseResource(r as never), onBatch: auditBatchLinks(now) }, config.ingestWorkers, (e) => process.stderr.write(`worker: ${e instanceof Error ? e.message : String(e)}\n`));
        const t = performance.now();
        await workers.drained();
        const seconds = (performance.now() - t) / 1000;
        await workers.stop();
        rows.push({ engine: second.describe, format: `${format} (worker drain)`, items, ackPerSec, endToEndPerSec: items / seconds, rawInsertPerSec: rows.find((r) => r.format.startsWith(format) && r.rawInsertPerSec > 0)?.rawInsertPerSec ?? 0, ratioToRaw: 0 });
      };
      await drain('HL7 v2 messages', await timed(() => sendHl7(paused.mllpPort, hl7Files, connections)));
      await drain('FHIR resources', await timed(() => sendFhir(`http://127.0.0.1:${paused.httpPort}`, fhirFiles, tokens)));
    } finally {
      await paused.stop();
      await second.dispose();
    }
  }
  for (const r of rows) r.ratioToRaw = r.rawInsertPerSec > 0 ? r.endToEndPerSec / r.rawInsertPerSec : 0;
  printTable(`ingest: ${persons} persons (${summary.hl7Messages} HL7 messages, ${summary.fhirEntries} FHIR entries, ${summary.csvRows} CSV rows)`, rows.map((r) => ({
    engine: r.engine, format: r.format, items: r.items, 'acked/s': Math.round(r.ackPerSec), 'end-to-end/s': Math.round(r.endToEndPerSec), 'raw insert/s': Math.round(r.rawInsertPerSec), 'e2e ÷ raw': r.ratioToRaw.toFixed(4),
  })));
  const result = { name: 'ingest', ...machine(), persons, connections, rows };
  process.stdout.write(`\nwrote ${writeResult('ingest', result)}\n`);
  rmSync(dir, { recursive: true, force: true });
  return result;
}
