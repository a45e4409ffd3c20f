/**
 * `ohc mpi …`: the master patient index — links, the review queue and its decisions, merges and
 * unmerges by a named user (audited), derived demographics, parameter estimation and evaluation
 * against an answer key.
 */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { printJson, printTable, UserError, type CliContext } from '../context.ts';
import { resolveFrom } from '../main.ts';
import type { Tables } from '../../store/tables.ts';
import type { AuditEventDraft } from '../../audit/chain/index.ts';
import { appendAudit } from '../../audit/log.ts';
import {
  acceptReview, estimateStoredParameters, evaluateLinks, listLinks, listReviewQueue, mergePersons, MpiError, personDemographics,
  recheckAlone, rejectReview, unmergePersons, type AuditSink, type OperationOptions,
} from '../../mpi/index.ts';
import { readTruth } from '../../mpi/county.ts';
import type { DerivedValue } from '../../mpi/match/index.ts';

const chainAudit: AuditSink = async (trx: Kysely<Tables>, draft: AuditEventDraft): Promise<void> => {
  await appendAudit(trx, draft);
};

export interface MpiCommandDeps {
  /** Where link changes are audited (default: the audit chain). */
  audit?: AuditSink;
  now?: () => Date;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof MpiError) throw new UserError(`${e.message} (${e.code})`);
    throw e;
  }
}

function reviewId(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UserError('a review item id is a whole number (see ohc mpi review)', 2);
  return n;
}

