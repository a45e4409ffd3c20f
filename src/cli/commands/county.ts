/**
 * `ohc generate` (a synthetic county on disk), `ohc load DIR` (register it and send it through the
 * real interfaces), `ohc demo` (both, then serve). `ohc county register DIR` is the database half
 * of load, run by load itself here or inside a running server.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { printJson, UserError, type CliContext } from '../context.ts';
import { generateCounty } from '../../generate/index.ts';
import { feedTokens, LoadError, readCountyFeeds, registerCounty, sendCounty, type Endpoints, type SendSummary } from '../../load/county.ts';
import { forwardToServer } from '../control.ts';
import { liveOwner, type LockInfo } from '../../store/embeddedLock.ts';
import { listFeeds } from '../../ingest/feeds.ts';
import { startSystem } from '../../system/start.ts';
import { openOwnDatabase, resolveFrom, runCommand } from '../main.ts';
import { progressBar } from '../progress.ts';
import { waitForStop } from './serve.ts';
import type { Config } from '../../config/config.ts';
import { ensureDemoUsers, DEMO_PASSWORD } from '../../load/demoUsers.ts';
import { appendAudit } from '../../audit/index.ts';
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { findUser, loadDecisionUser, loadAccessFacts, decideOptions } from '../../access/index.ts';
import { decide } from '../../access/policy/index.ts';

const today = () => new Date().toISOString().slice(0, 10);

export function registerCountyCommands(program: Command, ctx: CliContext): void {
  program.command('generate').description('write a synthetic county as the partners would send it')
    .requiredOption('--persons <n>', 'number of persons')
    .requiredOption('--seed <s>', 'seed: the same seed and as-of date give byte-identical output')
    .requiredOption('--out <dir>', 'output folder (empty, or an earlier generated county)')
    .option('--as-of <date>', 'dates are relative to this day, YYYY-MM-DD (default today)')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { persons: string; seed: string; out: string; asOf?: string; json?: boolean }) => {
      const persons = Number(o.persons);
      if (!Number.isInteger(persons) || persons < 1) throw new UserError(`--persons must be a whole number of at least 1, not "${o.persons}"`, 2);
      const bar = progressBar(ctx, 'persons');
      let summary;
      try {
        summary = await generateCounty({ persons, seed: o.seed, outDir: resolveFrom(ctx, o.out), asOf: o.asOf ?? today(), onProgress: (p) => bar.update(p.done, p.total) });
      } catch (e) {
        bar.done();
        throw new UserError(e instanceof Error ? e.message : String(e));
      }
      bar.done();
      if (o.json) return printJson(ctx, summary);
      ctx.out(`wrote ${summary.persons} persons in ${summary.feeds} feeds: ${summary.files} files, ${(summary.bytes / 1e6).toFixed(1)} MB (${summary.hl7Messages} HL7 messages, ${summary.fhirEntries} FHIR entries, ${summary.csvRows} CSV rows)\n`);
    });

  const county = program.command('county').description('the database half of loading a generated county');
  county.command('register').argument('<dir>', 'generated county folder').description('register its organisations and feeds; print feed tokens as JSON')
    .action(async (dir: string) => {
      const { db } = await ctx.database();
      const folder = resolveFrom(ctx, dir);
      try {
        const added = await registerCounty(db, folder, today());
        const tokens = await feedTokens(db, readCountyFeeds(folder).map((f) => f.id), new Date());
        printJson(ctx, { ...added, tokens });
      } catch (e) {
        if (e instanceof LoadError) throw new UserError(e.message);
        throw e;
      }
    });

  program.command('load').description('register a generated county and send every file through its feed\'s interface')
    .argument('<dir>', 'generated county folder (from ohc generate)')
    .option('--json', 'print the summary as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const folder = resolveFrom(ctx, dir);
      const summary = await loadCounty(ctx, folder);
      if (o.json) return printJson(ctx, summary);
      printLoadSummary(ctx, summary);
    });

  program.command('demo').description('generate a synthetic county, load it through the real feeds, and serve')
    .option('--persons <n>', 'number of persons', '2000')
    .option('--seed <s>', 'seed', 'demo')
    .action(async (o: { persons: string; seed: string }) => {
      const persons = Number(o.persons);
      if (!Number.isInteger(persons) || persons < 1) throw new UserError(`--persons must be a whole number of at least 1, not "${o.persons}"`, 2);
      // A demonstration on synthetic data: no second factor, so each demo user signs in with a password.
      const config: Config = { ...ctx.config, access: { ...ctx.config.access, mfaRequired: false } };
      const { database, release, lock } = await openOwnDatabase(config, 'demo', { waitMs: 0 });
      let system;
      try {
        system = await startSystem({ config, database, ...(lock ? { lock } : {}), runForwarded: runCommand });
      } catch (err) {
        await database.close();
        release();
        throw err;
      }
      const url = `http://${ctx.config.host === '0.0.0.0' ? 'localhost' : ctx.config.host}:${system.httpPort}`;
      lock?.update({ httpUrl: url, mllpPort: system.mllpPort });
      try {
        const dir = `${ctx.config.dataDir}/county-${o.seed}-${persons}`;
        mkdirSync(dir, { recursive: true });
        ctx.err(`generating a synthetic county of ${persons} persons in ${dir} …\n`);
        const bar = progressBar(ctx, 'persons');
        await generateCounty({ persons, seed: o.seed, outDir: dir, asOf: today(), onProgress: (p) => bar.update(p.done, p.total) });
        bar.done();
        await registerCounty(database.db, dir, today());
        const tokens = await feedTokens(database.db, readCountyFeeds(dir).map((f) => f.id), new Date());
        ctx.err('loading it through the partners\' interfaces (HL7 over MLLP, FHIR and CSV over HTTP) …\n');
        const sendBar = progressBar(ctx, 'files');
        const sent = await sendCounty(dir, tokens, { httpUrl: url, mllpHost: '127.0.0.1', mllpPort: system.mllpPort }, { onProgress: (d, t) => sendBar.update(d, t) });
        sendBar.done();
        await system.drained();
        const feeds = await listFeeds(database.db);
        printLoadSummary(ctx, { sent, feeds: feeds.map((f) => ({ id: f.id, accepted: f.accepted, rejected: f.rejected, pending: f.pending })) });
        const gp = feeds.find((f) => f.id.startsWith('gp-'))?.organisationOds ?? 'RJE';
        const users = await ensureDemoUsers(database.db, gp, new Date(), async (trx, draft) => void (await appendAudit(trx, draft)));
        const example = await examplePerson(database.db, config);
        const width = Math.max(...users.map((u) => u.username.length));
        ctx.out([
          '',
          `One Health and Care is running at ${url} (MLLP on port ${system.mllpPort}), on the embedded database in ${config.dataDir}.`,
          '',
          `Open ${url} in a browser and sign in as any of these demo users (password for all: ${DEMO_PASSWORD}; second factor off for the demo):`,
          ...users.map((u) => `  ${u.username.padEnd(width)}  ${u.role} at ${u.organisationOds} — ${u.does}`),
          '',
          'Read the combined record through the FHIR API, in another terminal:',
          '  TOKEN=$(npx ohc token --user dr.patel)',
          example
            ? `  curl -H "Authorization: Bearer $TOKEN" '${url}/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${example.nhs}'`
            : `  curl -H "Authorization: Bearer $TOKEN" '${url}/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>'`,
          example ? `  curl -H "Authorization: Bearer $TOKEN" '${url}/fhir/Patient/${example.personId}/$everything'` : '',
          '',
          'And look around:',
          '  npx ohc feeds                 # every partner feed with its counters and last success',
          '  npx ohc dead-letters          # what was rejected, and why (the county has deliberate faults)',
          '  npx ohc audit query --user dr.patel',
          '  npx ohc audit verify',
          'Stop with Ctrl+C.',
          '',
        ].join('\n'));
        await waitForStop();
      } finally {
        await system.stop();
        await database.close();
        release();
      }
    });
}

/**
 * A synthetic person dr.patel may see at once (a recent or open encounter at RJE gives the
 * legitimate relationship), found by asking the same access decision the API asks.
 */
