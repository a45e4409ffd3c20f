/**
 * Benchmark of the master patient index in the database.
 *
 * 1. Matching throughput, incremental: source records from the county generator's population and
 *    fault model (names, dates, addresses, mistyped and missing NHS numbers, nicknames, typos,
 *    moves) linked in worker-sized transactions of 100 (each batch together, as the workers do; `match-both` also one by one), at 10,000 and 100,000 persons
 *    (more with `sizes`); records/s for each tenth of the run shows how cost grows with the index,
 *    and the CPU per record of this process and of PostgreSQL (steadier than records/s on a shared
 *    machine; their sum, against the two cores, bounds what any number of workers could reach).
 *    Quality against the generator's person keys is reported too. Beside it, in the same run and on
 *    the same records in the same batches, two raw baselines (see rawFiling): the rows alone, and
 *    the rows with their blocking keys and a read of their blocks — what any index kept in the
 *    database does for a record before it compares or decides anything.
 * 2. Quality through the real pipeline: a generated county (default 10,000 persons, default fault
 *    rates) ingested with ingestFiles for each feed and drainInbox; pairwise precision, recall, F1,
 *    review items and unlinked records against its truth.csv.
 *
 * PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set (a fresh schema, dropped afterwards),
 * else embedded PGlite in memory. Prints a table and writes bench/results/mpi.json.
 * `npx tsx bench/mpi.ts [match|match-both|pipeline|all] [persons…] [--workers=N]` (match-both: batched and one by one, in
 * the same run; --workers: N batches linked at once, each in its own transaction, as several inbox workers do).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../src/store/testing.ts';
import type { Engine } from '../src/store/db.ts';
import { transaction } from '../src/store/db.ts';
import { countyFeeds, countyPartners, generateCounty, gpPractices, DEFAULT_FAULTS } from '../src/generate/index.ts';
import { makePerson } from '../src/generate/population.ts';
import { faithfulRecord, sourceRecord, type SourceRecord } from '../src/generate/sourceRecord.ts';
import { parseDay } from '../src/generate/dates.ts';
import { gpFeedId, FEED_IDS } from '../src/generate/partners.ts';
import { ensureOrganisations } from '../src/registry/organisations.ts';
import { addFeed } from '../src/ingest/feeds.ts';
import type { SourceDemographics } from '../src/ingest/sourceAction.ts';
import { linkSourceRecord, linkSourceRecords } from '../src/mpi/link.ts';
import { recheckAlone } from '../src/mpi/recheck.ts';
import { jsonArray } from '../src/mpi/resolve.ts';
import { blockingKeys, prepareRecord } from '../src/mpi/match/index.ts';
import { evaluateLinks, type LinkEvaluation } from '../src/mpi/query.ts';
import { ingestCounty, readTruth } from '../src/mpi/county.ts';
import { postgresCpuMs } from './support.ts';

export interface MatchRow {
  engine: Engine;
  /** `batch`: each worker-sized transaction links its records together (as the inbox workers do); `one-by-one`: one call per record. */
  mode: MatchMode;
  /** Batches linked at once, each in its own transaction (as several inbox workers do); 1 when absent. */
  workers?: number;
  persons: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** Records/s in each tenth of the run, first to last: flat means cost does not grow with the index. */
  tenths: number[];
  /** Seconds of the closing recheck (recheckAlone over every record that was alone when filed), part of `seconds`. */
  recheckSeconds: number;
  /**
   * Milliseconds of this process's CPU per record while linking and rechecking: steadier than
   * records/s on a shared machine (PostgreSQL's own CPU is not in it).
   */
  nodeCpuMsPerRecord: number;
  /**
   * Milliseconds of PostgreSQL's CPU per record over the same span (every PostgreSQL process on
   * this machine: meaningful on a quiet one); null on PGlite, whose work is in nodeCpuMsPerRecord.
   */
  dbCpuMsPerRecord: number | null;
  quality: Pick<LinkEvaluation, 'precision' | 'recall' | 'f1' | 'reviewItems' | 'reviewShare' | 'unlinked'>;
  /** The raw baselines of the same run (rawFiling); absent in results written before they were measured. */
  raw?: { insert: RawRate; filing: RawRate };
}

