/** `ohc feeds`, `ohc ingest`, `ohc dead-letters`, `ohc replay`: feeds and what they send. */
import type { Command } from 'commander';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import { addFeed, FeedError, getFeed, listFeeds } from '../../ingest/feeds.ts';
import { listDeadLetters } from '../../ingest/deadLetters.ts';
import { replayDeadLetter } from '../../ingest/replay.ts';
import { drainInbox, ingestFiles, listInputFiles } from '../../ingest/ingestFiles.ts';
import { releaseHeld } from '../../ingest/inbox.ts';
import { resolveFrom } from '../main.ts';
import { progressBar } from '../progress.ts';
import { transaction } from '../../store/db.ts';
import { auditChange, CLI } from '../../audit/system.ts';

export function registerFeeds(program: Command, ctx: CliContext): void {
  const feeds = program.command('feeds').description('list feeds with their counters (or add one)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const list = await listFeeds(db);
      if (o.json) return printJson(ctx, list);
      printTable(ctx, list.map((f) => ({ ...f, lastSuccess: f.lastSuccess ?? 'never' })), ['id', 'organisationOds', 'format', 'received', 'accepted', 'rejected', 'deadLettered', 'pending', 'lastSuccess']);
    });
  feeds.command('add').description('register a feed of an organisation')
    .requiredOption('--id <id>', 'feed id, e.g. rje-pas')
    .requiredOption('--org <code>', 'ODS code of the organisation it writes as')
    .requiredOption('--format <format>', 'hl7v2, fhir or csv')
    .option('--name <name>', 'a description')
    .option('--sending-application <msh3>', 'HL7: MSH-3 that picks this feed when its organisation has several')
    .option('--snapshot', 'CSV: each extract is a full snapshot; rows absent from it leave view')
    .option('--json', 'print JSON')
    .action(async (o: { id: string; org: string; format: string; name?: string; sendingApplication?: string; snapshot?: boolean; json?: boolean }) => {
      const { db } = await ctx.database();
      try {
        const f = await transaction(db, async (trx) => {
          const added = await addFeed(trx, { id: o.id, organisationOds: o.org, format: o.format, name: o.name ?? null, sendingApplication: o.sendingApplication ?? null, snapshot: o.snapshot ?? false });
          await auditChange(trx, CLI, 'feed-changed', { change: 'added', feedId: added.id, organisationOds: added.organisationOds, format: added.format }, new Date());
          return added;
        });
        if (o.json) printJson(ctx, f);
        else ctx.out(`registered feed ${f.id} (${f.format}) for ${f.organisationOds}\n`);
      } catch (e) {
        if (e instanceof FeedError) throw new UserError(e.message);
        throw e;
      }
    });
  feeds.command('confirm-removals').description('apply the held removals of a snapshot extract')
    .requiredOption('--feed <id>', 'the feed').action(async (o: { feed: string }) => {
      const { db } = await ctx.database();
      const n = await transaction(db, async (trx) => {
        const released = await releaseHeld(trx, o.feed);
        if (released > 0) await auditChange(trx, CLI, 'feed-changed', { change: 'snapshot-removals-confirmed', feedId: o.feed }, new Date());
        return released;
      });
      ctx.out(n > 0 ? `released ${n} held snapshot(s) of ${o.feed}\n` : `no held snapshot for ${o.feed}\n`);
    });

  program.command('ingest').description('ingest files or folders through a feed')
    .requiredOption('--feed <id>', 'the feed the files come from')
    .argument('<paths...>', 'files or folders')
    .option('--confirm-removals', 'CSV snapshot: apply removals over the configured share')
    .option('--json', 'print the summary as JSON')
    .action(async (paths: string[], o: { feed: string; confirmRemovals?: boolean; json?: boolean }) => {
      const { db } = await ctx.database();
      const feed = await getFeed(db, o.feed);
      if (!feed) throw new UserError(`feed ${o.feed} is not registered (see ohc feeds)`);
      let files: string[];
      try {
        files = listInputFiles(paths.map((p) => resolveFrom(ctx, p)), feed.format);
      } catch (e) {
        throw new UserError(`cannot read ${(e as NodeJS.ErrnoException).path ?? 'input'}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const bar = progressBar(ctx, 'files');
      const summary = await ingestFiles(db, feed, files, {
        now: () => new Date(), maxRemovalShare: ctx.config.snapshotMaxRemovalShare, ...(o.confirmRemovals ? { confirmRemovals: true } : {}),
        onFile: (d, t) => bar.update(d, t),
      });
      bar.done();
      // With no server running, nothing else would process what was stored: do it here.
      const processed = ctx.forwarded ? 0 : await drainInbox(db, () => new Date());
      if (o.json) return printJson(ctx, { ...summary, processedHere: processed });
      ctx.out(`${summary.files} files: ${summary.received} received, ${summary.accepted} accepted (${summary.duplicates} repeats), ${summary.rejected} rejected${summary.heldRemovals ? `, ${summary.heldRemovals} removals held for confirmation` : ''}\n`);
      if (summary.rejected > 0) ctx.out(`see why with: ohc dead-letters --feed ${feed.id}\n`);
    });

  program.command('dead-letters').description('rejected input with its reason')
    .option('--feed <id>', 'only this feed')
    .option('--all', 'include replayed and discarded ones')
    .option('--json', 'print JSON (with the raw content)')
    .action(async (o: { feed?: string; all?: boolean; json?: boolean }) => {
      const { db } = await ctx.database();
      const list = await listDeadLetters(db, { ...(o.feed ? { feedId: o.feed } : {}), status: o.all ? 'all' : 'open' });
      if (o.json) return printJson(ctx, list);
      printTable(ctx, list.map((d) => ({ id: d.id, feed: d.feedId ?? '(unknown sender)', kind: d.kind, received: d.receivedAt, status: d.status, code: d.error.code, where: Object.entries(d.error.where).map(([k, v]) => `${k}=${String(v)}`).join(' '), reason: d.error.message })),
        ['id', 'feed', 'kind', 'received', 'status', 'code', 'where', 'reason']);
    });

  program.command('replay').description('replay dead letters after a fix')
    .argument('<ids...>', 'dead letter ids')
    .option('--json', 'print JSON')
    .action(async (ids: string[], o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const results = [];
      for (const raw of ids) {
        if (!/^\d+$/.test(raw)) throw new UserError(`"${raw}" is not a dead letter id`);
        const r = await replayDeadLetter(db, Number(raw), new Date());
        await transaction(db, (trx) => auditChange(trx, CLI, 'dead-letter-replayed', { deadLetterId: r.id, outcome: r.outcome }, new Date()));
        results.push(r);
      }
      if (!ctx.forwarded) await drainInbox(db, () => new Date());
      if (o.json) printJson(ctx, results);
      else for (const r of results) ctx.out(`${r.id}: ${r.outcome} — ${r.message}\n`);
      if (results.some((r) => r.outcome !== 'replayed')) throw new UserError('some dead letters were not replayed');
    });
}
