/**
 * Benchmark of the audit log on each engine (embedded PGlite always; PostgreSQL when DATABASE_URL
 * or TEST_DATABASE_URL is set, in a scratch schema): sustained chained appends per second in
 * batches, beside the raw insert rate of the same rows into a copy of the table with the same
 * indexes (no chain, no head lock, no hashing), in the same run; the latency one append adds to a
 * small read transaction (p50/p99), beside what any one-row write adds to the same transaction
 * (the commit's WAL flush, which no audit design that writes first can avoid) and the disk's
 * fdatasync time; unbatched appends per second (sequential and, on PostgreSQL, concurrent); and
 * stored verification speed. Prints a table and writes bench/results/audit.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openMigrated, openPGlite, openPostgres, transaction, type Database, type Engine } from '../src/store/db.ts';
import type { Tables } from '../src/store/tables.ts';
import { appendAudit, appendAuditMany, verifyStoredAudit, type AuditEventDraft } from '../src/audit/index.ts';
import { chainMany, GENESIS_HEAD } from '../src/audit/chain/index.ts';
import { insertEventsSql } from '../src/audit/rows.ts';
import { testSettings } from '../src/audit/testSupport.ts';

export interface AuditBenchRow {
  engine: Engine;
  events: number;
  batch: number;
  rawInsertPerSecond: number;
  chainedAppendPerSecond: number;
  /** Chained rate as a share of the raw rate. */
  chainedShareOfRaw: number;
  singleAppendPerSecond: number;
  concurrentSingleAppendPerSecond: number | null;
  readTxP50Ms: number;
  readTxP99Ms: number;
  readTxWithAppendP50Ms: number;
  readTxWithAppendP99Ms: number;
  addedP50Ms: number;
  addedP99Ms: number;
  /** The same read transaction plus a one-row insert into a plain table: the floor any write pays at commit. */
  readTxWithWriteP50Ms: number;
  readTxWithWriteP99Ms: number;
  /** What the audit adds beyond that floor: with-append minus with-write, per percentile. */
  addedOverWriteP50Ms: number;
  addedOverWriteP99Ms: number;
  /** write(8 KiB) + fdatasync of a file in the bench host's temp directory, like pg_test_fsync's fdatasync line. */
  fdatasyncP50Ms: number;
  fdatasyncP99Ms: number;
  /** The appendAudit call alone, inside the transaction (the rest of the added time is the commit's WAL flush). */
  appendCallP50Ms: number;
  appendCallP99Ms: number;
  verifyPerSecond: number;
  /** The same log verified a second time (hint bits set). */
  verifyAgainPerSecond: number;
  /** Events per CPU-second of this process. */
  verifyPerCpuSecond: number;
  verifiedEvents: number;
  /** One-minute load average at the end: the machine is shared, so read the rates beside it. */
  loadAverage: number;
}

export interface AuditBenchResult { name: 'audit'; node: string; rows: AuditBenchRow[] }

export interface AuditBenchOptions { events?: number; batch?: number; latencySamples?: number; engines?: Engine[] }

const PERSONS = Array.from({ length: 1000 }, () => {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
});

function draft(i: number): AuditEventDraft {
  const time = new Date(Date.UTC(2025, 0, 1) + i * 20).toISOString();
  const actor = { kind: 'user' as const, id: `u-${i % 3000}`, organisationOds: i % 3 ? 'RX1' : 'A81001', role: 'clinician' };
  return i % 5 === 0
    ? { time, actor, action: 'search', purpose: 'direct-care', outcome: 'success', details: { terms: { family: 'Example', birthDate: '1970-01-01' }, results: 3 } }
    : { time, actor, action: 'view', personId: PERSONS[i % PERSONS.length], purpose: 'direct-care', outcome: 'success', details: { resources: [`Condition/c-${i}`, `MedicationStatement/m-${i}`], view: 'summary' } };
}

