/** The worker's audit hook: every person-index link change made by a batch, in the batch's transaction. */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { ClaimedRow } from './inbox.ts';
import type { ApplyOutcome } from './apply.ts';
import { auditLinkChanges } from '../audit/system.ts';

export function auditBatchLinks(now: () => Date) {
  return async (trx: Kysely<Tables>, outcomes: Array<{ row: ClaimedRow; outcome: ApplyOutcome }>): Promise<void> => {
    for (const { row, outcome } of outcomes) {
      if (outcome.linkChanges.length === 0) continue;
      const feed = await trx.selectFrom('feeds').select('organisation_ods').where('id', '=', row.feed_id).executeTakeFirst();
      await auditLinkChanges(trx, row.feed_id, feed?.organisation_ods ?? '', outcome.linkChanges, now());
    }
  };
}
