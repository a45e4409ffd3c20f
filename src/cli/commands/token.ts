/** `ohc token --user NAME | --feed ID`: a short-lived bearer token, for administrators on the server host. */
import type { Command } from 'commander';
import { UserError, type CliContext } from '../context.ts';
import { issueToken, tokenKey, DEFAULT_TOKEN_TTL_SECONDS } from '../../access/tokens.ts';
import { getFeed } from '../../ingest/feeds.ts';

export function registerToken(program: Command, ctx: CliContext, extra: { userExists?: (db: unknown, username: string) => Promise<boolean> } = {}): void {
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
      if (o.feed) {
        if (!(await getFeed(db, o.feed))) throw new UserError(`feed ${o.feed} is not registered`);
        ctx.out(`${await issueToken(key, { kind: 'feed', feedId: o.feed }, new Date(), ttl)}\n`);
        return;
      }
      if (extra.userExists && !(await extra.userExists(db, o.user!))) throw new UserError(`user ${o.user} does not exist`);
      ctx.out(`${await issueToken(key, { kind: 'user', username: o.user! }, new Date(), ttl)}\n`);
    });
}
