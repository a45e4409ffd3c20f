/** The `ohc` command tree. Each group lives in commands/; this file only assembles them. */
import { Command } from 'commander';
import type { CliContext } from './context.ts';
import { registerOrgs } from './commands/orgs.ts';
import { registerServe } from './commands/serve.ts';
import { registerFeeds } from './commands/feeds.ts';
import { registerToken } from './commands/token.ts';
import { registerCountyCommands } from './commands/county.ts';
import { registerUsers } from './commands/users.ts';
import { registerObjection } from './commands/objection.ts';
import { registerAudit } from './commands/audit.ts';
import { registerMpi } from './commands/mpi.ts';
import { appendAudit } from '../audit/index.ts';
import { findUser } from '../access/index.ts';
import type { AuditSink } from '../access/audit.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('ohc')
    .description('One Health and Care: an open shared care record')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) });
  registerOrgs(program, ctx);
  registerServe(program, ctx);
  registerFeeds(program, ctx);
  registerToken(program, ctx, { userExists: async (db, u) => (await findUser(db, u)) !== null });
  registerCountyCommands(program, ctx);
  const audit: AuditSink = async (trx, draft) => void (await appendAudit(trx, draft));
  registerUsers(program, ctx, { audit, access: ctx.config.access });
  registerObjection(program, ctx, { audit });
  registerAudit(program, ctx);
  registerMpi(program, ctx);
  for (const c of program.commands) inherit(c);
  return program;

  // Sub-commands report usage errors the same way as the top level (exit code, output).
  function inherit(c: Command): void {
    c.exitOverride().configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(s) }).showHelpAfterError('(run with --help for usage)');
    for (const sub of c.commands) inherit(sub);
  }
}

/** Commands that never touch the database, so never need forwarding to a running server. */
export const COMMANDS_WITHOUT_DATABASE = new Set(['generate', 'help', 'serve', 'demo', 'load', 'bench']);
