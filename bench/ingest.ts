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
 * The senders run in a process of their own, as real senders are other machines: the server's
 * event loop is the server's alone. Acknowledged is timed from the first send to the last ACK
 * received, end to end until the inbox is drained (including matching).
 *
 *   npm run bench -- ingest [--persons 100000] [--connections 16] [--engine postgres|pglite] [--drain false]
 *     [--worker-processes N]   (PostgreSQL: inbox workers in N processes of their own; 0 = in the server's; default as configured)
 *     [--worker-nice N]        (niceness added to those processes; default as configured)
 *     [--worker-give-way-ms N] (their workers wait for senders to be quiet this long before a batch; 0 = never; default as configured)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
import { startWorkers, type Workers } from '../src/ingest/worker.ts';
import { startWorkerProcesses } from '../src/ingest/workerProcesses.ts';
import { pendingCount } from '../src/ingest/inbox.ts';
import type { PostgresOptions } from '../src/store/db.ts';
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

/** One sending job, done by the sender process. */
type SendJob =
  | { kind: 'hl7'; port: number; files: string[]; connections: number }
  | { kind: 'fhir'; url: string; files: Array<{ feed: string; file: string }>; tokens: Record<string, string> }
  | { kind: 'csv'; url: string; files: Array<{ feed: string; file: string }>; tokens: Record<string, string> };

/**
 * The sender process's side: reads the files and opens the connections first (not timed), says
 * ready, and on go sends everything; answers how many items were acknowledged.
 */
async function prepare(job: SendJob): Promise<() => Promise<number>> {
  if (job.kind === 'hl7') {
    const streams = dealHl7(job.files.flatMap((f) => splitHl7File(readFileSync(f, 'utf8'))), job.connections);
    const clients = await Promise.all(streams.map(() => MllpClient.connect('127.0.0.1', job.port)));
    return async () => {
      let acked = 0;
      await Promise.all(streams.map(async (list, c) => {
        for (const m of list) if (['AA', 'AE', 'AR'].includes(ackCode(await clients[c]!.send(m)))) acked++;
        await clients[c]!.close();
      }));
      return acked;
    };
  }
  const bodies = job.files.map((f) => ({ feed: f.feed, body: readFileSync(f.file) }));
  if (job.kind === 'fhir') {
    // FHIR bundles posted four at a time; counts the entries accepted.
    return async () => {
      let accepted = 0;
      await pool(bodies, 4, async (f) => {
        const res = await fetch(`${job.url}/ingest/fhir`, { method: 'POST', body: f.body, headers: { authorization: `Bearer ${job.tokens[f.feed]}`, 'content-type': 'application/fhir+json' } });
        const body = (await res.json()) as { entry?: Array<{ response: { status: string } }> };
        accepted += (body.entry ?? []).filter((e) => e.response.status.startsWith('2')).length;
      });
      return accepted;
    };
  }
  // CSV extracts one after another; counts the rows accepted.
  return async () => {
    let accepted = 0;
    for (const f of bodies) {
      const res = await fetch(`${job.url}/ingest/csv`, { method: 'POST', body: f.body, headers: { authorization: `Bearer ${job.tokens[f.feed]}`, 'content-type': 'text/csv' } });
      accepted += ((await res.json()) as { accepted: number }).accepted;
    }
    return accepted;
  };
}

/**
 * HL7 messages dealt to connections a person at a time: every message about one person goes down
 * one connection, in the files' order, as an interface engine spreading a feed over several
 * connections keeps each patient's messages in order; persons are dealt in turn so every
 * connection stays busy until near the end. (Dealing whole files left connections idle: a file
 * holds 500 persons, so 10,000 persons made about ten HL7 files for 16 connections.) A person is
 * every identifier seen together in one PID-3, or in PID-3 and MRG-1 (a merge goes with both).
 */
export function dealHl7(messages: string[], connections: number): string[][] {
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    parent.set(x, r);
    return r;
  };
  const idsOf = (m: string): string[] => {
    const out: string[] = [];
    for (const seg of m.split('\r')) {
      if (!seg.startsWith('PID|') && !seg.startsWith('MRG|')) continue;
      const field = seg.split('|')[seg.startsWith('PID|') ? 3 : 1] ?? '';
      for (const rep of field.split('~')) {
        const c = rep.split('^');
        if (c[0]) out.push(`${c[0]}^${c[3] ?? ''}`);
      }
    }
    return out;
  };
  const ids = messages.map(idsOf);
  for (const list of ids) {
    for (const id of list) if (!parent.has(id)) parent.set(id, id);
    for (const id of list.slice(1)) parent.set(root(id), root(list[0]!));
  }
  const streams: string[][] = Array.from({ length: connections }, () => []);
  const owner = new Map<string, number>();
  let last = '';
  for (const [i, m] of messages.entries()) {
    // A message naming nobody goes with the one before it.
    const key = ids[i]![0] !== undefined ? root(ids[i]![0]) : last;
    last = key;
    let c = owner.get(key);
    if (c === undefined) owner.set(key, (c = owner.size % connections));
    streams[c]!.push(m);
  }
  return streams;
}

