/**
 * Applies mapped source actions to the stored record, with provenance, inside the caller's
 * transaction. Idempotent and order-safe: each resource keeps the version key of what it holds,
 * and only a strictly newer version replaces it — so a replayed message changes nothing and an
 * older update arriving late is ignored. Deletions are kept as tombstones for the same reason.
 *
 * Linking is batched (the person index decides whose record each source record is, for a run of
 * actions at once — see applyBatch); resource writes are gathered in a `ResourceWrites` and written by one statement per worker
 * batch, which takes each resource's person from its source record at that moment — so a link
 * changed later in the same batch is still honoured.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Feed } from './feeds.ts';
import type { SourceAction } from './sourceAction.ts';
import { versionKey } from './version.ts';
import { applySourceMerge, linkSourceRecords, personsForSubjects, type LinkRequest, type SubjectRef } from '../mpi/link.ts';

export interface ApplyContext {
  feed: Feed;
  receivedAt: Date;
  /** Orders equal stated versions by arrival (the inbox row id). */
  arrival: number;
  /** Sensitive categories of a resource (access policy); injected to keep this module small. */
  categorise?: (resource: Record<string, unknown>) => string[];
}

export interface ApplyOutcome { upserted: number; deleted: number; merged: number; linkChanges: Array<{ feedId: string; localId: string; from: string; to: string }> }

interface ResourceWrite {
  feedId: string; resourceType: string; sourceId: string; versionKey: string; subject: string; sourceOrg: string;
  resource: string; deleted: boolean; categories: string[]; receivedAt: Date;
}

/** Resource writes gathered over a batch, written by one statement. */
export class ResourceWrites {
  private readonly byKey = new Map<string, ResourceWrite>();

  add(w: ResourceWrite): void {
    // One statement cannot touch a row twice: of two writes to one resource, keep the newer.
    const key = `${w.feedId}\u0000${w.resourceType}\u0000${w.sourceId}`;
    const had = this.byKey.get(key);
    if (!had || had.versionKey < w.versionKey) this.byKey.set(key, w);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Writes everything gathered; returns how many resources changed (newer versions only). */
  async flush(trx: Kysely<Tables>): Promise<number> {
    const writes = [...this.byKey.values()];
    this.byKey.clear();
    let changed = 0;
    for (let i = 0; i < writes.length; i += 500) {
      const part = writes.slice(i, i + 500);
      // Parameters in VALUES have no column to take a type from: each is cast.
      const values = sql.join(part.map((w) => sql`(${w.feedId}::text, ${w.resourceType}::text, ${w.sourceId}::text, ${w.versionKey}::text, ${w.subject}::text,
        ${w.sourceOrg}::text, ${w.resource}::jsonb, ${w.deleted}::boolean, ${sql.raw(arrayLiteral(w.categories))}, ${w.receivedAt}::timestamptz)`));
      const r = await sql<{ id: string }>`
        insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource, deleted, sensitive_categories, received_at)
        select sr.person_id, v.feed_id, v.resource_type, v.source_id, v.source_version, v.subject, v.source_org, v.resource, v.deleted, v.categories, v.received_at
        from (values ${values}) as v (feed_id, resource_type, source_id, source_version, subject, source_org, resource, deleted, categories, received_at)
        join source_records sr on sr.feed_id = v.feed_id and sr.local_id = v.subject
        on conflict (feed_id, resource_type, source_id) do update set
          person_id = excluded.person_id, source_version = excluded.source_version, subject_local_id = excluded.subject_local_id,
          resource = case when excluded.deleted then resources.resource else excluded.resource end,
          deleted = excluded.deleted,
          sensitive_categories = case when excluded.deleted then resources.sensitive_categories else excluded.sensitive_categories end,
          received_at = excluded.received_at
        where resources.source_version < excluded.source_version
        returning id`.execute(trx);
      changed += r.rows.length;
    }
    return changed;
  }
}

export async function applyActions(trx: Kysely<Tables>, actions: SourceAction[], ctx: ApplyContext, writes: ResourceWrites): Promise<ApplyOutcome> {
  const [out] = await applyBatch(trx, [{ actions, ctx }], writes);
  return out!;
}

/** One inbox row's mapped actions and its context. */
export interface ApplyItem { actions: SourceAction[]; ctx: ApplyContext }

/**
 * Applies the actions of a whole worker batch, in order, as applyActions would one row after
 * another — but the person index is asked once for a run of actions rather than once per action:
 * the demographics of every Patient in the run are linked together (linkSourceRecords), then every
 * other subject is looked up (or given a placeholder) at once. The order that matters is kept: a
 * Patient is linked before its resources are written (all writes go at the end, by one statement
 * that reads each subject's person then), a newer version of a source record wins over an older
 * one, and a source merge (A40) closes the run so that it sees everything before it applied and
 * everything after it sees the merge.
 */
export async function applyBatch(trx: Kysely<Tables>, items: ApplyItem[], writes: ResourceWrites): Promise<ApplyOutcome[]> {
  const outs: ApplyOutcome[] = items.map(() => ({ upserted: 0, deleted: 0, merged: 0, linkChanges: [] }));
  let links: Array<{ req: LinkRequest; item: number }> = [];
  let subjects: SubjectRef[] = [];
  let linked = new Set<string>();
  const flush = async (): Promise<void> => {
    if (links.length > 0) {
      const results = await linkSourceRecords(trx, links.map((l) => l.req));
      // A source record sent twice in the run moved once: told to the row that carried the version applied.
      const told = new Set<string>();
      for (let i = results.length - 1; i >= 0; i--) {
        const r = results[i]!;
        const l = links[i]!;
        const key = `${l.req.feedId}\u0000${l.req.demographics.localId}`;
        if (!r.movedFrom || told.has(key)) continue;
        told.add(key);
        outs[l.item]!.linkChanges.unshift({ feedId: l.req.feedId, localId: l.req.demographics.localId, from: r.movedFrom, to: r.personId });
      }
    }
    // Subjects whose Patient was linked above have their source record already.
    const rest = subjects.filter((x) => !linked.has(`${x.feedId}\u0000${x.localId}`));
    if (rest.length > 0) await personsForSubjects(trx, rest);
    links = [];
    subjects = [];
    linked = new Set();
  };

  for (const [n, { actions, ctx }] of items.entries()) {
    const out = outs[n]!;
    const { feed, receivedAt } = ctx;
    for (const a of actions) {
      if (a.kind === 'merge') {
        await flush();
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
        }
        continue;
      }
      if (a.kind === 'upsert' && a.demographics) {
        links.push({ req: { feedId: feed.id, demographics: a.demographics, versionKey: key, dataQuality: a.dataQuality ?? [], at: receivedAt }, item: n });
        linked.add(`${feed.id}\u0000${a.demographics.localId}`);
      } else subjects.push({ feedId: feed.id, localId: subject, at: receivedAt });
      const resource = a.kind === 'upsert' ? (a.resource as unknown as Record<string, unknown>) : {};
      writes.add({
        feedId: feed.id, resourceType: a.resourceType, sourceId: a.sourceId, versionKey: key, subject, sourceOrg: feed.organisationOds,
        resource: JSON.stringify(resource), deleted: a.kind === 'delete',
        categories: a.kind === 'upsert' && ctx.categorise ? ctx.categorise(resource) : [], receivedAt,
      });
      if (a.kind === 'delete') out.deleted++;
      else out.upserted++;
    }
  }
  await flush();
  return outs;
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
