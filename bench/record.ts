/**
 * Benchmark of reading the combined record over the FHIR API: on a database of N synthetic persons
 * (~20 resources each from 3–6 sources, inserted directly with batched SQL), each client searches
 * by NHS number and then fetches that person's $everything, at 1, 10 and 50 concurrent clients.
 * The server is wired as `ohc serve` wires it (src/system/start.ts): buildHttpServer with the real
 * fhirRoutes and the production read path (readPathDeps) — a signed bearer token verified (once
 * per token) and its user found (kept while the server hears of every change to users), the
 * person's access facts loaded on every request (with the record, in one statement) and decide() run, and every
 * answer audited (group-committed before it is sent). The user is
 * a clinician at the persons' GP practice; each person's practice sends a Patient resource naming
 * it, so the relationship is a real, inferred GP registration. Autocannon runs in its own process.
 * A raw SQL baseline fetches the same rows (person by NHS number, then their resources and source
 * records) at the same concurrency in the same run.
 * PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set (in a throwaway schema), else PGlite.
 * Beside latency it reports CPU per request of the server process and of the PostgreSQL backends
 * serving its pool (when the database runs on this machine): on two shared cores both are limits.
 * Prints a table and writes bench/results/record.json.
 * `npm run bench -- record --sizes 10000,100000 --clients 1,10,50 --seconds 8 --pool-size 10 [--keep]`
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import type autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openMigrated, openPGlite, openPostgres, type Database } from '../src/store/db.ts';
import type { Tables } from '../src/store/tables.ts';
import { testRangeCapacity, testRangeNhsNumber } from '../src/nhs/nhsNumber.ts';
import { versionKey } from '../src/ingest/version.ts';
import { loadConfig } from '../src/config/config.ts';
import { buildHttpServer } from '../src/http/server.ts';
import { fhirRoutes } from '../src/http/fhir/routes.ts';
import { readPathDeps } from '../src/system/readPath.ts';
import { addUser } from '../src/access/index.ts';
import { issueToken, tokenKey } from '../src/access/tokens.ts';
import { appendAudit, ensureAuditPartitions } from '../src/audit/index.ts';
import { CLI } from '../src/audit/system.ts';
import { backendsCpuMs, transportOf } from './support.ts';

export interface RecordBenchRow {
  persons: number;
  resources: number;
  clients: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  rawP50Ms: number;
  rawP99Ms: number;
  /** p99 of the API over p99 of the raw SQL baseline. */
  p99Ratio: number;
  /**
   * CPU time of the server process (this one: the load generator has its own) per request, in ms:
   * steadier than latency on a shared machine, and what throughput is bought with.
   */
  serverCpuMsPerRequest: number;
  /**
   * CPU time of the PostgreSQL backends serving the server's pool per request, in ms (read from
   * /proc, so only when the database runs on this machine; null otherwise). On two shared cores
   * the database's CPU is as much a limit as the server's.
   */
  dbCpuMsPerRequest: number | null;
  errors: number;
}

export interface RecordBenchResult {
  name: 'record'; node: string; engine: string; transport: string | null; sharedBuffers: string | null; poolSize: number; seconds: number; seedSeconds: Record<string, number>; rows: RecordBenchRow[];
}

const ORGS = [
  ['BGP01', 'Bench Surgery', 'gp-practice'], ['BRJE', 'Bench Acute Trust', 'acute'], ['BRTG', 'Bench Second Acute', 'acute'],
  ['BMPT', 'Bench Community Trust', 'community'], ['BSCC', 'Bench County Council', 'social-care'], ['BAMB', 'Bench Ambulance', 'ambulance'],
] as const;
const TYPES = ['Condition', 'Observation', 'MedicationStatement', 'Encounter', 'Immunization', 'AllergyIntolerance', 'Procedure', 'DocumentReference'];
/** The reader: a clinician at the practice every bench person is registered with. */
const READER = { username: 'bench.gp', name: 'Bench GP', organisationOds: 'BGP01', role: 'clinician', registration: 'GMC:1234567', trainingValidUntil: '2099-12-31' } as const;
/** Production's default (OHC_DB_POOL_SIZE): PostgreSQL, Node and the load generator share two cores. */
const DEFAULT_POOL_SIZE = 10;
const WARM_UP_SECONDS = 8;

/** `transport`: how PostgreSQL is reached (see transportOf); null on PGlite. */
interface Opened { database: Database; engine: string; transport: string | null; drop(): Promise<void> }