async function examplePerson(db: Kysely<Tables>, config: Config): Promise<{ personId: string; nhs: string } | null> {
  const user = await findUser(db, 'dr.patel');
  const decisionUser = user ? await loadDecisionUser(db, user.id, { mfaSatisfied: true }, new Date()) : null;
  if (!decisionUser) return null;
  const r = await sql<{ person_id: string; nhs_number: string }>`
    select distinct r.person_id, s.nhs_number from resources r
    join source_records s on s.person_id = r.person_id and s.nhs_number is not null
    where r.resource_type = 'Encounter' and r.source_org = 'RJE' and not r.deleted
    limit 300`.execute(db);
  const now = new Date();
  for (const row of r.rows) {
    const person = await loadAccessFacts(db, row.person_id, decisionUser, now);
    if (decide(decisionUser, person, 'direct-care-view', now, decideOptions(config.access)).allow) return { personId: row.person_id, nhs: row.nhs_number };
  }
  return null;
}

interface LoadSummary { sent: SendSummary; feeds: Array<{ id: string; accepted: number; rejected: number; pending: number }> }

function printLoadSummary(ctx: CliContext, s: LoadSummary): void {
  const { hl7, fhir, csv } = s.sent;
  ctx.out(`sent ${s.sent.files} files from ${s.sent.feeds} feeds in ${s.sent.seconds.toFixed(1)} s: ` +
    `HL7 ${hl7.sent} messages (AA ${hl7.AA}, AE ${hl7.AE}, AR ${hl7.AR}); FHIR ${fhir.bundles} bundles (${fhir.accepted} entries accepted, ${fhir.rejected} rejected); ` +
    `CSV ${csv.files} files (${csv.accepted} rows accepted, ${csv.rejected} rejected)\n`);
  const pending = s.feeds.reduce((n, f) => n + f.pending, 0);
  ctx.out(pending === 0 ? 'everything received has been processed\n' : `${pending} items still being processed\n`);
}