/** A raw baseline: records/s, and the CPU per record of this process and of PostgreSQL (null on PGlite). */
export interface RawRate { recordsPerSecond: number; nodeCpuMsPerRecord: number; dbCpuMsPerRecord: number | null }

export interface PipelineRow {
  engine: Engine;
  persons: number;
  sourceRecords: number;
  ingestSeconds: number;
  quality: LinkEvaluation;
}

export interface MpiBenchResult { name: 'mpi'; node: string; match: MatchRow[]; pipeline: PipelineRow[] }

export type MatchMode = 'batch' | 'one-by-one';

const AS_OF = '2026-01-01';
const BATCH = 100;

async function openDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (url) {
    process.env.TEST_DATABASE_URL = url;
    return createTestDatabase('postgres');
  }
  return createTestDatabase('pglite');
}

async function registerCountyPartners(db: TestDatabase, persons: number): Promise<void> {
  await ensureOrganisations(db.db, countyPartners({ persons }).map((p) => ({
    odsCode: p.odsCode, name: p.name, kind: p.kind, isaFrom: p.isaFrom < AS_OF ? p.isaFrom : AS_OF, isaTo: p.isaTo, synthetic: p.syntheticCode,
  })));
  for (const f of countyFeeds({ persons })) await addFeed(db.db, { id: f.id, organisationOds: f.organisation, format: f.format });
}

function demographicsOf(r: SourceRecord, verified: boolean): SourceDemographics {
  return {
    localId: r.localId, nhsNumber: r.nhsNumber ?? undefined, nhsNumberVerified: verified && r.nhsNumber !== null,
    family: r.family, given: r.given, birthDate: /^\d{4}-\d{2}-\d{2}$/.test(r.birthDate) ? r.birthDate : undefined,
    sex: r.sex, postcode: r.address.postcode, addressLines: [r.address.line1, r.address.line2, r.address.town].filter((x) => x !== ''), phone: r.phone,
  };
}

/** Each person's source records as the partners would hold them: GP (reference), acute, sometimes community, ambulance, council. */
export function* population(persons: number, seed: string): Generator<{ feedId: string; d: SourceDemographics; personKey: string }> {
  const practices = gpPractices(persons);
  const asOfDay = parseDay(AS_OF);
  const log = { record: () => undefined };
  const seq = new Map<string, number>();
  const local = (feed: string): string => {
    const n = (seq.get(feed) ?? 0) + 1;
    seq.set(feed, n);
    return `${feed.slice(0, 3).toUpperCase()}${String(n).padStart(7, '0')}`;
  };
  for (let i = 0; i < persons; i++) {
    const p = makePerson(seed, i, asOfDay, practices);
    const gp = gpFeedId(p.practice.odsCode);
    yield { feedId: gp, d: demographicsOf(faithfulRecord(p, gp, local(gp)), true), personKey: p.key };
    const acute = p.town.locality === 'north' ? FEED_IDS.rje : FEED_IDS.rtg;
    if (p.rng.chance(0.6)) yield { feedId: acute, d: demographicsOf(sourceRecord(p.rng, p, acute, local(acute), DEFAULT_FAULTS, log), false), personKey: p.key };
    if (p.rng.chance(0.25)) yield { feedId: FEED_IDS.rre, d: demographicsOf(sourceRecord(p.rng, p, FEED_IDS.rre, local(FEED_IDS.rre), DEFAULT_FAULTS, log), false), personKey: p.key };
    if (p.rng.chance(0.1)) yield { feedId: FEED_IDS.rya, d: demographicsOf(sourceRecord(p.rng, p, FEED_IDS.rya, local(FEED_IDS.rya), DEFAULT_FAULTS, log, 3), false), personKey: p.key };
    if (p.rng.chance(0.04)) yield { feedId: FEED_IDS.staffs, d: demographicsOf(sourceRecord(p.rng, p, FEED_IDS.staffs, local(FEED_IDS.staffs), DEFAULT_FAULTS, log), false), personKey: p.key };
  }
}