/**
 * A throwaway schema, or with `keep` the named one, made if absent and left in place afterwards so
 * that a large county (a million persons takes most of an hour to seed on two cores) is seeded once
 * and measured again later.
 */
export async function openBenchDatabase(poolSize = DEFAULT_POOL_SIZE, keep?: string): Promise<Opened> {
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) {
    const database = await openMigrated(() => openPGlite(null));
    return { database, engine: 'pglite', transport: null, drop: () => database.close() };
  }
  const schema = keep ?? `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema if not exists ${schema}`);
  await admin.end();
  const database = await openMigrated(() => openPostgres({ url, schema, poolSize }));
  return {
    database, engine: 'postgres', transport: transportOf(url),
    async drop() {
      await database.close();
      if (keep) return;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

interface Person { id: string; nhs: string }

/** Synthetic persons, source records and resources, inserted in batches with set-based SQL. */
export async function seed(db: Kysely<Tables>, persons: number): Promise<{ people: Person[]; resources: number }> {
  for (const [ods, name, kind] of ORGS) {
    await sql`insert into organisations (ods_code, name, kind, isa_from, synthetic) values (${ods}, ${name}, ${kind}, '2024-04-01', true) on conflict do nothing`.execute(db);
    await sql`insert into feeds (id, organisation_ods, format, last_success_at) values (${ods.toLowerCase()}, ${ods}, 'fhir', now()) on conflict do nothing`.execute(db);
  }
  const people: Person[] = [];
  const version = versionKey('2025-01-01T00:00:00Z');
  const BATCH = 2000;
  // The 999 test range holds about 909,000 valid NHS numbers: in a bigger county the rest have
  // none (as some records do), and the load generator reads only persons it can search for.
  const numbered = testRangeCapacity() - 1;
  // A kept county whose seeding was interrupted goes on from the last whole batch stored.
  const stored = await sql<{ n: number }>`select count(*)::int as n from persons`.execute(db);
  const from = stored.rows[0]!.n - (stored.rows[0]!.n % BATCH);
  if (from < stored.rows[0]!.n) throw new Error(`the kept county holds ${stored.rows[0]!.n} persons, not whole batches of ${BATCH}: drop its schema and seed again`);
  for (let start = from; start < persons; start += BATCH) {
    const batch: { p: string; n: string | null; i: number }[] = [];
    for (let i = start; i < Math.min(persons, start + BATCH); i++) {
      const person = { id: randomUUID(), nhs: i < numbered ? testRangeNhsNumber(i + 1) : null };
      if (person.nhs) people.push({ id: person.id, nhs: person.nhs });
      batch.push({ p: person.id, n: person.nhs, i });
    }
    const json = JSON.stringify(batch);
    await sql`insert into persons (id) select (x->>'p')::uuid from jsonb_array_elements(${json}::jsonb) x`.execute(db);
    // 3–6 sources a person; each source holds its share of about 20 resources.
    await sql`
      insert into source_records (feed_id, local_id, person_id, nhs_number, nhs_number_verified, demographics, source_version, link_how)
      select lower(o.ods), 'L' || t.i || '-' || o.k, t.p, t.n, t.n is not null,
             jsonb_build_object('localId', 'L' || t.i || '-' || o.k, 'nhsNumber', t.n, 'family', 'Family' || (t.i % 997), 'given', jsonb_build_array('Given' || (t.i % 89)),
                                'birthDate', to_char(date '1940-01-01' + (t.i % 25000), 'YYYY-MM-DD'), 'postcode', 'ST' || (t.i % 20) || ' ' || (t.i % 9) || 'AA',
                                'gpPracticeOds', 'BGP01'),
             ${version}, 'nhs-number'
        from jsonb_to_recordset(${json}::jsonb) as t(p uuid, n text, i int)
        join (select * from (values ${sql.join(ORGS.map(([ods], k) => sql`(${ods}::text, ${k}::int)`))}) v(ods, k)) o on o.k < 3 + (t.i % 4)`.execute(db);
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select s.person_id, s.feed_id, ty.t, s.local_id || '-' || g, ${version}, s.local_id, f.organisation_ods,
             case ty.t
               when 'Condition' then jsonb_build_object('resourceType', 'Condition', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://snomed.info/sct', 'code', (1000 + g * 7 + length(s.local_id))::text, 'display', 'Condition ' || g))),
                 'onsetDateTime', to_char(date '2000-01-01' + g * 113, 'YYYY-MM-DD'),
                 'clinicalStatus', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://terminology.hl7.org/CodeSystem/condition-clinical', 'code', 'active'))))
               when 'Observation' then jsonb_build_object('resourceType', 'Observation', 'status', 'final', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://loinc.org', 'code', '4548-4', 'display', 'HbA1c'))),
                 'effectiveDateTime', to_char(date '2020-01-01' + g * 37, 'YYYY-MM-DD'), 'valueQuantity', jsonb_build_object('value', 40 + g, 'unit', 'mmol/mol'))
               when 'MedicationStatement' then jsonb_build_object('resourceType', 'MedicationStatement', 'status', 'active', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'medicationCodeableConcept', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'https://dmd.nhs.uk', 'code', (320000 + g)::text, 'display', 'Medicine ' || g))),
                 'effectivePeriod', jsonb_build_object('start', to_char(date '2018-01-01' + g * 51, 'YYYY-MM-DD')))
               when 'Encounter' then jsonb_build_object('resourceType', 'Encounter', 'status', 'finished', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'class', jsonb_build_object('system', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'code', 'AMB', 'display', 'ambulatory'),
                 'period', jsonb_build_object('start', to_char(date '2023-01-01' + g * 11, 'YYYY-MM-DD'), 'end', to_char(date '2023-01-02' + g * 11, 'YYYY-MM-DD')))
               when 'Immunization' then jsonb_build_object('resourceType', 'Immunization', 'status', 'completed', 'patient', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'vaccineCode', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://snomed.info/sct', 'code', '1181000221105', 'display', 'Influenza vaccine'))),
                 'occurrenceDateTime', to_char(date '2019-10-01' + g * 365, 'YYYY-MM-DD'))
               when 'AllergyIntolerance' then jsonb_build_object('resourceType', 'AllergyIntolerance', 'patient', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://snomed.info/sct', 'code', '91936005', 'display', 'Penicillin allergy'))),
                 'recordedDate', '2010-05-05')
               when 'Procedure' then jsonb_build_object('resourceType', 'Procedure', 'status', 'completed', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'code', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object('system', 'http://snomed.info/sct', 'code', (80146002 + g)::text, 'display', 'Procedure ' || g))),
                 'performedDateTime', to_char(date '2015-01-01' + g * 97, 'YYYY-MM-DD'))
               else jsonb_build_object('resourceType', 'DocumentReference', 'status', 'current', 'subject', jsonb_build_object('reference', 'Patient/' || s.local_id),
                 'type', jsonb_build_object('text', 'Clinic letter'), 'date', to_char(timestamp '2024-01-01' + g * interval '9 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                 'content', jsonb_build_array(jsonb_build_object('attachment', jsonb_build_object('contentType', 'text/plain', 'data', encode(convert_to(repeat('Seen in clinic today. ', 12), 'UTF8'), 'base64')))))
             end
        from source_records s
        join feeds f on f.id = s.feed_id
        join (select (x->>'p')::uuid as p, (x->>'i')::int as i from jsonb_array_elements(${json}::jsonb) x) t on t.p = s.person_id
        cross join lateral generate_series(1, (20 / (3 + (t.i % 4)))::int) g
        cross join lateral (select (${JSON.stringify(TYPES)}::jsonb)->>((g + length(s.feed_id)) % ${TYPES.length}) as t) ty`.execute(db);
    // The practice's own Patient resource names it as the registered GP: the reader's relationship.
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select s.person_id, s.feed_id, 'Patient', s.local_id, ${version}, s.local_id, 'BGP01',
             jsonb_build_object('resourceType', 'Patient', 'id', s.local_id,
               'identifier', case when s.nhs_number is null then '[]'::jsonb
                                  else jsonb_build_array(jsonb_build_object('system', 'https://fhir.nhs.uk/Id/nhs-number', 'value', s.nhs_number)) end,
               'name', jsonb_build_array(jsonb_build_object('family', s.demographics->>'family', 'given', s.demographics->'given')),
               'birthDate', s.demographics->>'birthDate',
               'generalPractitioner', jsonb_build_array(jsonb_build_object('type', 'Organization',
                 'identifier', jsonb_build_object('system', 'https://fhir.nhs.uk/Id/ods-organization-code', 'value', 'BGP01'))))
        from source_records s
        join (select (x->>'p')::uuid as p from jsonb_array_elements(${json}::jsonb) x) t on t.p = s.person_id
       where s.feed_id = 'bgp01'`.execute(db);
  }
  // As a running system's tables would be after autovacuum (off on the bench machine's server):
  // hint bits and visibility map set for the tables reads touch, statistics current. Then the
  // seed's dirty pages are written out, so that no level is timed while a checkpoint flushes them
  // (suspected of 1 client's p99 at 100,000 persons being four times 10,000's, with the same p50).
  await sql`vacuum analyze resources, source_records, persons`.execute(db);
  await sql`analyze`.execute(db);
  await sql`checkpoint`.execute(db).catch(() => undefined); // needs superuser or pg_checkpoint; without it the bench goes on
  const count = await sql<{ n: number }>`select count(*)::int as n from resources`.execute(db);
  // Marks a kept county as complete (an interrupted seed is not reused).
  await sql`create table if not exists bench_seeded (persons int primary key)`.execute(db);
  await sql`insert into bench_seeded values (${persons}) on conflict do nothing`.execute(db);
  // Resumed: the persons seeded before the interruption are in the database, not in `people`.
  return { people: from > 0 ? await storedPeople(db) : people, resources: count.rows[0]!.n };
}

