/**
 * Access benchmark: decisions per second of decide() alone, and the latency loadAccessFacts() +
 * decide() add to a record read on a database of synthetic persons (100,000 by default) with their
 * GP registrations, encounters, social care episodes, appointments, objections and restrictions.
 * Runs on embedded PGlite, and on PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set (in a
 * throw-away schema). Prints a table and writes bench/results/access.json.
 *
 * Run: npx tsx bench/access.ts [persons] [samples]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Database, Engine } from '../src/store/db.ts';
import { freshDatabase } from './support.ts';
import type { Tables } from '../src/store/tables.ts';
import { decide, type DecisionPerson, type DecisionUser } from '../src/access/policy/index.ts';
import { loadAccessFacts } from '../src/access/facts.ts';

export interface AccessBenchOptions {
  persons?: number;
  /** loadAccessFacts calls measured per engine. */
  samples?: number;
  /** decide() calls for the throughput figure. */
  decideCalls?: number;
  engines?: Engine[];
  log?: (line: string) => void;
}

export interface EngineResult {
  engine: Engine;
  persons: number;
  resources: number;
  seedSeconds: number;
  samples: number;
  loadFactsMs: { p50: number; p99: number; max: number };
  decideMs: { p50: number; p99: number; max: number };
  readOverheadMs: { p50: number; p99: number };
  /** The same persons read again: their rows are in the database's buffers, as for anyone under active care. */
  repeatReadOverheadMs: { p50: number; p99: number };
  allowedShare: number;
}

export interface AccessBenchResult {
  when: string;
  node: string;
  decide: { calls: number; seconds: number; decisionsPerSecond: number };
  engines: EngineResult[];
}

const NOW = new Date('2025-06-15T10:00:00.000Z');
const PRACTICES = 20;
const ACUTES = ['RBA', 'RBB', 'RBC'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Number(sorted[Math.max(0, i)]!.toFixed(3));
}

function stats(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: Number((s.at(-1) ?? 0).toFixed(3)) };
}

const benchUser: DecisionUser = {
  id: '00000000-0000-4000-8000-00000000beef', organisation: { ods: 'RBA', kind: 'acute', isaMemberships: [{ from: '2020-01-01' }] },
  role: 'clinician', status: 'active', trainingValidUntil: '2025-12-31', registration: { body: 'GMC', number: '1234567' }, mfaSatisfied: true,
};

/** decide() alone over a realistic mix of persons, after a warm-up. */
export function measureDecide(calls: number): AccessBenchResult['decide'] {
  const persons: DecisionPerson[] = [
    { exists: true, optedOut: false, restriction: { wholeRecord: false, entryIds: ['e1'] }, facts: {
      gpRegistrations: [{ ods: 'P00001' }],
      involvements: [{ kind: 'encounter', ods: 'RBB', start: '2025-01-01', end: '2025-01-02' }, { kind: 'admission', ods: 'RBA', start: '2025-06-10' }],
    } },
    { exists: true, optedOut: false, facts: { declarations: [{ userId: benchUser.id, ods: 'RBA', reason: 'emergency', detail: 'ED', declaredAt: '2025-06-15T09:00:00Z' }] } },
    { exists: true, optedOut: false, facts: { involvements: [{ kind: 'referral', ods: 'RBB', start: '2025-05-01' }] } },
    { exists: true, optedOut: true },
  ];
  for (let i = 0; i < 20_000; i++) decide(benchUser, persons[i & 3]!, 'direct-care-view', NOW);
  let allowed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (decide(benchUser, persons[i & 3]!, 'direct-care-view', NOW).allow) allowed++;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (allowed === 0) throw new Error('decide() allowed nothing: the benchmark mix is wrong');
  return { calls, seconds: Number(seconds.toFixed(3)), decisionsPerSecond: Math.round(calls / seconds) };
}

async function openEngine(engine: Engine): Promise<{ database: Database; dispose: () => Promise<void> }> {
  // The same fresh databases every benchmark uses (an on-disk PGlite folder, or a new schema).
  return freshDatabase(engine);
}

