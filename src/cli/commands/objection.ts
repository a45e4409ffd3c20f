/** `ohc objection record|withdraw|history --nhs NUMBER`: the opt-out register, on behalf of PALS or GP practice staff. */
import type { Command } from 'commander';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import { AccessError, objectionHistory, recordObjection, withdrawObjection, type AuditSink } from '../../access/index.ts';

export interface ObjectionCommandDeps { audit: AuditSink; now?: () => Date }

function rethrow(err: unknown): never {
  if (err instanceof AccessError) throw new UserError(`${err.where}: ${err.message}`);
  throw err;
}

export function registerObjection(program: Command, ctx: CliContext, deps: ObjectionCommandDeps): void {
  const now = deps.now ?? (() => new Date());
  const objection = program.command('objection').description('the objection (opt-out) register');
  for (const [name, description, fn] of [
    ['record', 'record that the person objects: they are not available through the shared record from now on', recordObjection],
    ['withdraw', 'record that the person withdraws their objection (opts back in)', withdrawObjection],
  ] as const) {
    objection.command(name).description(description)
      .requiredOption('--nhs <number>', 'the person\'s NHS number')
      .requiredOption('--channel <channel>', 'pals or gp')
      .requiredOption('--by <username>', 'the PALS officer or GP practice staff member recording it')
      .option('--json', 'print the register entry as JSON')
      .action(async (o: { nhs: string; channel: string; by: string; json?: boolean }) => {
        const { db } = await ctx.database();
        const e = await fn(db, { nhsNumber: o.nhs, channel: o.channel, byUsername: o.by }, now(), deps.audit).catch(rethrow);
        if (o.json) return printJson(ctx, e);
        ctx.out(`objection ${e.action} at ${e.at.toISOString()} by ${e.byUsername} (${e.channel})${e.personId ? '' : '; no data has arrived for this NHS number yet, it will apply when it does'}\n`);
      });
  }
  objection.command('history').description('every recording and withdrawal for an NHS number')
    .requiredOption('--nhs <number>', 'the person\'s NHS number')
    .option('--json', 'print JSON')
    .action(async (o: { nhs: string; json?: boolean }) => {
      const { db } = await ctx.database();
      const h = await objectionHistory(db, o.nhs).catch(rethrow);
      if (o.json) return printJson(ctx, h);
      printTable(ctx, h.map((e) => ({ at: e.at, action: e.action, channel: e.channel, by: e.byUsername, organisation: e.organisationOds })), ['at', 'action', 'channel', 'by', 'organisation']);
    });
}