async function storedPeople(db: Kysely<Tables>): Promise<Person[]> {
  const rows = await sql<Person>`select person_id::text as id, nhs_number as nhs from source_records where feed_id = 'bgp01' and nhs_number is not null order by person_id`.execute(db);
  return rows.rows;
}

/** A county seeded by an earlier run with `--keep`, or null if there is none (or it is incomplete). */
async function seeded(db: Kysely<Tables>, persons: number): Promise<{ people: Person[]; resources: number } | null> {
  const marked = await sql<{ t: string | null }>`select to_regclass('bench_seeded')::text as t`.execute(db);
  if (!marked.rows[0]?.t) return null;
  const done = await sql<{ n: number }>`select count(*)::int as n from bench_seeded where persons = ${persons}`.execute(db);
  if (done.rows[0]!.n === 0) return null;
  const count = await sql<{ n: number }>`select count(*)::int as n from resources`.execute(db);
  return { people: await storedPeople(db), resources: count.rows[0]!.n };
}

/**
 * The persons the load generator picks from (it is handed them as JSON): at most 100,000, spread
 * evenly over the county, so that at a million persons reads still land all over the tables.
 */
function sampleOf(people: Person[], max = 100_000): Person[] {
  if (people.length <= max) return people;
  const step = people.length / max;
  return Array.from({ length: max }, (_, i) => people[Math.floor(i * step)]!);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The same rows the API reads, fetched with plain SQL: the person by NHS number, then their resources and source records. */
async function rawBaseline(db: Kysely<Tables>, people: Person[], clients: number, seconds: number): Promise<{ p50: number; p99: number; requests: number }> {
  const samples: number[] = [];
  const until = Date.now() + seconds * 1000;
  let k = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const person = people[(k++ * 7919) % people.length]!;
      let t = process.hrtime.bigint();
      const found = await sql<{ person_id: string }>`select distinct person_id from source_records where nhs_number = ${person.nhs} and retired_into is null`.execute(db);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      const id = found.rows[0]!.person_id;
      await sql`select r.*, f.last_success_at, o.name from resources r join feeds f on f.id = r.feed_id left join organisations o on o.ods_code = r.source_org where r.person_id = ${id} and not r.deleted`.execute(db);
      await sql`select * from source_records where person_id = ${id} and retired_into is null`.execute(db);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  samples.sort((a, b) => a - b);
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), requests: samples.length };
}