/** A database command run here, or inside the running server that owns the embedded database. */
async function dbCommand(ctx: CliContext, owner: LockInfo | null, argv: string[]): Promise<string> {
  let out = '';
  let err = '';
  let code: number;
  if (owner?.controlSocket) code = await forwardToServer(owner.controlSocket, { argv, cwd: ctx.cwd, stdin: '' }, (s) => (out += s), (s) => (err += s));
  else code = await runCommand({ ...ctx, out: (s) => (out += s), err: (s) => (err += s) }, argv);
  if (code !== 0) throw new UserError(err.trim().replace(/^ohc: /, '') || `ohc ${argv.join(' ')} failed`);
  return out;
}

async function loadCounty(ctx: CliContext, folder: string): Promise<LoadSummary> {
  readCountyFeeds(folder); // fail early with a clear message
  const running = await findRunningServer(ctx.config);
  if (running) {
    const reg = JSON.parse(await dbCommand(ctx, running.owner, ['county', 'register', folder])) as { tokens: Record<string, string> };
    const bar = progressBar(ctx, 'files');
    const sent = await sendCounty(folder, reg.tokens, running.endpoints, { onProgress: (d, t) => bar.update(d, t) });
    bar.done();
    // Wait for the server's workers to process what was stored.
    for (;;) {
      const feeds = JSON.parse(await dbCommand(ctx, running.owner, ['feeds', '--json'])) as LoadSummary['feeds'];
      if (feeds.every((f) => f.pending === 0)) return { sent, feeds };
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  // No server: run one here for the duration, on free ports.
  const { database, release, lock } = await openOwnDatabase(ctx.config, 'load');
  let system;
  try {
    system = await startSystem({ config: { ...ctx.config, port: 0, mllpPort: 0 }, database, ...(lock ? { lock } : {}), runForwarded: runCommand, log: () => undefined });
  } catch (err) {
    await database.close();
    release();
    throw err;
  }
  try {
    await registerCounty(database.db, folder, today());
    const tokens = await feedTokens(database.db, readCountyFeeds(folder).map((f) => f.id), new Date());
    const bar = progressBar(ctx, 'files');
    const sent = await sendCounty(folder, tokens, { httpUrl: `http://127.0.0.1:${system.httpPort}`, mllpHost: '127.0.0.1', mllpPort: system.mllpPort }, { onProgress: (d, t) => bar.update(d, t) });
    bar.done();
    await system.drained();
    const feeds = await listFeeds(database.db);
    return { sent, feeds };
  } finally {
    await system.stop();
    await database.close();
    release();
  }
}

async function findRunningServer(config: Config): Promise<{ owner: LockInfo | null; endpoints: Endpoints } | null> {
  if (!config.databaseUrl) {
    const owner = liveOwner(config.dataDir);
    if (!owner?.controlSocket) return null;
    if (!owner.httpUrl || !owner.mllpPort) throw new UserError(`a server (process ${owner.pid}) owns ${config.dataDir} but does not say where it listens; restart it with ohc serve`);
    return { owner, endpoints: { httpUrl: owner.httpUrl, mllpHost: '127.0.0.1', mllpPort: owner.mllpPort } };
  }
  const url = `http://127.0.0.1:${config.port}`;
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (r.ok) return { owner: null, endpoints: { httpUrl: url, mllpHost: '127.0.0.1', mllpPort: config.mllpPort } };
  } catch {
    // nothing listening: load runs its own server
  }
  return null;
}
