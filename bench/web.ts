/**
 * Page latency of the web application on the demo data: the same county `ohc demo` builds (2,000
 * persons by default, generated, then sent through MLLP and HTTP and processed by the workers), the
 * demo users, and each role's main pages requested over HTTP with a signed-in session — at 1 user
 * (one request at a time) and at `users` concurrent users. Every page runs its real path: session
 * check, access decision, record assembly, rendering and the audit append. The IG lists come a
 * page at a time: the first page and an earlier one are both measured, over a record used hundreds
 * of times by then (the record pages' own views), and the audit log's size is reported.
 *
 * The baseline, measured in the same run on the same database: the raw SQL read of the rows a
 * record page shows (one indexed select of the person's resources), so the ratio says what the
 * access decision, the audit, the assembly and the HTML cost on top of fetching the data.
 * Target (issue: web application): every page under 300 ms p95.
 *
 *   npm run bench -- web [--persons 2000] [--requests 100] [--users 10] [--engine pglite|postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { generateCounty } from '../src/generate/index.ts';
import { loadConfig, type Config } from '../src/config/config.ts';
import { startSystem } from '../src/system/start.ts';
import { feedTokens, readCountyFeeds, registerCounty, sendCounty } from '../src/load/county.ts';
import { DEMO_PASSWORD, ensureDemoUsers } from '../src/load/demoUsers.ts';
import { appendAudit } from '../src/audit/index.ts';
import { benchEngines, freshDatabase, machine, percentile, printTable, writeResult } from './support.ts';

interface PageRow {
  engine: string; role: string; page: string; users: number; requests: number; p50Ms: number; p95Ms: number; maxMs: number;
  baselineP95Ms: number; ratio: number; statuses: string;
}

/** One signed-in browser: a cookie jar and the session's CSRF token. */
class Session {
  private cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly base: string) {}

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<{ status: number; body: string; location: string | null }> {
    const res = await fetch(`${this.base}${url}`, {
      method, redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams({ _csrf: this.csrf, ...form }).toString() } : {}),
    });
    this.remember(res);
    const body = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1]!;
    return { status: res.status, body, location: res.headers.get('location') };
  }

  static async signIn(base: string, username: string): Promise<Session> {
    const s = new Session(base);
    await s.request('GET', '/sign-in');
    const r = await s.request('POST', '/sign-in', { username, password: DEMO_PASSWORD });
    if (r.status !== 303) throw new Error(`${username} could not sign in (HTTP ${r.status})`);
    // The start page sends each role on to its first page, which carries the session's CSRF token.
    const start = await s.request('GET', '/');
    if (start.location) await s.request('GET', start.location);
    return s;
  }
}

interface Probe {
  role: string; username: string; page: string; method: 'GET' | 'POST'; url: string; form?: Record<string, string>; expect: number;
  /** Fields found at measuring time, e.g. the cursor of a list's second page from its first page's "Show earlier" button. */
  more?: (s: Session) => Promise<Record<string, string>>;
}

/** The `before` cursor of the "Show earlier …" button on the first page of a paged list. */
const earlierPage = (url: string, form: Record<string, string>) => async (s: Session): Promise<Record<string, string>> => {
  const first = await s.request('POST', url, form);
  const before = /name="before" value="(\d+)"/.exec(first.body)?.[1];
  if (!before) throw new Error(`${url} has a single page: the benchmark expects more uses than one page holds`);
  return { before };
};