const SENDER_VARIABLE = 'OHC_BENCH_INGEST_SENDER';
if (process.env[SENDER_VARIABLE] && process.send) {
  process.once('message', (job: SendJob) => {
    void prepare(job).then((go) => {
      process.once('message', () => void go().then((items) => process.send!({ items }, () => process.exit(0))));
      process.send!('ready');
    }, (err: unknown) => {
      process.stderr.write(`sender: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
  });
}

/** Runs one job in a sender process; the clock runs from go to the answer (the last ACK). */
async function send(job: SendJob, onGo: () => void = () => undefined): Promise<{ items: number; seconds: number }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'], env: { ...process.env, [SENDER_VARIABLE]: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const next = () => new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    void exited.then((code) => reject(new Error(`the sender process exited with ${code}`)));
  });
  const ready = next();
  child.send(job);
  await ready;
  const answer = next();
  const t0 = performance.now();
  onGo();
  child.send('go');
  const { items } = (await answer) as { items: number };
  const seconds = (performance.now() - t0) / 1000;
  await exited;
  return { items, seconds };
}

/** Every worker found its share empty and the inbox agrees (one idle worker is not proof). */
async function drainedFully(workers: Workers, db: Kysely<Tables>): Promise<void> {
  do await workers.drained();
  while ((await pendingCount(db)) > 0);
}

export async function run(opts: { persons?: number; connections?: number; engine?: string; drain?: boolean; workerProcesses?: number; workerNice?: number; workerGiveWayMs?: number } = {}): Promise<unknown> {
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
  // The payloads for the raw baselines are read when each baseline runs, not held all along: the
  // server runs in this process, and a real server's heap does not hold its senders' messages (at
  // 100,000 persons over a million strings, which every full garbage collection would trace).
  const payloads = {
    hl7: () => hl7Files.flatMap((f) => splitHl7File(readFileSync(f.file, 'utf8'))),
    fhir: () => fhirFiles.flatMap((f) => ((JSON.parse(readFileSync(f.file, 'utf8')) as { entry?: Array<{ resource?: unknown }> }).entry ?? []).map((e) => JSON.stringify(e.resource ?? {}))),
    csv: () => csvFiles.flatMap((f) => readFileSync(f.file, 'utf8').split(/\r?\n/).slice(1).filter((l) => l !== '')),
  };
  const counts = { hl7: payloads.hl7().length, fhir: payloads.fhir().length, csv: payloads.csv().length };
  const env: Record<string, string> = { PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' };
  if (opts.workerProcesses !== undefined) env.OHC_INGEST_WORKER_PROCESSES = String(opts.workerProcesses);
  if (opts.workerNice !== undefined) env.OHC_INGEST_WORKER_NICE = String(opts.workerNice);
  if (opts.workerGiveWayMs !== undefined) env.OHC_INGEST_WORKER_GIVE_WAY_MS = String(opts.workerGiveWayMs);
  const config = loadConfig(env, process.cwd());

  const rows: Row[] = [];
  for (const engine of benchEngines(opts.engine)) {
    const fresh = await freshDatabase(engine);
    // Worker processes connect as the server did: the same URL, the bench's own schema.
    const postgres = await connectionOf(fresh.database.db, engine);
    const system = await startSystem({ config, database: fresh.database, log: () => undefined, ...(postgres ? { postgres } : {}) });
    const where = postgres && config.ingestWorkerProcesses > 0 ? `${config.ingestWorkerProcesses} worker process(es)` : 'workers in-process';
    try {
      const db = fresh.database.db;
      await registerCounty(db, county, '2025-06-30');
      const tokens = await feedTokens(db, feeds.map((f) => f.id), new Date());
      const httpUrl = `http://127.0.0.1:${system.httpPort}`;
      process.stderr.write(`${fresh.describe}, ${where}: HL7 over MLLP (${counts.hl7} messages, ${connections} connections) …\n`);

      let t0 = 0;
      const goAt = () => { t0 = performance.now(); };
      const hl7 = await send({ kind: 'hl7', port: system.mllpPort, files: hl7Files.map((f) => f.file), connections }, goAt);
      await system.drained();
      const hl7E2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'HL7 v2 messages (MLLP)', items: hl7.items, ackPerSec: hl7.items / hl7.seconds, endToEndPerSec: hl7.items / hl7E2e, rawInsertPerSec: await rawInsertRate(db, payloads.hl7(), false), ratioToRaw: 0 });

      process.stderr.write(`${fresh.describe}: FHIR bundles over HTTP (${counts.fhir} resources) …\n`);
      const fhir = await send({ kind: 'fhir', url: httpUrl, files: fhirFiles, tokens }, goAt);
      await system.drained();
      const fhirE2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'FHIR resources (HTTP bundles)', items: fhir.items, ackPerSec: fhir.items / fhir.seconds, endToEndPerSec: fhir.items / fhirE2e, rawInsertPerSec: await rawInsertRate(db, payloads.fhir(), true), ratioToRaw: 0 });

      process.stderr.write(`${fresh.describe}: CSV extracts over HTTP (${counts.csv} rows) …\n`);
      const csv = await send({ kind: 'csv', url: httpUrl, files: csvFiles, tokens }, goAt);
      await system.drained();
      const csvE2e = (performance.now() - t0) / 1000;
      rows.push({ engine: fresh.describe, format: 'CSV rows (HTTP extracts)', items: csv.items, ackPerSec: csv.items / csv.seconds, endToEndPerSec: csv.items / csvE2e, rawInsertPerSec: await rawInsertRate(db, payloads.csv(), false), ratioToRaw: 0 });
    } finally {
      await system.stop();
      await fresh.dispose();
    }
    if (opts.drain === false) continue;

    // The workers alone: everything stored first (no worker running), then drained by workers
    // started as the server starts them (in worker processes or in-process).
    const second = await freshDatabase(engine);
    const paused = await startSystem({ config, database: second.database, log: () => undefined, workers: 0 });
    try {
      const db = second.database.db;
      const secondPostgres = await connectionOf(db, engine);
      await registerCounty(db, county, '2025-06-30');
      const tokens = await feedTokens(db, feeds.map((f) => f.id), new Date());
      const now = () => new Date();
      process.stderr.write(`${second.describe}: worker drain (${config.ingestWorkers} workers, ${where}) …\n`);
      // acked/s here: how fast senders are answered while no worker runs (the receive path alone).
      const drain = async (format: string, { items, seconds }: { items: number; seconds: number }): Promise<void> => {
        const stored = await pendingCount(db);
        // Every stored item still pending proves no worker ran while senders sent.
        process.stderr.write(`${second.describe}: ${format}: ${stored} inbox rows pending before the drain\n`);
        if (stored === 0) throw new Error(`${format}: nothing pending before the drain; workers were not paused`);
        const onError = (e: unknown) => process.stderr.write(`worker: ${e instanceof Error ? e.message : String(e)}\n`);
        let t = performance.now();
        let workers: Workers;
        if (secondPostgres && config.ingestWorkerProcesses > 0) {
          const processes = startWorkerProcesses({ processes: config.ingestWorkerProcesses, workersEach: config.ingestWorkers, nice: config.ingestWorkerNice, postgres: secondPostgres, onError });
          // A server starts its worker processes once, long before: their start-up is not drain time.
          await processes.ready();
          t = performance.now();
          workers = processes;
        } else {
          workers = startWorkers({ db, mapStored, now, categorise: (r) => categoriseResource(r as never), onBatch: auditBatchLinks(now) }, config.ingestWorkers, onError);
        }
        await drainedFully(workers, db);
        const drainSeconds = (performance.now() - t) / 1000;
        await workers.stop();
        rows.push({ engine: second.describe, format: `${format} (worker drain)`, items, ackPerSec: items / seconds, endToEndPerSec: items / drainSeconds, rawInsertPerSec: rows.find((r) => r.format.startsWith(format) && r.rawInsertPerSec > 0)?.rawInsertPerSec ?? 0, ratioToRaw: 0 });
      };
      await drain('HL7 v2 messages', await send({ kind: 'hl7', port: paused.mllpPort, files: hl7Files.map((f) => f.file), connections }));
      await drain('FHIR resources', await send({ kind: 'fhir', url: `http://127.0.0.1:${paused.httpPort}`, files: fhirFiles, tokens }));
    } finally {
      await paused.stop();
      await second.dispose();
    }
  }
  for (const r of rows) r.ratioToRaw = r.rawInsertPerSec > 0 ? r.endToEndPerSec / r.rawInsertPerSec : 0;
  printTable(`ingest: ${persons} persons (${summary.hl7Messages} HL7 messages, ${summary.fhirEntries} FHIR entries, ${summary.csvRows} CSV rows)`, rows.map((r) => ({
    engine: r.engine, format: r.format, items: r.items, 'acked/s': Math.round(r.ackPerSec), 'end-to-end/s': Math.round(r.endToEndPerSec), 'raw insert/s': Math.round(r.rawInsertPerSec), 'e2e ÷ raw': r.ratioToRaw.toFixed(4),
  })));
  const result = { name: 'ingest', ...machine(), persons, connections, ingestWorkers: config.ingestWorkers, ingestWorkerProcesses: config.ingestWorkerProcesses, ingestWorkerNice: config.ingestWorkerNice, ingestWorkerGiveWayMs: config.ingestWorkerGiveWayMs, rows };
  process.stdout.write(`\nwrote ${writeResult('ingest', result)}\n`);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** A PostgreSQL database's connection as worker processes need it: the bench's URL and this schema. */
async function connectionOf(db: Kysely<Tables>, engine: string): Promise<PostgresOptions | undefined> {
  if (engine !== 'postgres') return undefined;
  const url = (process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL)!;
  const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return { url, schema: r.rows[0]!.schema };
}
