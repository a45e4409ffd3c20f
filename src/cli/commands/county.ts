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
      const { database, release, lock } = await openOwnDatabase(ctx.config, 'demo', { waitMs: 0 });
      const system = await startSystem({ config: ctx.config, database, ...(lock ? { lock } : {}), runForwarded: runCommand });
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
        ctx.out([
          '',
          `One Health and Care is running at ${url} (MLLP on port ${system.mllpPort}), on the embedded database in ${ctx.config.dataDir}.`,
          'Next, in another terminal:',
          '  npx ohc feeds                 # every partner feed with its counters and last success',
          '  npx ohc dead-letters          # what was rejected, and why (the county has deliberate faults)',
          `  curl ${url}/healthz`,
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
  const system = await startSystem({ config: { ...ctx.config, port: 0, mllpPort: 0 }, database, ...(lock ? { lock } : {}), runForwarded: runCommand, log: () => undefined });
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