export function registerMpi(program: Command, ctx: CliContext, deps: MpiCommandDeps = {}): void {
  const operation = (by: string, reason: string | undefined): OperationOptions => {
    if (!by || by.trim() === '') throw new UserError('--by names the user making the change');
    return { actor: { userId: by.trim() }, audit: deps.audit ?? chainAudit, now: deps.now ? deps.now() : new Date(), ...(reason ? { reason } : {}) };
  };
  const mpi = program.command('mpi').description('the master patient index: links, review, merges');

  mpi.command('links').description('each source record and the person it is linked to')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const links = await listLinks(db);
      if (o.json) return printJson(ctx, links);
      printTable(ctx, links as unknown as Record<string, unknown>[], ['feed_id', 'local_id', 'person_id', 'how', 'score', 'linked_at']);
    });

  const review = mpi.command('review').description('the queue of uncertain pairs (accept or reject an item)')
    .option('--limit <n>', 'show at most this many items')
    .option('--json', 'print JSON, with the evidence field by field')
    .action(async (o: { limit?: string; json?: boolean }) => {
      const { db } = await ctx.database();
      const items = await listReviewQueue(db, o.limit ? { limit: Number(o.limit) } : {});
      if (o.json) return printJson(ctx, items);
      printTable(ctx, items.map((i) => ({
        id: i.id, reason: i.reason, score: i.score,
        a: `${i.records[0].feedId}/${i.records[0].localId}`, b: `${i.records[1].feedId}/${i.records[1].localId}`,
        for: i.for.join(' '), against: i.against.join(' '),
      })), ['id', 'reason', 'score', 'a', 'b', 'for', 'against']);
    });
  review.command('accept').description('the two records are one person: link their persons')
    .argument('<id>', 'review item id').requiredOption('--by <user>', 'the user deciding').option('--reason <text>', 'why')
    .action(async (id: string, o: { by: string; reason?: string }) => {
      const { db } = await ctx.database();
      const r = await guarded(() => acceptReview(db, reviewId(id), operation(o.by, o.reason)));
      ctx.out(`linked: person ${r.personId}, ${r.changes.length} source record(s) moved\n`);
    });
  review.command('reject').description('the two records are different persons: keep them apart')
    .argument('<id>', 'review item id').requiredOption('--by <user>', 'the user deciding').option('--reason <text>', 'why')
    .action(async (id: string, o: { by: string; reason?: string }) => {
      const { db } = await ctx.database();
      await guarded(() => rejectReview(db, reviewId(id), operation(o.by, o.reason)));
      ctx.out('kept apart\n');
    });

  mpi.command('merge').description('merge the retired person into the survivor (audited, undoable)')
    .requiredOption('--survivor <person>', 'person id that stays').requiredOption('--retired <person>', 'person id merged into it')
    .requiredOption('--by <user>', 'the user making the change').option('--reason <text>', 'why')
    .option('--confirm-nhs-conflict', 'merge even though the persons hold different verified NHS numbers')
    .option('--json', 'print JSON')
    .action(async (o: { survivor: string; retired: string; by: string; reason?: string; confirmNhsConflict?: boolean; json?: boolean }) => {
      const { db } = await ctx.database();
      const r = await guarded(() => mergePersons(db, o.survivor, o.retired, { ...operation(o.by, o.reason), allowNhsNumberConflict: o.confirmNhsConflict === true }));
      if (o.json) return printJson(ctx, r);
      ctx.out(`merged (merge ${r.mergeId}): ${r.changes.length} source record(s) moved\n`);
    });

  mpi.command('unmerge').description('undo the latest merge of these two persons')
    .requiredOption('--survivor <person>', 'person id that stayed').requiredOption('--retired <person>', 'person id that was merged into it')
    .requiredOption('--by <user>', 'the user making the change').option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (o: { survivor: string; retired: string; by: string; reason?: string; json?: boolean }) => {
      const { db } = await ctx.database();
      const r = await guarded(() => unmergePersons(db, o.survivor, o.retired, operation(o.by, o.reason)));
      if (o.json) return printJson(ctx, r);
      ctx.out(`unmerged: ${r.changes.length} source record(s) moved back\n`);
    });

  mpi.command('person').description("a person's source records and demographics, each value with where it came from")
    .argument('<id>', 'person id').option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const p = await personDemographics(db, id);
      if (!p) throw new UserError('no such person');
      if (o.json) return printJson(ctx, p);
      ctx.out(`person ${p.personId}\n`);
      const values = Object.entries(p.demographics) as [string, DerivedValue<unknown>][];
      printTable(ctx, values.map(([field, v]) => ({ field, value: v.value, from: `${v.feedId}/${v.localId}`, basis: v.basis })), ['field', 'value', 'from', 'basis']);
    });

  mpi.command('recheck').description('look again at records that were alone when filed (run periodically by the server)')
    .action(async () => {
      const { db } = await ctx.database();
      const r = await recheckAlone(db, { now: deps.now ? deps.now() : new Date() });
      ctx.out(`rechecked ${r.checked} record(s); ${r.linked} moved to another person\n`);
    });

  mpi.command('estimate').description('re-estimate the match parameters (m and u per comparison) from the stored records')
    .option('--json', 'print the parameters as JSON')
    .action(async (o: { json?: boolean }) => {
      const { db } = await ctx.database();
      const r = await estimateStoredParameters(db);
      if (o.json) return printJson(ctx, r);
      const from = r.parameters.estimatedFrom;
      ctx.out(`estimated from ${from?.records ?? 0} records (${from?.candidatePairs ?? 0} candidate pairs); parameters ${r.digest.slice(0, 12)} in use for new matching\n`);
    });

  mpi.command('evaluate').description('pairwise precision, recall and F1 of the links against truth.csv (feed_id,local_id,person_key)')
    .requiredOption('--truth <file>', 'the answer key').option('--json', 'print JSON')
    .action(async (o: { truth: string; json?: boolean }) => {
      const { db } = await ctx.database();
      let truth;
      try {
        truth = readTruth(resolveFrom(ctx, o.truth));
      } catch (e) {
        throw new UserError(`cannot read the truth file: ${e instanceof Error ? e.message : String(e)}`);
      }
      const e = await evaluateLinks(db, truth);
      if (o.json) return printJson(ctx, e);
      printTable(ctx, [{ ...e, precision: e.precision.toFixed(4), recall: e.recall.toFixed(4), f1: e.f1.toFixed(4), reviewShare: e.reviewShare.toFixed(4) }],
        ['sourceRecords', 'precision', 'recall', 'f1', 'reviewItems', 'reviewShare', 'unlinked']);
    });
}
