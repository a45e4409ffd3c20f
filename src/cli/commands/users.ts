/** `ohc users add|list|suspend|reinstate|training|registration|unlock`: user accounts, for administrators on the server host. */
import type { Command } from 'commander';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import {
  addUser, AccessError, CLI_ACTOR, listUsers, reinstateUser, ROLES, setRegistration, setTraining, suspendUser, unlockUser,
  type AccessOptions, type AuditSink, type UserRecord,
} from '../../access/index.ts';

export interface UsersCommandDeps { audit: AuditSink; access?: AccessOptions; now?: () => Date }

function rethrow(err: unknown): never {
  if (err instanceof AccessError) throw new UserError(`${err.where}: ${err.message}`);
  throw err;
}

function row(u: UserRecord, now: Date) {
  const locked = u.lockedUntil !== null && u.lockedUntil.getTime() > now.getTime();
  return {
    username: u.username, name: u.name, organisation: u.organisationOds, role: u.role,
    registration: u.registration ? `${u.registration.body}:${u.registration.number}` : null,
    trainingUntil: u.trainingValidUntil, status: locked && u.status === 'active' ? 'locked' : u.status,
    secondFactor: u.totpEnrolled ? 'totp' : u.oidcIssuer ? 'provider' : 'none',
  };
}

export function registerUsers(program: Command, ctx: CliContext, deps: UsersCommandDeps): void {
  const now = deps.now ?? (() => new Date());
  const users = program.command('users').description('user accounts');
  users.command('add').description('create a user account')
    .requiredOption('--username <username>', 'sign-in name: letters, digits, dots, hyphens')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--org <code>', 'ODS code of a registered organisation')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--registration <body:number>', 'professional registration, e.g. GMC:1234567')
    .option('--training-until <date>', 'last day the annual data security training counts, YYYY-MM-DD')
    .option('--password-stdin', 'read the password from standard input')
    .option('--totp', 'enrol an authenticator app and print its otpauth:// URI')
    .option('--json', 'print the user as JSON')
    .action(async (o: { username: string; name: string; org: string; role: string; registration?: string; trainingUntil?: string; passwordStdin?: boolean; totp?: boolean; json?: boolean }) => {
      let password: string | null = null;
      if (o.passwordStdin) {
        // One line: a trailing newline from `echo` or a here-string is not part of the password.
        password = (await ctx.stdin()).replace(/\r?\n$/, '');
        if (password === '') throw new UserError('password: nothing was read from standard input');
      }
      const { db } = await ctx.database();
      const added = await addUser(db, {
        username: o.username, name: o.name, organisationOds: o.org, role: o.role, registration: o.registration ?? null,
        trainingValidUntil: o.trainingUntil ?? null, password, enrolTotp: o.totp === true,
      }, now(), deps.audit, CLI_ACTOR, deps.access).catch(rethrow);
      if (o.json) return printJson(ctx, { ...row(added.user, now()), id: added.user.id, ...(added.totpUri ? { totpUri: added.totpUri } : {}) });
      ctx.out(`added ${added.user.username} (${added.user.role} at ${added.user.organisationOds})\n`);
      if (added.totpUri) ctx.out(`authenticator app: ${added.totpUri}\n`);
    });
  users.command('list').description('list user accounts')
    .option('--org <code>', 'only this organisation')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; json?: boolean }) => {
      const { db } = await ctx.database();
      const list = (await listUsers(db, o.org ? { organisationOds: o.org } : {})).map((u) => row(u, now()));
      if (o.json) return printJson(ctx, list);
      printTable(ctx, list, ['username', 'name', 'organisation', 'role', 'registration', 'trainingUntil', 'status', 'secondFactor']);
    });
  const simple: Array<[string, string, typeof suspendUser, string]> = [
    ['suspend', 'suspend an account and end its sessions', suspendUser, 'suspended'],
    ['reinstate', 'lift a suspension', reinstateUser, 'reinstated'],
    ['unlock', 'end a lock after failed sign-ins', unlockUser, 'unlocked'],
  ];
  for (const [name, description, fn, done] of simple) {
    users.command(name).description(description).requiredOption('--username <username>', 'the account')
      .action(async (o: { username: string }) => {
        const { db } = await ctx.database();
        const u = await fn(db, o.username, now(), deps.audit, CLI_ACTOR).catch(rethrow);
        ctx.out(`${done} ${u.username}\n`);
      });
  }
  users.command('training').description('record annual data security training')
    .requiredOption('--username <username>', 'the account')
    .requiredOption('--until <date>', 'last day the training counts, YYYY-MM-DD')
    .action(async (o: { username: string; until: string }) => {
      const { db } = await ctx.database();
      const u = await setTraining(db, o.username, o.until, now(), deps.audit, CLI_ACTOR).catch(rethrow);
      ctx.out(`training for ${u.username} valid until ${u.trainingValidUntil ?? ''}\n`);
    });
  users.command('registration').description('record a professional registration')
    .requiredOption('--username <username>', 'the account')
    .requiredOption('--registration <body:number>', 'e.g. NMC:12A3456E')
    .action(async (o: { username: string; registration: string }) => {
      const { db } = await ctx.database();
      const u = await setRegistration(db, o.username, o.registration, now(), deps.audit, CLI_ACTOR).catch(rethrow);
      ctx.out(`registration for ${u.username}: ${u.registration ? `${u.registration.body}:${u.registration.number}` : 'none'}\n`);
    });
}