/**
 * The raw baselines, on the same records in the same transactions of BATCH as the match:
 * - `insert`: each record's row (feed, local id, demographics as JSON) in a table keyed by feed and
 *   local id, in one multi-row insert a batch: the least any index kept in the database writes;
 * - `filing`: the same, and each record's blocking keys in a table indexed by key, after reading
 *   every record filed under the batch's keys (whole blocks, no limit): the least a database-kept
 *   blocking index does, with no comparison, decision, pair, person or re-clustering.
 * Plain tables created for the run and dropped after it; one transaction at a time.
 */
export async function rawFiling(db: TestDatabase, items: { feedId: string; d: SourceDemographics }[], withKeys: boolean): Promise<RawRate> {
  await sql`create table bench_raw_records (id bigserial primary key, feed_id text not null, local_id text not null, demographics jsonb not null, unique (feed_id, local_id))`.execute(db.db);
  await sql`create table bench_raw_keys (key text not null, record_id bigint not null)`.execute(db.db);
  await sql`create index bench_raw_keys_key on bench_raw_keys (key) include (record_id)`.execute(db.db);
  try {
    const cpuStarted = process.cpuUsage();
    const dbCpuStarted = db.engine === 'postgres' ? postgresCpuMs() : null;
    const started = process.hrtime.bigint();
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      await transaction(db.db, async (trx) => {
        const rows = sql`select * from unnest(${batch.map((x) => x.feedId)}::text[], ${batch.map((x) => x.d.localId)}::text[]) with ordinality as u(feed_id, local_id, n)`;
        const demographics = jsonArray(batch.map((x) => JSON.stringify(x.d)));
        if (!withKeys) {
          await sql`insert into bench_raw_records (feed_id, local_id, demographics) select feed_id, local_id, ${demographics}::jsonb -> (n - 1)::int from (${rows}) u`.execute(trx);
          return;
        }
        const keys = batch.map((x) => [...new Set(blockingKeys(prepareRecord({ feedId: x.feedId, localId: x.d.localId, demographics: x.d })))]);
        await sql`select k.record_id from bench_raw_keys k where k.key = any(${[...new Set(keys.flat())]}::text[])`.execute(trx);
        await sql`
          with r as (
            insert into bench_raw_records (feed_id, local_id, demographics) select feed_id, local_id, ${demographics}::jsonb -> (n - 1)::int from (${rows}) u
            returning id, feed_id, local_id
          )
          insert into bench_raw_keys (key, record_id)
          select k.key, r.id from unnest(${keys.flat()}::text[], ${keys.flatMap((k, j) => k.map(() => batch[j]!.feedId))}::text[],
            ${keys.flatMap((k, j) => k.map(() => batch[j]!.d.localId))}::text[]) as k(key, feed_id, local_id)
          join r on r.feed_id = k.feed_id and r.local_id = k.local_id`.execute(trx);
      });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const dbCpuEnded = dbCpuStarted === null ? null : postgresCpuMs();
    return {
      recordsPerSecond: Math.round(items.length / seconds), nodeCpuMsPerRecord: round((cpu.user + cpu.system) / 1000 / items.length),
      dbCpuMsPerRecord: dbCpuStarted === null || dbCpuEnded === null ? null : round((dbCpuEnded - dbCpuStarted) / items.length),
    };
  } finally {
    await sql`drop table bench_raw_keys`.execute(db.db);
    await sql`drop table bench_raw_records`.execute(db.db);
  }
}