async function measure(probe: Probe, sessions: Session[], requests: number): Promise<{ times: number[]; statuses: Map<string, number> }> {
  const times: number[] = [];
  const statuses = new Map<string, number>();
  let next = 0;
  await Promise.all(sessions.map(async (s) => {
    while (next < requests) {
      next++;
      const t0 = performance.now();
      const r = await s.request(probe.method, probe.url, probe.form);
      times.push(performance.now() - t0);
      // An unexpected answer is named by its page heading, so the table says what went wrong.
      const key = r.status === probe.expect ? String(r.status) : `${r.status} "${/<h1[^>]*>([^<]*)</.exec(r.body)?.[1] ?? ''}"`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  }));
  return { times: times.sort((a, b) => a - b), statuses };
}

export async function run(opts: { persons?: number; requests?: number; users?: number; engine?: string } = {}): Promise<unknown> {
  const persons = opts.persons ?? 2000;
  const requests = opts.requests ?? 100;
  const users = opts.users ?? 10;
  const dir = mkdtempSync(path.join(tmpdir(), 'ohc-bench-web-'));
  const rows: PageRow[] = [];
  const logSizes: { engine: string; auditEvents: number; eventsOfThePerson: number }[] = [];
  try {
    const today = new Date().toISOString().slice(0, 10);
    process.stderr.write(`generating the demo county (${persons} persons) …\n`);
    await generateCounty({ persons, seed: 'demo', outDir: dir, asOf: today });
    for (const engine of benchEngines(opts.engine)) {
      const fresh = await freshDatabase(engine);
      const base = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
      const config: Config = { ...base, access: { ...base.access, mfaRequired: false } };
      const system = await startSystem({ config, database: fresh.database, log: () => undefined });
      try {
        const db = fresh.database.db;
        await registerCounty(db, dir, today);
        const tokens = await feedTokens(db, readCountyFeeds(dir).map((f) => f.id), new Date());
        const url = `http://127.0.0.1:${system.httpPort}`;
        process.stderr.write(`${fresh.describe}: loading the county through the feeds …\n`);
        await sendCounty(dir, tokens, { httpUrl: url, mllpHost: '127.0.0.1', mllpPort: system.mllpPort });
        await system.drained();
        const gp = (await db.selectFrom('feeds').select('organisation_ods').where('id', 'like', 'gp-%').executeTakeFirst())?.organisation_ods ?? 'RJE';
        await ensureDemoUsers(db, gp, new Date(), async (trx, d) => void (await appendAudit(trx, d)));

        // A person dr.patel has a relationship with (an encounter at RJE), and one with none.
        const related = (await sql<{ person_id: string; nhs_number: string; n: number }>`
          select r.person_id, min(s.nhs_number) as nhs_number, (select count(*) from resources x where x.person_id = r.person_id)::int as n
          from resources r join source_records s on s.person_id = r.person_id and s.nhs_number is not null
          where r.resource_type = 'Encounter' and r.source_org = 'RJE' and not r.deleted
          group by r.person_id order by n desc limit 1`.execute(db)).rows[0];
        const unrelated = (await sql<{ person_id: string; nhs_number: string }>`
          select s.person_id, min(s.nhs_number) as nhs_number from source_records s
          where s.nhs_number is not null and not exists (select 1 from resources r where r.person_id = s.person_id and r.source_org = 'RJE')
          group by s.person_id limit 1`.execute(db)).rows[0];
        if (!related || !unrelated) throw new Error('the county has no person seen at RJE, or none unseen there');
        const demo = (await db.selectFrom('source_records').select('demographics').where('person_id', '=', related.person_id).executeTakeFirstOrThrow()).demographics as { family?: string; birthDate?: string };
        const [year, month, day] = (demo.birthDate ?? '1970-01-01').split('-');

        const probes: Probe[] = [
          { role: 'clinician', username: 'dr.patel', page: 'start page', method: 'GET', url: '/', expect: 303 },
          { role: 'clinician', username: 'dr.patel', page: 'find a person', method: 'GET', url: '/search', expect: 200 },
          { role: 'clinician', username: 'dr.patel', page: 'search by NHS number', method: 'POST', url: '/search', form: { by: 'nhs', 'nhs-number': related.nhs_number }, expect: 303 },
          { role: 'clinician', username: 'dr.patel', page: 'search by name and date of birth', method: 'POST', url: '/search', form: { by: 'name', family: demo.family ?? 'Smith', 'dob-day': day!, 'dob-month': month!, 'dob-year': year! }, expect: 200 },
          { role: 'clinician', username: 'dr.patel', page: `combined record (${related.n} resources)`, method: 'GET', url: `/record/${related.person_id}`, expect: 200 },
          { role: 'clinician', username: 'dr.patel', page: 'relationship question', method: 'GET', url: `/record/${unrelated.person_id}`, expect: 403 },
          { role: 'pals-officer', username: 'pals.hughes', page: 'objections', method: 'GET', url: '/objections', expect: 200 },
          { role: 'pals-officer', username: 'pals.hughes', page: 'objection status', method: 'POST', url: '/objections/find', form: { 'nhs-number': related.nhs_number }, expect: 200 },
          { role: 'system-admin', username: 'admin', page: 'organisations', method: 'GET', url: '/admin/organisations', expect: 200 },
          { role: 'system-admin', username: 'admin', page: 'feeds', method: 'GET', url: '/admin/feeds', expect: 200 },
          { role: 'system-admin', username: 'admin', page: 'dead letters', method: 'GET', url: '/admin/dead-letters', expect: 200 },
          { role: 'system-admin', username: 'admin', page: 'users', method: 'GET', url: '/admin/users', expect: 200 },
          { role: 'ig-officer', username: 'ig.county', page: 'audit by person', method: 'POST', url: '/audit/person', form: { 'nhs-number': related.nhs_number }, expect: 200 },
          { role: 'ig-officer', username: 'ig.county', page: 'audit by user', method: 'POST', url: '/audit/user', form: { username: 'dr.patel' }, expect: 200 },
          { role: 'ig-officer', username: 'ig.county', page: 'who viewed a record', method: 'POST', url: '/audit/who-viewed', form: { 'nhs-number': related.nhs_number }, expect: 200 },
          // The lists come a page at a time: an earlier page costs what the first does.
          {
            role: 'ig-officer', username: 'ig.county', page: 'audit by person, earlier page', method: 'POST', url: '/audit/person', form: { 'nhs-number': related.nhs_number }, expect: 200,
            more: earlierPage('/audit/person', { 'nhs-number': related.nhs_number }),
          },
          {
            role: 'ig-officer', username: 'ig.county', page: 'who viewed a record, earlier page', method: 'POST', url: '/audit/who-viewed', form: { 'nhs-number': related.nhs_number }, expect: 200,
            more: earlierPage('/audit/who-viewed', { 'nhs-number': related.nhs_number }),
          },
        ];

        // Baseline: the raw read of the record page's rows, timed the same way.
        const baseline = async (concurrency: number) => {
          const times: number[] = [];
          let next = 0;
          await Promise.all(Array.from({ length: concurrency }, async () => {
            while (next < requests) {
              next++;
              const t0 = performance.now();
              await sql`select resource_type, resource, source_org, received_at from resources where person_id = ${related.person_id} and not deleted`.execute(db);
              times.push(performance.now() - t0);
            }
          }));
          return percentile(times.sort((a, b) => a - b), 95);
        };

        process.stderr.write(`${fresh.describe}: measuring ${probes.length} pages …\n`);
        for (const concurrency of [1, users]) {
          const baselineP95 = await baseline(concurrency);
          const sessions = new Map<string, Session[]>();
          for (const probe of probes) {
            let mine = sessions.get(probe.username);
            if (!mine) {
              mine = [];
              for (let i = 0; i < concurrency; i++) mine.push(await Session.signIn(url, probe.username));
              sessions.set(probe.username, mine);
            }
            const measured = probe.more ? { ...probe, form: { ...probe.form, ...(await probe.more(mine[0]!)) } } : probe;
            // Warm up once (first render compiles the page's code paths).
            await mine[0]!.request(measured.method, measured.url, measured.form);
            const m = await measure(measured, mine, requests);
            const p95 = percentile(m.times, 95);
            rows.push({
              engine: fresh.describe, role: probe.role, page: probe.page, users: concurrency, requests: m.times.length,
              p50Ms: percentile(m.times, 50), p95Ms: p95, maxMs: m.times[m.times.length - 1] ?? 0, baselineP95Ms: baselineP95,
              ratio: p95 / Math.max(baselineP95, 0.001),
              statuses: [...m.statuses].map(([s, n]) => `${s}×${n}`).join(' ') + (m.statuses.get(String(probe.expect)) === m.times.length ? '' : ` (expected ${probe.expect})`),
            });
          }
        }
        // How long the lists the IG pages page through had grown by the end.
        const counts = (await sql<{ log: number; person: number }>`
          select count(*)::int as log, (count(*) filter (where person_id = ${related.person_id}))::int as person from audit_events`.execute(db)).rows[0];
        logSizes.push({ engine: fresh.describe, auditEvents: counts?.log ?? 0, eventsOfThePerson: counts?.person ?? 0 });
      } finally {
        await system.stop();
        await fresh.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(`web pages on the demo data (${persons} persons), ${requests} requests per page; target p95 < 300 ms`, rows.map((r) => ({
    engine: r.engine, role: r.role, page: r.page, users: r.users, 'p50 ms': r.p50Ms, 'p95 ms': r.p95Ms, 'max ms': r.maxMs,
    'raw SQL p95 ms': r.baselineP95Ms, 'p95 ÷ raw': r.ratio, statuses: r.statuses,
  })));
  for (const l of logSizes) process.stdout.write(`\n${l.engine}: ${l.auditEvents} audit events at the end, ${l.eventsOfThePerson} of them about the person whose record and audit pages were read\n`);
  const worst = rows.reduce((m, r) => Math.max(m, r.p95Ms), 0);
  process.stdout.write(`\nslowest page p95: ${worst.toFixed(1)} ms (target 300 ms)\n`);
  const result = { name: 'web', ...machine(), persons, requests, users, rows, logSizes };
  process.stdout.write(`wrote ${writeResult('web', result)}\n`);
  return result;
}
