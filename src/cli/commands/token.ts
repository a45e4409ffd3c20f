/** `ohc token --user NAME | --feed ID`: a short-lived bearer token, for administrators on the server host. */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { UserError, type CliContext } from '../context.ts';
import { issueToken, tokenKey, DEFAULT_TOKEN_TTL_SECONDS } from '../../access/tokens.ts';
import { getFeed } from '../../ingest/feeds.ts';
import { appendAudit } from '../../audit/index.ts';
import { transaction } from '../../store/db.ts';
import type { Tables } from '../../store/tables.ts';

export function registerToken(program: Command, ctx: CliContext, extra: { userExists: (db: Kysely<Tables>, username: string) => Promise<boolean> }): void {
  program.command('token').description('print a short-lived bearer token for a user or a feed')
    .option('--user <name>', 'username')
    .option('--feed <id>', 'feed id')
    .option('--ttl <seconds>', 'lifetime in seconds', String(DEFAULT_TOKEN_TTL_SECONDS))
    .action(async (o: { user?: string; feed?: string; ttl: string }) => {
      if (!o.user === !o.feed) throw new UserError('give exactly one of --user or --feed', 2);
      const ttl = Number(o.ttl);
      if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400) throw new UserError('--ttl must be a whole number of seconds from 60 to 86400', 2);
      const { db } = await ctx.database();
      const key = await tokenKey(db);
      if (o.feed && !(await getFeed(db, o.feed))) throw new UserError(`feed ${o.feed} is not registered`);
      if (o.user && !(await extra.userExists(db, o.user))) throw new UserError(`user ${o.user} does not exist`);
      const now = new Date();
      const subject = o.feed ? { kind: 'feed' as const, feedId: o.feed } : { kind: 'user' as const, username: o.user! };
      const token = await issueToken(key, subject, now, ttl);
      // Issuing a credential is itself audited (who it was for, how long), never the token itself.
      await transaction(db, (trx) => appendAudit(trx, {
        time: now.toISOString(), actor: { kind: 'system', id: 'ohc-cli' }, action: 'token-issued', outcome: 'success',
        details: { subjectKind: subject.kind, subject: o.feed ?? o.user!, ttlSeconds: ttl },
      }));
      ctx.out(`${token}\n`);
    });
}
