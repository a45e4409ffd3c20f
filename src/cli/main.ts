/**
 * Entry point of `ohc`. Resolves configuration, then runs the command here or — when the embedded
 * database folder is owned by a running server — forwards it to that server, which runs it on the
 * database it owns. Exit codes: 0 success, 1 input or runtime error, 2 usage or configuration error.
 */
import { CommanderError } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { openMigrated, openPGlite, openPostgres, type Database } from '../store/db.ts';
import { liveOwner, tryLock } from '../store/embeddedLock.ts';
import { MigrationError } from '../store/migrate.ts';
import { ListenError } from '../system/start.ts';
import { UserError, type CliContext } from './context.ts';
import { forwardToServer } from './control.ts';
import { buildProgram, COMMANDS_WITHOUT_DATABASE } from './program.ts';
import { auditSettingsFromEnv, configureAudit } from '../audit/index.ts';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Opens the database this process may own: PostgreSQL, or the embedded folder under its lock. */
export async function openOwnDatabase(config: Config, command: string, opts: { waitMs?: number } = {}): Promise<{ database: Database; release: () => void; lock?: { update: (i: { controlSocket?: string; httpUrl?: string; mllpPort?: number }) => void } }> {
  if (config.databaseUrl) {
    return { database: await openMigrated(() => openPostgres({ url: config.databaseUrl!, poolSize: config.dbPoolSize })), release: () => undefined };
  }
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  for (;;) {
    const lock = tryLock(config.dataDir, command);
    if (lock.acquired) {
      try {
        const database = await openMigrated(() => openPGlite(config.dataDir));
        return { database, release: lock.release, lock };
      } catch (err) {
        lock.release();
        throw err;
      }
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `the embedded database in ${config.dataDir} is in use by process ${lock.heldBy.pid} (ohc ${lock.heldBy.command}); ` +
          'wait for it to finish or stop it, or set DATABASE_URL to use a PostgreSQL server',
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (s: string) => void process.stdout.write(s);
  const err = (s: string) => void process.stderr.write(s);
  let config: Config;
  try {
    config = loadConfig(env);
    configureAudit(auditSettingsFromEnv(env));
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`ohc: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const command = argv.find((a) => !a.startsWith('-')) ?? 'help';
  const needsDatabase = !COMMANDS_WITHOUT_DATABASE.has(command) && !argv.includes('--help') && !argv.includes('-h');

  if (needsDatabase && !config.databaseUrl) {
    const owner = liveOwner(config.dataDir);
    if (owner?.controlSocket) {
      const stdin = argv.includes('--password-stdin') ? await readStdin() : '';
      return forwardToServer(owner.controlSocket, { argv, cwd: process.cwd(), stdin }, out, err);
    }
  }

  const held: { opened?: Awaited<ReturnType<typeof openOwnDatabase>> } = {};
  const ctx: CliContext = {
    config, cwd: process.cwd(), out, err, stdin: readStdin, forwarded: false,
    async database() {
      held.opened ??= await openOwnDatabase(config, command);
      return held.opened.database;
    },
  };
  try {
    return await runCommand(ctx, argv);
  } finally {
    if (held.opened) {
      await held.opened.database.close();
      held.opened.release();
    }
  }
}

/** Runs one command line in a context; shared by the terminal and the server's control channel. */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError || e instanceof MigrationError || e instanceof ListenError) {
      ctx.err(`ohc: ${e.message}\n`);
      return e instanceof UserError ? e.exitCode : 1;
    }
    throw e;
  }
}

export function resolveFrom(ctx: CliContext, p: string): string {
  return path.resolve(ctx.cwd, p);
}

// `node dist/cli/main.js …` after `npm run build` (bin/ohc.js runs the sources through tsx instead).
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const code = await main(process.argv.slice(2));
  process.stdout.write('', () => process.exit(code));
}
