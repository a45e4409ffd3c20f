/**
 * Applies mapped source actions to the stored record, with provenance, inside the caller's
 * transaction. Idempotent and order-safe: each resource keeps the version key of what it holds,
 * and only a strictly newer version replaces it — so a replayed message changes nothing and an
 * older update arriving late is ignored. Deletions are kept as tombstones for the same reason.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Feed } from './feeds.ts';
import type { SourceAction } from './sourceAction.ts';
import { versionKey } from './version.ts';
import { applySourceMerge, linkSourceRecord, personForSubject } from '../mpi/link.ts';

export interface ApplyContext {
  feed: Feed;
  receivedAt: Date;
  /** Orders equal stated versions by arrival (the inbox row id). */
  arrival: number;
  /** Sensitive categories of a resource (access policy); injected to keep this module small. */
  categorise?: (resource: Record<string, unknown>) => string[];
}

export interface ApplyOutcome { upserted: number; ignoredOlder: number; deleted: number; merged: number; linkChanges: Array<{ feedId: string; localId: string; from: string; to: string }> }

export async function applyActions(trx: Kysely<Tables>, actions: SourceAction[], ctx: ApplyContext): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { upserted: 0, ignoredOlder: 0, deleted: 0, merged: 0, linkChanges: [] };
  const { feed, receivedAt } = ctx;
  for (const a of actions) {
    if (a.kind === 'merge') {
      const r = await applySourceMerge(trx, feed.id, a.survivorLocalId, a.retiredLocalId, receivedAt);
      if (r.retiredPersonId && r.retiredPersonId !== r.personId) out.linkChanges.push({ feedId: feed.id, localId: a.retiredLocalId, from: r.retiredPersonId, to: r.personId });
      out.merged++;
      continue;
    }
    const key = versionKey(a.sourceVersion, ctx.arrival);
    let subject = a.subjectLocalId;
    if (subject === '' && a.kind === 'delete') {
      // A deletion names no person; the stored resource knows whose it was.
      const stored = await trx.selectFrom('resources').select('subject_local_id').where('feed_id', '=', feed.id)
        .where('resource_type', '=', a.resourceType).where('source_id', '=', a.sourceId).executeTakeFirst();
      subject = stored?.subject_local_id ?? '';
    }
    if (subject === '') {
      if (await applyShared(trx, a, key, ctx)) {
        if (a.kind === 'delete') out.deleted++;
        else out.upserted++;
      } else out.ignoredOlder++;
      continue;
    }
    let personId: string;
    if (a.kind === 'upsert' && a.demographics) {
      const link = await linkSourceRecord(trx, feed.id, a.demographics, key, a.dataQuality ?? [], receivedAt);
      personId = link.personId;
      if (link.movedFrom) out.linkChanges.push({ feedId: feed.id, localId: a.demographics.localId, from: link.movedFrom, to: link.personId });
    } else {
      personId = await personForSubject(trx, feed.id, subject, receivedAt);
    }
    const resource = a.kind === 'upsert' ? (a.resource as unknown as Record<string, unknown>) : {};
    const categories = a.kind === 'upsert' && ctx.categorise ? ctx.categorise(resource) : [];
    const r = await sql<{ id: string }>`
      insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource, deleted, sensitive_categories, received_at)
      values (${personId}, ${feed.id}, ${a.resourceType}, ${a.sourceId}, ${key}, ${subject}, ${feed.organisationOds},
              ${JSON.stringify(resource)}::jsonb, ${a.kind === 'delete'}, ${sql.raw(arrayLiteral(categories))}, ${receivedAt})
      on conflict (feed_id, resource_type, source_id) do update set
        person_id = excluded.person_id, source_version = excluded.source_version, subject_local_id = excluded.subject_local_id,
        resource = case when excluded.deleted then resources.resource else excluded.resource end,
        deleted = excluded.deleted, sensitive_categories = case when excluded.deleted then resources.sensitive_categories else excluded.sensitive_categories end,
        received_at = excluded.received_at
      where resources.source_version < excluded.source_version
      returning id`.execute(trx);
    if (r.rows.length === 0) out.ignoredOlder++;
    else if (a.kind === 'delete') out.deleted++;
    else out.upserted++;
  }
  return out;
}

/** Practitioner, Organization, and deletions of resources never seen: not any one person's. */
async function applyShared(trx: Kysely<Tables>, a: Extract<SourceAction, { kind: 'upsert' | 'delete' }>, key: string, ctx: ApplyContext): Promise<boolean> {
  const resource = a.kind === 'upsert' ? JSON.stringify(a.resource) : '{}';
  const r = await sql<{ source_id: string }>`
    insert into shared_resources (feed_id, resource_type, source_id, source_version, source_org, resource, deleted, received_at)
    values (${ctx.feed.id}, ${a.resourceType}, ${a.sourceId}, ${key}, ${ctx.feed.organisationOds}, ${resource}::jsonb, ${a.kind === 'delete'}, ${ctx.receivedAt})
    on conflict (feed_id, resource_type, source_id) do update set
      source_version = excluded.source_version, deleted = excluded.deleted, received_at = excluded.received_at,
      resource = case when excluded.deleted then shared_resources.resource else excluded.resource end
    where shared_resources.source_version < excluded.source_version
    returning source_id`.execute(trx);
  return r.rows.length > 0;
}

function arrayLiteral(values: string[]): string {
  // Category codes are our own identifiers ([a-z-]); quoted defensively all the same.
  return `array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')}]::text[]`;
}