/**
 * The server as `ohc serve` builds it (src/system/start.ts), with only the FHIR routes: the real
 * read path, audit partitions made ahead, and a reader with a signed token. Logging is off so the
 * measurement is of the read path, not of writing request lines.
 */
export async function startServer(database: Database): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const db = database.db;
  const now = () => new Date();
  const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
  await ensureAuditPartitions(db, { now: now() });
  const audit = async (trx: Kysely<Tables>, draft: Parameters<typeof appendAudit>[1]) => void (await appendAudit(trx, draft));
  // A kept county already has its reader.
  const known = await db.selectFrom('users').select('id').where('username', '=', READER.username).executeTakeFirst();
  if (!known) await addUser(db, { ...READER }, now(), audit, CLI);
  const token = await issueToken(await tokenKey(db), { kind: 'user', username: READER.username }, now(), 6 * 3600);
  const readPath = await readPathDeps(db, config, now);
  const app = await buildHttpServer({ database, config, now }, [(a) => fhirRoutes(readPath)(a)]);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, token, close: () => app.close() };
}

/**
 * Before measuring: one search and one $everything answer with the person's data (not a refusal
 * or an empty bundle), and both were audited in the chained log.
 */
async function checkAnswers(db: Kysely<Tables>, url: string, token: string, person: Person): Promise<void> {
  const before = await sql<{ n: number }>`select count(*)::int as n from audit_events`.execute(db);
  const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
  const search = await fetch(`${url}/fhir/Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${person.nhs}`)}`, { headers });
  const found = (await search.json()) as { total?: number };
  const everything = await fetch(`${url}/fhir/Patient/${person.id}/$everything`, { headers });
  const bundle = (await everything.json()) as { entry?: { resource: { resourceType: string; meta?: { tag?: unknown[]; lastUpdated?: string } } }[] };
  const after = await sql<{ n: number }>`select count(*)::int as n from audit_events`.execute(db);
  const entries = bundle.entry ?? [];
  const clinical = entries.filter((e) => e.resource.resourceType !== 'Patient' && e.resource.resourceType !== 'OperationOutcome');
  if (search.status !== 200 || found.total !== 1 || everything.status !== 200 || clinical.length < 10
    || clinical.some((e) => !e.resource.meta?.lastUpdated || !e.resource.meta.tag?.length) || after.rows[0]!.n - before.rows[0]!.n !== 2) {
    throw new Error(`the API did not answer as expected: search ${search.status}, $everything ${everything.status} with ${clinical.length} clinical entries, ${after.rows[0]!.n - before.rows[0]!.n} audit events`);
  }
}

/**
 * The load generator runs in its own process, so its work does not share the server's event loop
 * (which would inflate the latencies measured). Plain JavaScript given to `node -e`; its settings
 * arrive on stdin and the autocannon result leaves as JSON on stdout.
 */
const LOAD_GENERATOR = `
const { createRequire } = require('node:module');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const w = JSON.parse(input);
  const autocannon = createRequire(w.from)('autocannon');
  const people = w.people;
  let k = 0;
  autocannon({
    url: w.url, connections: w.clients, duration: w.seconds,
    headers: { authorization: 'Bearer ' + w.token, accept: 'application/fhir+json' },
    requests: [
      { method: 'GET', setupRequest: (req, context) => {
          const person = people[(k++ * 7919) % people.length];
          context.person = person;
          return { ...req, path: '/fhir/Patient?identifier=' + encodeURIComponent('https://fhir.nhs.uk/Id/nhs-number|' + person.nhs) };
        } },
      { method: 'GET', setupRequest: (req, context) => ({ ...req, path: '/fhir/Patient/' + context.person.id + '/$everything' }) },
    ],
  }).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e)); process.exitCode = 1; });
});
`;

export async function apiRun(url: string, token: string, people: Person[], clients: number, seconds: number): Promise<autocannon.Result> {
  const child = spawn(process.execPath, ['-e', LOAD_GENERATOR], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  child.stdin.end(JSON.stringify({ url, people, clients, seconds, token, from: fileURLToPath(import.meta.url) }));
  const code = await done;
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out) as autocannon.Result;
}

/**
 * The PostgreSQL backends of the pool: `size` statements held open together, so each is on a
 * connection of its own (the pool opens them all, as a run at 10 or more clients does).
 */
async function poolBackends(db: Kysely<Tables>, size: number): Promise<number[]> {
  const pids = await Promise.all(Array.from({ length: size }, async () => {
    const r = await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db);
    return r.rows[0]!.pid;
  }));
  return [...new Set(pids)];
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** A bench option given once arrives as a number, given as a list as an array. */
function list(v: number | number[] | undefined, fallback: number[]): number[] {
  return v === undefined ? fallback : [v].flat();
}

/**
 * `keep`: seed each county into schema bench_record_N and leave it there; a later run with `keep`
 * reuses it instead of seeding again (PostgreSQL only).
 */
export async function run(opts: { sizes?: number | number[]; clients?: number | number[]; seconds?: number; poolSize?: number; keep?: boolean } = {}): Promise<RecordBenchResult> {
  const sizes = list(opts.sizes, [10_000, 100_000]);
  const clientCounts = list(opts.clients, [1, 10, 50]);
  const seconds = opts.seconds ?? 8;
  const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE;
  const started = Date.now();
  const rows: RecordBenchRow[] = [];
  const seedSeconds: Record<string, number> = {};
  let engine = '';
  let transport: string | null = null;
  let sharedBuffers: string | null = null;
  for (const persons of sizes) {
    const opened = await openBenchDatabase(poolSize, opts.keep ? `bench_record_${persons}` : undefined);
    engine = opened.engine;
    transport ??= opened.transport;
    try {
      const db = opened.database.db;
      // The server's page cache: a county bigger than it is read through the operating system's.
      if (engine === 'postgres') sharedBuffers ??= (await sql<{ s: string }>`select current_setting('shared_buffers') as s`.execute(db)).rows[0]?.s ?? null;
      const t0 = Date.now();
      const kept = opts.keep ? await seeded(db, persons) : null;
      const { people: everyone, resources } = kept ?? await seed(db, persons);
      const people = sampleOf(everyone);
      if (kept) process.stderr.write(`reusing the county of ${persons} persons, ${resources} resources kept in bench_record_${persons}\n`);
      else {
        seedSeconds[String(persons)] = round((Date.now() - t0) / 1000);
        process.stderr.write(`seeded ${persons} persons, ${resources} resources in ${seedSeconds[String(persons)]} s (${engine})\n`);
      }
      const server = await startServer(opened.database);
      try {
        await checkAnswers(db, server.url, server.token, people[0]!);
        // Warm-up, so that every level measures a server in its steady state (as one that has run
        // for a while is): compiled code, prepared statements and their plans on every pooled
        // connection, the county's pages in the database's cache. Two clients for two seconds left
        // the first levels measured cold, and a level measured alone (--clients 50) came out a
        // third slower than the same level measured after the others.
        await apiRun(server.url, server.token, people, 10, WARM_UP_SECONDS);
        for (const clients of clientCounts) {
          const backends = opened.engine === 'postgres' ? await poolBackends(db, poolSize) : [];
          const dbBefore = backendsCpuMs(backends);
          const cpu = process.cpuUsage();
          const api = await apiRun(server.url, server.token, people, clients, seconds);
          const used = process.cpuUsage(cpu);
          const dbAfter = backendsCpuMs(backends);
          // A backend the pool closed and replaced during the run would go uncounted: the same set before and after, or nothing.
          const sameBackends = backends.length > 0 && (await poolBackends(db, poolSize)).every((pid) => backends.includes(pid));
          const dbCpu = dbBefore !== null && dbAfter !== null && sameBackends ? dbAfter - dbBefore : null;
          const raw = await rawBaseline(db, people, clients, seconds);
          const errors = api.errors + api.non2xx;
          rows.push({
            persons, resources, clients, requests: api.requests.total, requestsPerSecond: round(api.requests.average),
            p50Ms: api.latency.p50, p99Ms: api.latency.p99, rawP50Ms: raw.p50, rawP99Ms: raw.p99,
            p99Ratio: raw.p99 > 0 ? round(api.latency.p99 / raw.p99) : 0,
            serverCpuMsPerRequest: round((used.user + used.system) / 1000 / Math.max(1, api.requests.total)),
            dbCpuMsPerRequest: dbCpu === null ? null : round(dbCpu / Math.max(1, api.requests.total)), errors,
          });
          process.stderr.write(`  ${clients} clients: ${round(api.requests.average)} req/s, p50 ${api.latency.p50} ms, p99 ${api.latency.p99} ms; cpu/req server ${rows.at(-1)!.serverCpuMsPerRequest} ms, database ${rows.at(-1)!.dbCpuMsPerRequest ?? '?'} ms; raw p50 ${raw.p50} ms, p99 ${raw.p99} ms${errors > 0 ? `; ${errors} errors` : ''}\n`);
        }
      } finally {
        await server.close();
      }
    } finally {
      await opened.drop();
    }
  }
  const result: RecordBenchResult = { name: 'record', node: process.version, engine, transport, sharedBuffers, poolSize, seconds: round((Date.now() - started) / 1000), seedSeconds, rows };
  print(result);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'record.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function print(r: RecordBenchResult): void {
  const head = ['persons', 'resources', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'raw p50', 'raw p99', 'p99 ×raw', 'cpu ms/req', 'db cpu ms/req', 'errors'];
  const lines = r.rows.map((x) => [
    x.persons, x.resources, x.clients, x.requestsPerSecond, x.p50Ms, x.p99Ms, x.rawP50Ms, x.rawP99Ms, x.p99Ratio, x.serverCpuMsPerRequest, x.dbCpuMsPerRequest ?? '-', x.errors,
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(`engine: ${r.engine}${r.transport ? ` (${r.transport}, shared_buffers ${r.sharedBuffers ?? '?'})` : ''}, pool ${r.poolSize}\n${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  run(sizes.length > 0 ? { sizes } : {}).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
