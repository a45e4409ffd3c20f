/**
 * Starts the running system on one database: the HTTP listener, the MLLP listener, the inbox
 * workers and — on the embedded database — the control socket through which other `ohc` commands
 * reach the database this process owns.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Database, PostgresOptions } from '../store/db.ts';
import { buildHttpServer } from '../http/server.ts';
import { ingestRoutes } from '../http/ingestRoutes.ts';
import { startControlServer } from '../cli/control.ts';
import type { CliContext } from '../cli/context.ts';
import { startMllpListener } from '../mllp/listener.ts';
import { receiveHl7Text } from '../ingest/receive/hl7v2.ts';
import { givingWayWhenBusy, startWorkers, type Workers } from '../ingest/worker.ts';
import { startWorkerProcesses } from '../ingest/workerProcesses.ts';
import { mapStored } from '../ingest/mapStored.ts';
import { categoriseResource } from '../access/policy/index.ts';
import { ensureAuditPartitions } from '../audit/index.ts';
import { durabilityWarnings, readDurabilitySettings } from '../store/durability.ts';
import { auditBatchLinks } from '../ingest/auditLinks.ts';
import { InboxWriter } from '../ingest/inboxWriter.ts';
import { pendingCount } from '../ingest/inbox.ts';
import { recheckAlone } from '../mpi/index.ts';
import { fhirRoutes } from '../http/fhir/routes.ts';
import { auditEventRoutes } from '../http/fhir/auditEvents.ts';
import { readPathDeps } from './readPath.ts';
import { webRoutes } from '../web/index.ts';
import { openOidcProvider, parseRoleRules } from '../access/index.ts';

export interface RunningSystem {
  http: FastifyInstance;
  /** The ports actually bound (0 in the config picks a free one). */
  httpPort: number;
  mllpPort: number;
  /** Resolves when the workers next find the inbox empty. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  database: Database;
  /** Present for the embedded engine: publish the control socket and record it in the lock. */
  lock?: { update: (info: { controlSocket?: string; httpUrl?: string; mllpPort?: number }) => void };
  /** Runs a forwarded command line; supplied by the CLI to avoid a dependency cycle. */
  runForwarded?: (ctx: CliContext, argv: string[]) => Promise<number>;
  now?: () => Date;
  /** Tests run without workers to look at the inbox as stored (always in this process). */
  workers?: number;
  /**
   * How `database` was opened, when it is a PostgreSQL server: given, the inbox workers run in
   * config.ingestWorkerProcesses processes of their own, which connect the same way.
   */
  postgres?: PostgresOptions;
  log?: (line: string) => void;
}

