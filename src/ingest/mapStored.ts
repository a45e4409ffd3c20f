/**
 * Turns a stored inbox row back into source actions for the workers. Mapping is pure, so mapping
 * again what was mapped at receipt gives the same answer — unless the mapping was fixed in
 * between, which is exactly what replaying wants.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { parse } from '../formats/hl7v2/index.ts';
import { mapHl7v2 } from './map/hl7v2/index.ts';
import { mapFhirBundle } from './map/fhir/index.ts';
import { mapCsvRow } from './map/csv/index.ts';
import type { IngestError, SourceAction } from './sourceAction.ts';
import type { Feed } from './feeds.ts';
import type { ClaimedRow } from './inbox.ts';
import { receiptMappings } from './receiptMappings.ts';
import type { StoredBundle } from './receive/fhir.ts';
import { DATASET_RESOURCE, type StoredCsvRows, type StoredSnapshotEnd } from './receive/csv.ts';

export interface Mapped { actions: SourceAction[]; errors: Array<{ content: string; error: IngestError }> }

export async function mapStored(row: ClaimedRow, feed: Feed, trx: Kysely<Tables>): Promise<Mapped> {
  switch (row.kind) {
    case 'hl7v2': {
      // Mapped when it arrived, in this process: the same text, so the same actions.
      const kept = receiptMappings.take(feed.id, row.message_id, feed.organisationOds, row.content);
      if (kept) return { actions: kept, errors: [] };
      const parsed = parse(row.content);
      if (!parsed.ok) throw new Error(parsed.error.message);
      const r = mapHl7v2(parsed.message, { feedId: feed.id, odsCode: feed.organisationOds });
      if (!r.ok) throw new Error(r.error.message);
      return { actions: r.actions, errors: [] };
    }
    case 'fhir-bundle': {
      const stored = JSON.parse(row.content) as StoredBundle;
      const answer = mapFhirBundle(stored.bundle, { feedId: feed.id, odsCode: feed.organisationOds, receivedAt: stored.receivedAt });
      if (answer.bundleError) throw new Error(answer.bundleError.issue[0]?.diagnostics ?? 'bundle refused');
      const wanted = new Set(stored.accepted);
      const actions: SourceAction[] = [];
      const errors: Mapped['errors'] = [];
      const entries = (stored.bundle as { entry?: unknown[] }).entry ?? [];
      // Patients first, so a clinical entry finds its person linked by demographics, not a placeholder.
      const ordered = [...answer.entries].sort((a, b) => rank(a.result) - rank(b.result));
      for (const e of ordered) {
        if (!wanted.has(e.index)) continue;
        if (e.result.ok) actions.push(...e.result.actions);
        else errors.push({ content: JSON.stringify(entries[e.index] ?? null), error: e.result.error });
      }
      return { actions, errors };
    }
    case 'csv-rows': {
      const stored = JSON.parse(row.content) as StoredCsvRows;
      const actions: SourceAction[] = [];
      const errors: Mapped['errors'] = [];
      const ctx = { feedId: feed.id, odsCode: feed.organisationOds, asOf: stored.asOf, now: row.received_at };
      for (const r of stored.rows) {
        const outcome = mapCsvRow(stored.dataset, r, ctx);
        if (outcome.result.ok) actions.push(...outcome.result.actions);
        else errors.push({ content: JSON.stringify({ dataset: stored.dataset, line: r.line, values: r.values, asOf: stored.asOf }), error: outcome.result.error });
      }
      return { actions, errors };
    }
    case 'csv-snapshot-end': {
      const stored = JSON.parse(row.content) as StoredSnapshotEnd;
      const resourceType = DATASET_RESOURCE[stored.dataset];
      const keep = new Set(stored.sourceIds);
      const current = await trx.selectFrom('resources').select(['source_id', 'subject_local_id']).where('feed_id', '=', feed.id)
        .where('resource_type', '=', resourceType).where('deleted', '=', false).execute();
      const actions: SourceAction[] = current.filter((c) => !keep.has(c.source_id)).map((c) => ({
        kind: 'delete', resourceType, sourceId: c.source_id, sourceVersion: stored.asOf, subjectLocalId: c.subject_local_id,
      }));
      return { actions, errors: [] };
    }
  }
}

function rank(r: { ok: boolean; actions?: SourceAction[] }): number {
  return r.ok && r.actions?.some((a) => a.kind === 'upsert' && a.demographics) ? 0 : 1;
}
