/** The worker's audit hook: every person-index link change made by a batch, in the batch's transaction. */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { ClaimedRow } from './inbox.ts';
import type { ApplyOutcome } from './apply.ts';
import { auditLinkChanges } from '../audit/system.ts';

type Change = ApplyOutcome['linkChanges'][number];

/**
 * The batch's link changes in order, as runs of consecutive rows from one feed — a worker's batch
 * is normally one feed, so one run. Each run is appended to the audit log at once (one lock of the
 * chain head, one write) rather than row by row, and its feed's organisation is looked up once.
 */
export function linkChangeRuns(outcomes: ReadonlyArray<{ row: Pick<ClaimedRow, 'feed_id'>; outcome: Pick<ApplyOutcome, 'linkChanges'> }>): Array<{ feedId: string; changes: Change[] }> {
  const runs: Array<{ feedId: string; changes: Change[] }> = [];
  for (const { row, outcome } of outcomes) {
    if (outcome.linkChanges.length === 0) continue;
    const last = runs[runs.length - 1];
    if (last && last.feedId === row.feed_id) last.changes.push(...outcome.linkChanges);
    else runs.push({ feedId: row.feed_id, changes: [...outcome.linkChanges] });
  }
  return runs;
}

export function auditBatchLinks(now: () => Date) {
  return async (trx: Kysely<Tables>, outcomes: Array<{ row: ClaimedRow; outcome: ApplyOutcome }>): Promise<void> => {
    const ods = new Map<string, string>();
    for (const run of linkChangeRuns(outcomes)) {
      let org = ods.get(run.feedId);
      if (org === undefined) {
        const feed = await trx.selectFrom('feeds').select('organisation_ods').where('id', '=', run.feedId).executeTakeFirst();
        ods.set(run.feedId, (org = feed?.organisation_ods ?? ''));
      }
      await auditLinkChanges(trx, run.feedId, org, run.changes, now());
    }
  };
}
