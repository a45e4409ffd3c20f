/**
 * Starts the running system on one database: HTTP listener (and, as capabilities land, the MLLP
 * listener and ingest workers), plus — on the embedded database — the control socket through which
 * other `ohc` commands reach the database this process owns.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Database } from '../store/db.ts';
import { buildHttpServer } from '../http/server.ts';
import { startControlServer } from '../cli/control.ts';
import type { CliContext } from '../cli/context.ts';

export interface RunningSystem {
  http: FastifyInstance;
  /** The port actually bound (PORT=0 picks a free one). */
  httpPort: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  database: Database;
  /** Present for the embedded engine: publish the control socket and record it in the lock. */
  lock?: { update: (info: { controlSocket?: string }) => void };
  /** Runs a forwarded command line; supplied by the CLI to avoid a dependency cycle. */
  runForwarded?: (ctx: CliContext, argv: string[]) => Promise<number>;
  now?: () => Date;
}

export async function startSystem(opts: StartOptions): Promise<RunningSystem> {
  const { config, database } = opts;
  const now = opts.now ?? (() => new Date());
  const http = await buildHttpServer({ database, config, now });
  await http.listen({ port: config.port, host: config.host });
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.port;

  let control: { close(): Promise<void> } | null = null;
  if (opts.lock && opts.runForwarded) {
    const socketPath = path.join(config.dataDir, 'ohc.sock');
    const run = opts.runForwarded;
    control = await startControlServer(socketPath, (req, io) =>
      run({ config, cwd: req.cwd, out: io.out, err: io.err, stdin: io.stdin, database: () => Promise.resolve(database), forwarded: true }, req.argv),
    );
    opts.lock.update({ controlSocket: socketPath });
  }

  return {
    http,
    httpPort,
    async stop() {
      await control?.close();
      await http.close();
    },
  };
}
