/** `ohc serve`: migrate, then run the HTTP (and MLLP) listeners until stopped. */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { startSystem } from '../../system/start.ts';
import { openOwnDatabase, runCommand } from '../main.ts';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP and MLLP listeners (migrates the database first)')
    .action(async () => {
      const { database, release, lock } = await openOwnDatabase(ctx.config, 'serve', { waitMs: 0 });
      let system;
      try {
        // On a PostgreSQL server the inbox workers connect the same way from processes of their own.
        const postgres = database.engine === 'postgres' && ctx.config.databaseUrl ? { postgres: { url: ctx.config.databaseUrl, poolSize: ctx.config.dbPoolSize } } : {};
        system = await startSystem({ config: ctx.config, database, ...(lock ? { lock } : {}), runForwarded: runCommand, ...postgres });
      } catch (err) {
        await database.close();
        release();
        throw err;
      }
      ctx.err(`One Health and Care is listening on http://${ctx.config.host}:${system.httpPort} and MLLP port ${system.mllpPort} (${database.engine} database)\n`);
      await waitForStop();
      await system.stop();
      await database.close();
      release();
    });
}

/** Resolves on SIGINT or SIGTERM, so the server shuts down cleanly and releases the data folder. */
export function waitForStop(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
