/**
 * Benchmark of reading the combined record over the FHIR API: on a database of N synthetic persons
 * (~20 resources each from 3–6 sources, inserted directly with batched SQL), each client searches
 * by NHS number and then fetches that person's $everything, at 1, 10 and 50 concurrent clients
 * (autocannon against a listening server built with the real fhirRoutes plugin, a token check, the
 * real decide() with a permissive relationship fact, and an audit append into a plain table). A raw
 * SQL baseline fetches the same rows at the same concurrency in the same run.
 * PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set (in a throwaway schema), else PGlite.
 * Prints a table and writes bench/results/record.json.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import type autocannon from 'autocannon';
import Fastify from 'fastify';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openMigrated, openPGlite, openPostgres, type Database } from '../src/store/db.ts';
import type { Tables } from '../src/store/tables.ts';
import { decide, type DecisionUser } from '../src/access/policy/index.ts';
import { testRangeNhsNumber } from '../src/nhs/nhsNumber.ts';
import { versionKey } from '../src/ingest/version.ts';
import { fhirRoutes } from '../src/http/fhir/routes.ts';
import type { FhirUser } from '../src/http/fhir/deps.ts';

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
  errors: number;
}

export interface RecordBenchResult { name: 'record'; node: string; engine: string; seconds: number; seedSeconds: Record<string, number>; rows: RecordBenchRow[] }

const ORGS = [
  ['BGP01', 'Bench Surgery', 'gp-practice'], ['BRJE', 'Bench Acute Trust', 'acute'], ['BRTG', 'Bench Second Acute', 'acute'],
  ['BMPT', 'Bench Community Trust', 'community'], ['BSCC', 'Bench County Council', 'social-care'], ['BAMB', 'Bench Ambulance', 'ambulance'],
] as const;
const TYPES = ['Condition', 'Observation', 'MedicationStatement', 'Encounter', 'Immunization', 'AllergyIntolerance', 'Procedure', 'DocumentReference'];
const TOKEN = 'bench-token';
const USER: FhirUser & { decisionUser: DecisionUser } = {
  id: 'bench-user', organisationOds: 'BGP01', role: 'clinician',
  decisionUser: {
    id: 'bench-user', role: 'clinician', status: 'active', trainingValidUntil: '2099-12-31', mfaSatisfied: true,
    registration: { body: 'GMC', number: '1234567' }, organisation: { ods: 'BGP01', kind: 'gp-practice', isaMemberships: [{ from: '2024-04-01' }] },
  },
};

interface Opened { database: Database; engine: string; drop(): Promise<void> }

export async function openBenchDatabase(): Promise<Opened> {
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) {
    const database = await openMigrated(() => openPGlite(null));
    return { database, engine: 'pglite', drop: () => database.close() };
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const database = await openMigrated(() => openPostgres({ url, schema, poolSize: 20 }));
  return {
    database, engine: 'postgres',
    async drop() {
      await database.close();
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
  await sql`create table if not exists bench_audit (id bigserial primary key, at timestamptz not null, actor text not null, person_id uuid, action text not null, outcome text not null, details jsonb not null)`.execute(db);
  const people: Person[] = [];
  const version = versionKey('2025-01-01T00:00:00Z');
  const BATCH = 2000;
  for (let start = 0; start < persons; start += BATCH) {
    const batch: { p: string; n: string; i: number }[] = [];
    for (let i = start; i < Math.min(persons, start + BATCH); i++) {
      const person = { id: randomUUID(), nhs: testRangeNhsNumber(i + 1) };
      people.push(person);
      batch.push({ p: person.id, n: person.nhs, i });
    }
    const json = JSON.stringify(batch);
    await sql`insert into persons (id) select (x->>'p')::uuid from jsonb_array_elements(${json}::jsonb) x`.execute(db);
    // 3–6 sources a person; each source holds its share of about 20 resources.
    await sql`
      insert into source_records (feed_id, local_id, person_id, nhs_number, nhs_number_verified, demographics, source_version, link_how)
      select lower(o.ods), 'L' || t.i || '-' || o.k, t.p, t.n, true,
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
  }
  await sql`analyze`.execute(db);
  const count = await sql<{ n: number }>`select count(*)::int as n from resources`.execute(db);
  return { people, resources: count.rows[0]!.n };
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

export async function startServer(db: Kysely<Tables>): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await fhirRoutes({
    db,
    authenticate: (req) => Promise.resolve(req.headers.authorization === `Bearer ${TOKEN}` ? { user: USER } : { status: 401 as const }),
    decide: ({ personId, purpose, now }) => Promise.resolve(decide(USER.decisionUser, personId
      ? { exists: true, optedOut: false, facts: { gpRegistrations: [{ ods: 'BGP01' }] } } : null, purpose, now)),
    audit: async (trx, draft) => {
      await sql`insert into bench_audit (at, actor, person_id, action, outcome, details) values (${draft.time}, ${draft.actor.id}, ${draft.personId ?? null}, ${draft.action}, ${draft.outcome}, ${JSON.stringify(draft.details)}::jsonb)`.execute(trx);
    },
    declareRelationship: () => Promise.reject(new Error('not used by the benchmark')),
    now: () => new Date(),
  })(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
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

export async function apiRun(url: string, people: Person[], clients: number, seconds: number): Promise<autocannon.Result> {
  const child = spawn(process.execPath, ['-e', LOAD_GENERATOR], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  child.stdin.end(JSON.stringify({ url, people, clients, seconds, token: TOKEN, from: fileURLToPath(import.meta.url) }));
  const code = await done;
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out) as autocannon.Result;
}

const round = (x: number): number => Math.round(x * 100) / 100;

export async function run(opts: { sizes?: number[]; clients?: number[]; seconds?: number } = {}): Promise<RecordBenchResult> {
  const sizes = opts.sizes ?? [10_000, 100_000];
  const clientCounts = opts.clients ?? [1, 10, 50];
  const seconds = opts.seconds ?? 8;
  const started = Date.now();
  const rows: RecordBenchRow[] = [];
  const seedSeconds: Record<string, number> = {};
  let engine = '';
  for (const persons of sizes) {
    const opened = await openBenchDatabase();
    engine = opened.engine;
    try {
      const db = opened.database.db;
      const t0 = Date.now();
      const { people, resources } = await seed(db, persons);
      seedSeconds[String(persons)] = round((Date.now() - t0) / 1000);
      process.stderr.write(`seeded ${persons} persons, ${resources} resources in ${seedSeconds[String(persons)]} s (${engine})\n`);
      const server = await startServer(db);
      try {
        await apiRun(server.url, people, 2, 2); // warm-up: JIT, plans, schema validator-free paths
        for (const clients of clientCounts) {
          const api = await apiRun(server.url, people, clients, seconds);
          const raw = await rawBaseline(db, people, clients, seconds);
          const errors = api.errors + api.non2xx;
          rows.push({
            persons, resources, clients, requests: api.requests.total, requestsPerSecond: round(api.requests.average),
            p50Ms: api.latency.p50, p99Ms: api.latency.p99, rawP50Ms: raw.p50, rawP99Ms: raw.p99,
            p99Ratio: raw.p99 > 0 ? round(api.latency.p99 / raw.p99) : 0, errors,
          });
          process.stderr.write(`  ${clients} clients: p50 ${api.latency.p50} ms, p99 ${api.latency.p99} ms; raw p50 ${raw.p50} ms, p99 ${raw.p99} ms\n`);
        }
      } finally {
        await server.close();
      }
    } finally {
      await opened.drop();
    }
  }
  const result: RecordBenchResult = { name: 'record', node: process.version, engine, seconds: round((Date.now() - started) / 1000), seedSeconds, rows };
  print(result);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'record.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function print(r: RecordBenchResult): void {
  const head = ['persons', 'resources', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'raw p50', 'raw p99', 'p99 ×raw', 'errors'];
  const lines = r.rows.map((x) => [x.persons, x.resources, x.clients, x.requestsPerSecond, x.p50Ms, x.p99Ms, x.rawP50Ms, x.rawP99Ms, x.p99Ratio, x.errors].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(`engine: ${r.engine}\n${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  run(sizes.length > 0 ? { sizes } : {}).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