async function seed(db: Kysely<Tables>, persons: number): Promise<number> {
  const orgs = [
    ...Array.from({ length: PRACTICES }, (_, i) => [`P${String(i).padStart(5, '0')}`, 'gp-practice']),
    ...ACUTES.map((o) => [o, 'acute']), ['SC001', 'social-care'],
  ];
  for (const [ods, kind] of orgs) {
    await sql`insert into organisations (ods_code, name, kind, isa_from, synthetic) values (${ods}, ${`Bench ${ods}`}, ${kind}, '2020-01-01', true)`.execute(db);
    await sql`insert into feeds (id, organisation_ods, format) values (${`f-${ods!.toLowerCase()}`}, ${ods}, 'fhir')`.execute(db);
  }
  const batch = 25_000;
  for (let lo = 1; lo <= persons; lo += batch) {
    const hi = Math.min(persons, lo + batch - 1);
    await sql`insert into persons (id) select md5('p' || i)::uuid from generate_series(${lo}::int, ${hi}::int) i`.execute(db);
    await sql`
      insert into source_records (feed_id, local_id, person_id, nhs_number, demographics, source_version, link_how)
      select 'f-p' || lpad((i % ${PRACTICES})::text, 5, '0'), 'p' || i, md5('p' || i)::uuid, lpad(i::text, 10, '0'), '{}'::jsonb, '1', 'nhs-number'
        from generate_series(${lo}::int, ${hi}::int) i`.execute(db);
    // The practice's Patient record, naming the practice.
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select md5('p' || i)::uuid, 'f-p' || lpad((i % ${PRACTICES})::text, 5, '0'), 'Patient', 'p' || i, '1', 'p' || i, 'P' || lpad((i % ${PRACTICES})::text, 5, '0'),
             jsonb_build_object('resourceType', 'Patient', 'id', 'p' || i, 'generalPractitioner',
               jsonb_build_array(jsonb_build_object('identifier', jsonb_build_object('system', 'https://fhir.nhs.uk/Id/ods-organization-code', 'value', 'P' || lpad((i % ${PRACTICES})::text, 5, '0')))))
        from generate_series(${lo}::int, ${hi}::int) i`.execute(db);
    // Two hospital encounters each, at one of three trusts, spread over two years; one in five an admission.
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select md5('p' || i)::uuid, 'f-' || lower(${sql.raw(`(array['RBA','RBB','RBC'])`)}[1 + (i + k) % 3]), 'Encounter', 'e' || i || '-' || k, '1', 'p' || i,
             ${sql.raw(`(array['RBA','RBB','RBC'])`)}[1 + (i + k) % 3],
             jsonb_build_object('resourceType', 'Encounter', 'status', 'finished',
               'class', jsonb_build_object('code', case when (i + k) % 5 = 0 then 'IMP' else 'AMB' end),
               'period', jsonb_build_object('start', to_char(timestamp '2025-06-15' - ((i * 7 + k * 131) % 730) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                            'end', to_char(timestamp '2025-06-15' - ((i * 7 + k * 131) % 730) * interval '1 day' + interval '3 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
        from generate_series(${lo}::int, ${hi}::int) i, generate_series(1, 2) k`.execute(db);
    // One in ten known to social care; one in five with an appointment booked at a trust.
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select md5('p' || i)::uuid, 'f-sc001', 'EpisodeOfCare', 'sc' || i, '1', 'p' || i, 'SC001',
             jsonb_build_object('resourceType', 'EpisodeOfCare', 'status', 'active', 'period', jsonb_build_object('start', '2024-01-01'))
        from generate_series(${lo}::int, ${hi}::int) i where i % 10 = 0`.execute(db);
    await sql`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource)
      select md5('p' || i)::uuid, 'f-rba', 'Appointment', 'a' || i, '1', 'p' || i, 'RBA',
             jsonb_build_object('resourceType', 'Appointment', 'status', 'booked', 'start', '2025-07-01T09:00:00Z')
        from generate_series(${lo}::int, ${hi}::int) i where i % 5 = 0`.execute(db);
  }
  // A user to own the register entries; one person in a hundred objects; one in a hundred has an encounter restricted.
  await sql`insert into users (id, username, name, organisation_ods, role) values (${benchUser.id}::uuid, 'bench', 'Bench User', 'RBA', 'pals-officer')`.execute(db);
  await sql`
    with e as (
      insert into objection_events (nhs_number, action, channel, by_user_id, organisation_ods, at)
      select lpad(i::text, 10, '0'), 'recorded', 'pals', ${benchUser.id}::uuid, 'RBA', now() from generate_series(1, ${persons}::int) i where i % 100 = 0
      returning id, nhs_number, at)
    insert into objections (nhs_number, recorded_at, event_id) select nhs_number, at, id from e`.execute(db);
  await sql`
    insert into restrictions (person_id, scope, entry_id, reason, valid_from, recorded_by, recorded_at)
    select r.person_id, 'entry', r.id, 'contested', '2025-01-01', ${benchUser.id}::uuid, now()
      from resources r where r.resource_type = 'Encounter' and r.source_id like '%-1' and (substr(r.source_id, 2)::text like '%00-1')`.execute(db);
  await sql`analyze`.execute(db);
  const n = await sql<{ n: number }>`select count(*)::int as n from resources`.execute(db);
  return n.rows[0]?.n ?? 0;
}

async function benchEngine(engine: Engine, persons: number, samples: number, log: (s: string) => void): Promise<EngineResult> {
  const { database, dispose } = await openEngine(engine);
  try {
    const t0 = Date.now();
    const resources = await seed(database.db, persons);
    // A running system's tables have planner statistics and visibility maps; a bulk load has neither
    // until autovacuum gets to it, which would otherwise happen in the middle of the measurement.
    await sql`vacuum analyze`.execute(database.db);
    const seedSeconds = (Date.now() - t0) / 1000;
    log(`${engine}: seeded ${persons.toLocaleString('en-GB')} persons, ${resources.toLocaleString('en-GB')} resources in ${seedSeconds.toFixed(1)} s`);
    const ids: string[] = [];
    let x = 12345;
    for (let i = 0; i < samples + 200; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (x % persons);
      const h = createHash('md5').update(`p${n}`).digest('hex');
      ids.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
    }
    for (const id of ids.slice(0, 200)) await loadAccessFacts(database.db, id, benchUser, NOW); // warm-up
    const load: number[] = [];
    const dec: number[] = [];
    const both: number[] = [];
    let allowed = 0;
    for (const id of ids.slice(200)) {
      const a = process.hrtime.bigint();
      const person = await loadAccessFacts(database.db, id, benchUser, NOW);
      const b = process.hrtime.bigint();
      const d = decide(benchUser, person, 'direct-care-view', NOW);
      const c = process.hrtime.bigint();
      if (d.allow) allowed++;
      load.push(Number(b - a) / 1e6);
      dec.push(Number(c - b) / 1e6);
      both.push(Number(c - a) / 1e6);
    }
    // Again for the same persons: the first pass is each person's first read since the bulk load
    // (their pages not yet in shared buffers); a record in use is read again and again.
    const again: number[] = [];
    for (const id of ids.slice(200)) {
      const a = process.hrtime.bigint();
      decide(benchUser, await loadAccessFacts(database.db, id, benchUser, NOW), 'direct-care-view', NOW);
      again.push(Number(process.hrtime.bigint() - a) / 1e6);
    }
    const repeat = stats(again);
    const overall = stats(both);
    return {
      engine, persons, resources, seedSeconds: Number(seedSeconds.toFixed(1)), samples,
      loadFactsMs: stats(load), decideMs: stats(dec), readOverheadMs: { p50: overall.p50, p99: overall.p99 }, repeatReadOverheadMs: { p50: repeat.p50, p99: repeat.p99 },
      allowedShare: Number((allowed / samples).toFixed(3)),
    };
  } finally {
    await dispose();
  }
}

export async function run(opts: AccessBenchOptions = {}): Promise<AccessBenchResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const persons = opts.persons ?? 100_000;
  const samples = opts.samples ?? 2_000;
  const listed = opts.engines === undefined ? undefined : ([] as Engine[]).concat(opts.engines);
  const engines = listed ?? (process.env.DATABASE_URL || process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] as Engine[] : ['pglite'] as Engine[]);
  const decideResult = measureDecide(opts.decideCalls ?? 1_000_000);
  log(`decide(): ${decideResult.decisionsPerSecond.toLocaleString('en-GB')} decisions/s`);
  const results: EngineResult[] = [];
  for (const engine of engines) results.push(await benchEngine(engine, persons, samples, log));
  const result: AccessBenchResult = { when: new Date().toISOString(), node: process.version, decide: decideResult, engines: results };

  const rows = [
    ['engine', 'persons', 'resources', 'loadFacts p50', 'loadFacts p99', 'decide p50', 'decide p99', 'read overhead p99 (first read)', 'read overhead p99 (repeat read)', 'allowed'],
    ...results.map((r) => [r.engine, String(r.persons), String(r.resources), `${r.loadFactsMs.p50} ms`, `${r.loadFactsMs.p99} ms`,
      `${r.decideMs.p50} ms`, `${r.decideMs.p99} ms`, `${r.readOverheadMs.p99} ms`, `${r.repeatReadOverheadMs.p99} ms`, `${(r.allowedShare * 100).toFixed(1)}%`]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`decide() alone: ${decideResult.decisionsPerSecond.toLocaleString('en-GB')} decisions/s (${decideResult.calls.toLocaleString('en-GB')} calls)\n`);
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}access.json`, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const persons = process.argv[2] ? Number(process.argv[2]) : undefined;
  const samples = process.argv[3] ? Number(process.argv[3]) : undefined;
  await run({ ...(persons ? { persons } : {}), ...(samples ? { samples } : {}) });
}