export async function startSystem(opts: StartOptions): Promise<RunningSystem> {
  const { config, database } = opts;
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const onError = (err: unknown) => log(`error: ${err instanceof Error ? err.message : String(err)}`);

  // Acknowledgements and the audit trail promise what is committed is kept: say so at once when
  // the server's settings would not keep it through a crash.
  if (database.engine === 'postgres') for (const w of durabilityWarnings(await readDurabilitySettings(database.db))) log(`warning: ${w}`);

  // Monthly audit partitions are made ahead of need, at start and then daily.
  await ensureAuditPartitions(database.db, { now: now() });
  const partitionTimer = setInterval(() => void ensureAuditPartitions(database.db, { now: now() }).catch(onError), 24 * 3600 * 1000);
  partitionTimer.unref();

  // On a PostgreSQL server the workers run in processes of their own, at a lower priority, so that
  // mapping and matching never hold up the event loop that answers senders (see workerProcess.ts).
  const apart = database.engine === 'postgres' && opts.postgres !== undefined && opts.workers === undefined && config.ingestWorkerProcesses > 0;
  // Senders' messages are stored by one group commit; workers anywhere give way to it.
  const writer = new InboxWriter(database.db);
  const workers: Workers = apart
    ? startWorkerProcesses({ processes: config.ingestWorkerProcesses, workersEach: config.ingestWorkers, nice: config.ingestWorkerNice, postgres: opts.postgres!, onError,
        ...(config.ingestWorkerGiveWayMs > 0 ? { giveWay: givingWayWhenBusy(writer, config.ingestWorkerGiveWayMs) } : {}) })
    : startWorkers({
        db: database.db, mapStored, now,
        categorise: (r) => categoriseResource(r as never),
        onBatch: auditBatchLinks(now),
      }, opts.workers ?? config.ingestWorkers, onError);
  // Two records of one new person processed at the same moment by two workers cannot see each
  // other; the person index rechecks records left alone once both are committed.
  let rechecking = false;
  const recheck = async () => {
    if (rechecking) return;
    rechecking = true;
    try {
      await recheckAlone(database.db, { now: now() });
    } finally {
      rechecking = false;
    }
  };
  const recheckTimer = setInterval(() => void recheck().catch(onError), 5000);
  recheckTimer.unref();

  const store = (item: Parameters<InboxWriter['store']>[0], at: Date) => writer.store(item, at);
  const hooks = { stored: () => workers.wake(), store, keepMappings: !apart };

  const readPath = await readPathDeps(database.db, config, now);
  const oidc = config.oidc ? await startOidc(config.oidc, log) : null;
  const http = await buildHttpServer({ database, config, now }, [
    ingestRoutes(hooks),
    (app) => auditEventRoutes(readPath)(app),
    (app) => fhirRoutes(readPath)(app),
    webRoutes({ ...(oidc ? { oidc: { provider: oidc, label: config.oidc!.label } } : {}) }),
  ]);
  try {
    await http.listen({ port: config.port, host: config.host });
  } catch (err) {
    await workers.stop();
    clearInterval(partitionTimer);
    throw listenError(err, 'PORT', config.port);
  }
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.port;

  const mllp = await startMllpListener({
    port: config.mllpPort, host: config.host, maxMessageBytes: config.maxMessageBytes, idleTimeoutMs: config.mllpIdleTimeoutMs,
    ...(config.mllpTls ? { tls: config.mllpTls } : {}), onError,
  }, async (text) => {
    // One frame normally holds one message; a batch (FHS/BHS) gets one ACK per message, in order.
    const receipts = await receiveHl7Text(database.db, text, now(), { store, keepMappings: !apart });
    if (receipts.some((r) => r.stored)) workers.wake();
    return receipts.map((r) => r.ack).join('\r');
  }).catch(async (err: unknown) => {
    await http.close();
    await workers.stop();
    clearInterval(partitionTimer);
    throw listenError(err, 'MLLP_PORT', config.mllpPort);
  });

  let control: { close(): Promise<void> } | null = null;
  if (opts.lock && opts.runForwarded) {
    const socketPath = path.join(config.dataDir, 'ohc.sock');
    const run = opts.runForwarded;
    control = await startControlServer(socketPath, (req, io) =>
      run({ config, cwd: req.cwd, out: io.out, err: io.err, stdin: io.stdin, database: () => Promise.resolve(database), forwarded: true }, req.argv),
    );
    opts.lock.update({ controlSocket: socketPath, httpUrl: `http://127.0.0.1:${httpPort}`, mllpPort: mllp.port });
  }

  return {
    http, httpPort, mllpPort: mllp.port,
    drained: async () => {
      // Drained answers for what was pending when asked; ask the inbox whether more came meanwhile.
      do await workers.drained();
      while ((await pendingCount(database.db)) > 0);
      await recheck();
    },
    async stop() {
      clearInterval(partitionTimer);
      clearInterval(recheckTimer);
      await control?.close();
      await mllp.close();
      await http.close();
      await readPath.close();
      await workers.stop();
    },
  };
}

/** A port already taken is the operator's to fix: say which variable moves it. */
export class ListenError extends Error {
  override name = 'ListenError';
}

function listenError(err: unknown, variable: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new ListenError(`port ${port} is already in use (is another ohc running?); choose another with ${variable}`);
  if (code === 'EACCES') return new ListenError(`port ${port} needs privileges this process does not have; choose another with ${variable}`);
  return err instanceof Error ? err : new Error(String(err));
}

/** The OpenID Connect provider, discovered at start; sign-in with passwords goes on if it cannot be reached. */
async function startOidc(o: NonNullable<Config['oidc']>, log: (line: string) => void) {
  const rules = parseRoleRules(o.roleMap);
  if (!rules.ok) throw new ListenError(`OHC_OIDC_ROLE_MAP: ${rules.message}`);
  try {
    return await openOidcProvider({ issuer: o.issuer, clientId: o.clientId, clientSecret: o.clientSecret, redirectUri: o.redirectUri, scope: o.scope, roleRules: rules.rules });
  } catch (err) {
    log(`OpenID Connect provider ${o.issuer} could not be reached (${err instanceof Error ? err.message : String(err)}); only password sign-in is offered`);
    return null;
  }
}