export async function runMatch(persons: number, mode: MatchMode = 'batch', workers = 1): Promise<MatchRow> {
  const db = await openDatabase();
  try {
    await registerCountyPartners(db, persons);
    const items = [...population(persons, 'bench-mpi')];
    const truth = items.map((x) => ({ feedId: x.feedId, localId: x.d.localId, personKey: x.personKey }));
    const at = new Date(`${AS_OF}T00:00:00Z`);
    const tenths: number[] = [];
    const tenth = Math.ceil(items.length / 10);
    const cpuStarted = process.cpuUsage();
    const dbCpuStarted = db.engine === 'postgres' ? postgresCpuMs() : null;
    const started = process.hrtime.bigint();
    let sliceStart = started;
    // With several workers, each takes the next batch when it finishes one; the recheck below finds
    // the pairs two batches linked at the same moment missed (as recheckAlone does for the workers).
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      for (let i = next; i < items.length; i = next) {
        next += BATCH;
        const batch = items.slice(i, i + BATCH);
        await transaction(db.db, async (trx) => {
          if (mode === 'batch') await linkSourceRecords(trx, batch.map((x) => ({ feedId: x.feedId, demographics: x.d, versionKey: 'v1', dataQuality: [], at })));
          else for (const x of batch) await linkSourceRecord(trx, x.feedId, x.d, 'v1', [], at);
        });
        done += batch.length;
        if (Math.floor(done / tenth) > tenths.length || done === items.length) {
          const now = process.hrtime.bigint();
          const n = done - tenths.length * tenth;
          tenths.push(Math.round(n / (Number(now - sliceStart) / 1e9)));
          sliceStart = now;
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    const recheckStarted = process.hrtime.bigint();
    await recheckAlone(db.db, { now: at });
    const recheckSeconds = Number(process.hrtime.bigint() - recheckStarted) / 1e9;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const dbCpuEnded = dbCpuStarted === null ? null : postgresCpuMs();
    const q = await evaluateLinks(db.db, truth);
    // After the match, on the database now holding the index (as the match's later batches ran).
    const raw = { insert: await rawFiling(db, items, false), filing: await rawFiling(db, items, true) };
    return {
      engine: db.engine, mode, ...(workers > 1 ? { workers } : {}), persons, records: items.length, seconds: round(seconds), recordsPerSecond: Math.round(items.length / seconds), tenths, recheckSeconds: round(recheckSeconds),
      nodeCpuMsPerRecord: round((cpu.user + cpu.system) / 1000 / items.length),
      dbCpuMsPerRecord: dbCpuStarted === null || dbCpuEnded === null ? null : round((dbCpuEnded - dbCpuStarted) / items.length),
      quality: { precision: q.precision, recall: q.recall, f1: q.f1, reviewItems: q.reviewItems, reviewShare: q.reviewShare, unlinked: q.unlinked },
      raw,
    };
  } finally {
    await db.dispose();
  }
}

export async function runPipeline(persons: number): Promise<PipelineRow> {
  const dir = await mkdtemp(join(tmpdir(), 'ohc-bench-mpi-'));
  const db = await openDatabase();
  try {
    await generateCounty({ persons, seed: 'bench-mpi', outDir: join(dir, 'county'), asOf: AS_OF });
    const started = process.hrtime.bigint();
    await ingestCounty(db.db, join(dir, 'county'), persons, () => new Date(`${AS_OF}T06:00:00Z`));
    const ingestSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const quality = await evaluateLinks(db.db, readTruth(join(dir, 'county', 'truth.csv')));
    return { engine: db.engine, persons, sourceRecords: quality.sourceRecords, ingestSeconds: round(ingestSeconds), quality };
  } finally {
    await db.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(opts: { sizes?: number[]; pipelinePersons?: number[]; parts?: ('match' | 'pipeline')[]; modes?: MatchMode[]; workers?: number } = {}): Promise<MpiBenchResult> {
  const parts = opts.parts ?? ['match', 'pipeline'];
  const result: MpiBenchResult = { name: 'mpi', node: process.version, match: [], pipeline: [] };
  if (parts.includes('match')) for (const n of opts.sizes ?? [10_000, 100_000]) for (const mode of opts.modes ?? ['batch']) result.match.push(await runMatch(n, mode, opts.workers ?? 1));
  if (parts.includes('pipeline')) for (const n of opts.pipelinePersons ?? [10_000]) result.pipeline.push(await runPipeline(n));
  print(result);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  // Runs of one part keep the other part's last figures.
  const file = join(resultsDir, 'mpi.json');
  const previous = await readFile(file, 'utf8').then((t) => JSON.parse(t) as MpiBenchResult).catch(() => null);
  const same = (a: { engine: string; persons: number; mode?: string; workers?: number }, b: { engine: string; persons: number; mode?: string; workers?: number }): boolean =>
    a.engine === b.engine && a.persons === b.persons && a.mode === b.mode && (a.workers ?? 1) === (b.workers ?? 1);
  const merged: MpiBenchResult = {
    ...result,
    match: [...(previous?.match ?? []).filter((p) => !result.match.some((m) => same(m, p))), ...result.match],
    pipeline: [...(previous?.pipeline ?? []).filter((p) => !result.pipeline.some((m) => same(m, p))), ...result.pipeline],
  };
  await writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
  return result;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const pct = (x: number): string => (x * 100).toFixed(2);
const ms = (x: number | null): string => (x === null ? '-' : String(x));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return `${fmt(head)}\n${rows.map(fmt).join('\n')}\n`;
}

function print(r: MpiBenchResult): void {
  if (r.match.length > 0) {
    process.stdout.write(table(['engine', 'mode', 'persons', 'records', 'records/s', 'first→last tenth /s', 'recheck s', 'node ms/rec', 'db ms/rec', 'precision', 'recall', 'F1', 'review %', 'unlinked'],
      r.match.map((x) => [x.engine, x.workers ? `${x.mode}×${x.workers}` : x.mode, String(x.persons), String(x.records), String(x.recordsPerSecond), `${x.tenths[0] ?? 0}→${x.tenths.at(-1) ?? 0}`, String(x.recheckSeconds), String(x.nodeCpuMsPerRecord), ms(x.dbCpuMsPerRecord),
        x.quality.precision.toFixed(5), x.quality.recall.toFixed(5), x.quality.f1.toFixed(5), pct(x.quality.reviewShare), String(x.quality.unlinked)])));
    process.stdout.write(table(['engine', 'persons', 'raw baseline', 'records/s', 'node ms/rec', 'db ms/rec', 'match ÷ raw'],
      r.match.flatMap((x) => (x.raw ? [['rows alone', x.raw.insert], ['rows, keys and blocks read', x.raw.filing]] as const : []).map(([what, b]) => [
        x.engine, String(x.persons), what, String(b.recordsPerSecond), String(b.nodeCpuMsPerRecord), ms(b.dbCpuMsPerRecord), (x.recordsPerSecond / b.recordsPerSecond).toFixed(3)]))));
  }
  if (r.pipeline.length > 0) {
    process.stdout.write(table(['engine', 'persons (pipeline)', 'source records', 'ingest s', 'precision', 'recall', 'F1', 'review items', 'review %', 'unlinked'],
      r.pipeline.map((x) => [x.engine, String(x.persons), String(x.sourceRecords), String(x.ingestSeconds), x.quality.precision.toFixed(5), x.quality.recall.toFixed(5),
        x.quality.f1.toFixed(5), String(x.quality.reviewItems), pct(x.quality.reviewShare), String(x.quality.unlinked)])));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [part, ...rest] = process.argv.slice(2);
  const sizes = rest.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const workers = Number(/^--workers=(\d+)$/.exec(rest.find((a) => a.startsWith('--workers=')) ?? '')?.[1] ?? '1');
  const parts = part === 'match' || part === 'match-both' ? ['match' as const] : part === 'pipeline' ? ['pipeline' as const] : ['match' as const, 'pipeline' as const];
  const modes: MatchMode[] = part === 'match-both' ? ['batch', 'one-by-one'] : ['batch'];
  run({ parts, modes, workers, ...(sizes.length > 0 ? { sizes, pipelinePersons: sizes } : {}) }).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