export async function run(opts: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const events = opts.events ?? 100_000;
  const batch = opts.batch ?? 1000;
  const samples = opts.latencySamples ?? 2000;
  const url = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  const engines = opts.engines ?? (url ? (['pglite', 'postgres'] as Engine[]) : (['pglite'] as Engine[]));
  const rows: AuditBenchRow[] = [];
  for (const engine of engines) {
    const scratch = await openScratch(engine, url);
    try {
      rows.push(await measure(engine, scratch.database.db, { events, batch, samples }));
    } finally {
      await scratch.dispose();
    }
  }
  const result: AuditBenchResult = { name: 'audit', node: process.version, rows };
  print(result);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'audit.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function openScratch(engine: Engine, url: string | undefined): Promise<{ database: Database; dispose: () => Promise<void> }> {
  if (engine === 'pglite') {
    const database = await openMigrated(() => openPGlite(null));
    return { database, dispose: () => database.close() };
  }
  if (!url) throw new Error('PostgreSQL needs DATABASE_URL or TEST_DATABASE_URL');
  const schema = `bench_audit_${randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(text); } finally { await c.end(); }
  };
  await admin(`create schema ${schema}`);
  const database = await openMigrated(() => openPostgres({ url, schema, poolSize: 10 }));
  return { database, dispose: async () => { await database.close(); await admin(`drop schema ${schema} cascade`); } };
}

async function measure(engine: Engine, db: Kysely<Tables>, o: { events: number; batch: number; samples: number }): Promise<AuditBenchRow> {
  const settings = testSettings(10_000, 3000);
  const drafts = Array.from({ length: o.events }, (_, i) => draft(i));

  // Raw: the same rows, already chained, into a plain copy with the same indexes.
  await sql`create table audit_raw (like audit_events including defaults including indexes)`.execute(db);
  // The very statement the append path uses, so the two differ only by what the chain adds.
  const prechained = chainMany(GENESIS_HEAD, drafts);
  let t0 = performance.now();
  for (let i = 0; i < prechained.length; i += o.batch) {
    const chunk = prechained.slice(i, i + o.batch);
    await transaction(db, (trx) => insertEventsSql('audit_raw', chunk).execute(trx));
  }
  const rawSeconds = (performance.now() - t0) / 1000;

  // Chained, batched: hashing, head lock, checkpoints every 10 000.
  t0 = performance.now();
  for (let i = 0; i < drafts.length; i += o.batch) {
    const chunk = drafts.slice(i, i + o.batch);
    await transaction(db, (trx) => appendAuditMany(trx, chunk, { settings }));
  }
  const chainedSeconds = (performance.now() - t0) / 1000;

  // Latency a single append adds to a small read transaction, interleaved so drift hits all alike;
  // beside it, a one-row insert into a plain table in the same transaction: a transaction that
  // writes anything waits at commit for its WAL to reach the disk, audit or not.
  await sql`create table bench_commit_probe (id bigserial primary key, at timestamptz not null)`.execute(db);
  const plain: number[] = [];
  const written: number[] = [];
  const audited: number[] = [];
  const inside: number[] = [];
  const read = (trx: Kysely<Tables>) => trx.selectFrom('audit_chain_head').select('seq').limit(1).execute();
  for (let i = 0; i < o.samples; i++) {
    let s = performance.now();
    await transaction(db, async (trx) => { await read(trx); });
    plain.push(performance.now() - s);
    s = performance.now();
    await transaction(db, async (trx) => {
      await read(trx);
      await sql`insert into bench_commit_probe (at) values (now())`.execute(trx);
    });
    written.push(performance.now() - s);
    s = performance.now();
    await transaction(db, async (trx) => {
      await read(trx);
      const a = performance.now();
      await appendAudit(trx, draft(i), { settings });
      inside.push(performance.now() - a);
    });
    audited.push(performance.now() - s);
  }

  // Unbatched appends, one event a transaction: sequential, then (PostgreSQL) 10 in flight.
  const singles = Math.min(2000, o.events);
  t0 = performance.now();
  for (let i = 0; i < singles; i++) await transaction(db, (trx) => appendAudit(trx, draft(i), { settings }));
  const singleSeconds = (performance.now() - t0) / 1000;
  let concurrent: number | null = null;
  if (engine === 'postgres') {
    t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < singles) {
        const i = next++;
        await transaction(db, (trx) => appendAudit(trx, draft(i), { settings }));
      }
    }));
    concurrent = Math.round(singles / ((performance.now() - t0) / 1000));
  }

  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const v = await verifyStoredAudit(db);
  const verifySeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // This process's CPU only (on PostgreSQL the server's work is elsewhere): on a shared machine the wall clock mostly measures the neighbours.
  const verifyCpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (!v.ok) throw new Error(`the benchmark log failed verification at seq ${v.firstBad.seq}`);
  // Again: the first scan after a bulk load also sets each row's commit hint bits (a one-off write
  // by the database); a log that has settled, as it has by the time anyone verifies it, reads clean.
  t0 = performance.now();
  const again = await verifyStoredAudit(db);
  const againSeconds = (performance.now() - t0) / 1000;
  if (!again.ok) throw new Error(`the benchmark log failed its second verification at seq ${again.firstBad.seq}`);

  const fsyncs = await fdatasyncTimes(200);
  const p = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0; };
  const raw = o.events / rawSeconds;
  const chained = o.events / chainedSeconds;
  return {
    engine, events: o.events, batch: o.batch,
    rawInsertPerSecond: Math.round(raw),
    chainedAppendPerSecond: Math.round(chained),
    chainedShareOfRaw: r2(chained / raw),
    singleAppendPerSecond: Math.round(singles / singleSeconds),
    concurrentSingleAppendPerSecond: concurrent,
    readTxP50Ms: r3(p(plain, 0.5)), readTxP99Ms: r3(p(plain, 0.99)),
    readTxWithAppendP50Ms: r3(p(audited, 0.5)), readTxWithAppendP99Ms: r3(p(audited, 0.99)),
    addedP50Ms: r3(p(audited, 0.5) - p(plain, 0.5)), addedP99Ms: r3(p(audited, 0.99) - p(plain, 0.99)),
    readTxWithWriteP50Ms: r3(p(written, 0.5)), readTxWithWriteP99Ms: r3(p(written, 0.99)),
    addedOverWriteP50Ms: r3(p(audited, 0.5) - p(written, 0.5)), addedOverWriteP99Ms: r3(p(audited, 0.99) - p(written, 0.99)),
    fdatasyncP50Ms: r3(p(fsyncs, 0.5)), fdatasyncP99Ms: r3(p(fsyncs, 0.99)),
    appendCallP50Ms: r3(p(inside, 0.5)), appendCallP99Ms: r3(p(inside, 0.99)),
    verifyPerSecond: Math.round(v.count / verifySeconds), verifyAgainPerSecond: Math.round(again.count / againSeconds), verifyPerCpuSecond: Math.round(v.count / verifyCpuSeconds), verifiedEvents: v.count,
    loadAverage: r2(loadavg()[0] ?? 0),
  };
}

/**
 * Milliseconds for each of n write(8 KiB) + fdatasync of one file, as pg_test_fsync measures the
 * WAL's sync method (fdatasync here): the least a durable commit can wait on this disk. The temp
 * directory stands in for the database's disk (on the benchmark host they are the same device).
 */
async function fdatasyncTimes(n: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ohc-fsync-'));
  const file = await open(join(dir, 'probe'), 'w');
  const block = Buffer.alloc(8192, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await file.write(block, 0, block.length, 0);
      await file.datasync();
      times.push(performance.now() - s);
    }
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
  return times;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function print(r: AuditBenchResult): void {
  console.table(r.rows.map((x) => ({
    engine: x.engine,
    'raw insert/s': x.rawInsertPerSecond,
    'chained append/s': x.chainedAppendPerSecond,
    'chained/raw': x.chainedShareOfRaw,
    'single append/s': x.singleAppendPerSecond,
    'single x10 conc/s': x.concurrentSingleAppendPerSecond ?? '-',
    'read tx p50/p99 ms': `${x.readTxP50Ms} / ${x.readTxP99Ms}`,
    '+append p50/p99 ms': `${x.addedP50Ms} / ${x.addedP99Ms}`,
    '+1-row write p50/p99 ms': `${r3(x.readTxWithWriteP50Ms - x.readTxP50Ms)} / ${r3(x.readTxWithWriteP99Ms - x.readTxP99Ms)}`,
    '+append over write p50/p99 ms': `${x.addedOverWriteP50Ms} / ${x.addedOverWriteP99Ms}`,
    'fdatasync p50/p99 ms': `${x.fdatasyncP50Ms} / ${x.fdatasyncP99Ms}`,
    'append call p50/p99 ms': `${x.appendCallP50Ms} / ${x.appendCallP99Ms}`,
    'verify/s': x.verifyPerSecond,
    'verify again/s': x.verifyAgainPerSecond,
    'verify/cpu-s': x.verifyPerCpuSecond,
    load: x.loadAverage,
  })));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const events = Number(process.argv[2] ?? 100_000);
  await run({ events });
}
