/**
 * The review queue: pairs of source records in different persons that might be one person — an
 * uncertain score, a safety rule that stopped a link (NHS number disagreeing with name and date of
 * birth, two different NHS numbers, a second local record in one feed) — one item per pair of
 * persons (the strongest pair), with the evidence for and against field by field. A reviewer's
 * "same" links the two persons (manual, reversible with unmergePersons); "different" keeps them
 * apart from then on.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { FIELDS, FIELD_LEVELS, type FieldEvidence, type Scorer } from './match/index.ts';
import { currentParameters, scorerFor } from './parameters.ts';
import { lockPersons, MpiError, recordIdsOf, resolveComponent } from './resolve.ts';
import type { LinkChange, OperationOptions } from './operations.ts';

export interface ReviewSide {
  feedId: string;
  localId: string;
  personId: string;
  /** What the source sent (shown to the reviewer beside the evidence). */
  demographics: Record<string, unknown>;
}

export interface ReviewQueueItem {
  id: number;
  reason: string;
  score: number;
  records: [ReviewSide, ReviewSide];
  /** Every compared field: its level and weight (log2 m/u). */
  evidence: FieldEvidence[];
  /** Fields that agree (positive weight) and disagree (negative weight). */
  for: string[];
  against: string[];
}

interface Row {
  id: number; a: number; b: number; kind: string; score: number; levels: number[] | string; reason: string | null;
  fa: string; la: string; pa: string; da: Record<string, unknown>; na: string | null;
  fb: string; lb: string; pb: string; db: Record<string, unknown>; nb: string | null;
}

function parseLevels(v: number[] | string): number[] {
  if (Array.isArray(v)) return v.map(Number);
  return v.replace(/[{}]/g, '').split(',').filter((x) => x !== '').map(Number);
}

function evidenceOf(scorer: Scorer, levels: number[]): FieldEvidence[] {
  return FIELDS.map((field, i) => {
    const l = levels[i] ?? -1;
    return { field, level: l < 0 ? null : (FIELD_LEVELS[field][l] ?? null), weight: Math.round(scorer.weight(i, l) * 100) / 100 };
  });
}

async function separatedPairs(db: Kysely<Tables>): Promise<Set<string>> {
  // Separations are few: map their records to today's persons and keep the person pairs.
  const seps = await sql<{ a: string; b: string }>`
    select distinct sa.person_id as a, sb.person_id as b from mpi_separations s
    cross join lateral unnest(s.a) as xa(id) cross join lateral unnest(s.b) as xb(id)
    join mpi_records ra on ra.id = xa.id join source_records sa on sa.feed_id = ra.feed_id and sa.local_id = ra.local_id
    join mpi_records rb on rb.id = xb.id join source_records sb on sb.feed_id = rb.feed_id and sb.local_id = rb.local_id`.execute(db);
  const out = new Set<string>();
  for (const s of seps.rows) {
    out.add(`${s.a}|${s.b}`);
    out.add(`${s.b}|${s.a}`);
  }
  return out;
}

/** The queue, strongest first within each reason; `limit` items at most. */
export async function listReviewQueue(db: Kysely<Tables>, opts: { limit?: number } = {}): Promise<ReviewQueueItem[]> {
  const { digest } = await currentParameters(db);
  const scorer = await scorerFor(db, digest);
  const rows = await sql<Row>`
    select p.id, p.a, p.b, p.kind, p.score, p.levels, p.reason,
      ra.feed_id as fa, ra.local_id as la, sa.person_id as pa, sa.demographics as da, sa.nhs_number as na,
      rb.feed_id as fb, rb.local_id as lb, sb.person_id as pb, sb.demographics as db, sb.nhs_number as nb
    from mpi_pairs p
    join mpi_records ra on ra.id = p.a join source_records sa on sa.feed_id = ra.feed_id and sa.local_id = ra.local_id
    join mpi_records rb on rb.id = p.b join source_records sb on sb.feed_id = rb.feed_id and sb.local_id = rb.local_id
    where sa.person_id <> sb.person_id
    order by p.id`.execute(db);
  const separated = rows.rows.length > 0 ? await separatedPairs(db) : new Set<string>();
  const best = new Map<string, Row>();
  for (const r of rows.rows) {
    if (separated.has(`${r.pa}|${r.pb}`)) continue;
    const k = r.pa < r.pb ? `${r.pa}|${r.pb}` : `${r.pb}|${r.pa}`;
    const cur = best.get(k);
    if (!cur || r.score > cur.score) best.set(k, r);
  }
  const items = [...best.values()].map((r): ReviewQueueItem => {
    // A link-capable pair across two persons is one the clustering refused.
    const reason = r.reason ?? (r.na && r.nb && r.na !== r.nb ? 'nhs-number-conflict' : r.fa === r.fb ? 'same-feed-duplicate' : 'nhs-number-conflict');
    const evidence = evidenceOf(scorer, parseLevels(r.levels));
    return {
      id: Number(r.id), reason, score: Math.round(r.score * 100) / 100,
      records: [
        { feedId: r.fa, localId: r.la, personId: r.pa, demographics: r.da },
        { feedId: r.fb, localId: r.lb, personId: r.pb, demographics: r.db },
      ],
      evidence,
      for: evidence.filter((e) => e.weight > 0).map((e) => e.field),
      against: evidence.filter((e) => e.weight < 0).map((e) => e.field),
    };
  });
  items.sort((x, y) => y.score - x.score || x.id - y.id);
  return opts.limit === undefined ? items : items.slice(0, opts.limit);
}

async function pairRecords(trx: Kysely<Tables>, id: number): Promise<{ a: number; b: number; pa: string; pb: string }> {
  const r = await sql<{ a: number; b: number; pa: string; pb: string }>`
    select p.a, p.b, sa.person_id as pa, sb.person_id as pb from mpi_pairs p
    join mpi_records ra on ra.id = p.a join source_records sa on sa.feed_id = ra.feed_id and sa.local_id = ra.local_id
    join mpi_records rb on rb.id = p.b join source_records sb on sb.feed_id = rb.feed_id and sb.local_id = rb.local_id
    where p.id = ${id}`.execute(trx);
  const row = r.rows[0];
  if (!row) throw new MpiError('unknown-review-item', 'No review item has this id.');
  if (row.pa === row.pb) throw new MpiError('already-linked', 'The two records of this review item are already one person.');
  return { a: Number(row.a), b: Number(row.b), pa: row.pa, pb: row.pb };
}

/** "Same person": a manual link between the pair's records; the two persons become one. */
export async function acceptReview(db: Kysely<Tables>, id: number, o: OperationOptions): Promise<{ personId: string; changes: LinkChange[] }> {
  const { parameters } = await currentParameters(db);
  return transaction(db, async (trx) => {
    const first = await pairRecords(trx, id);
    await lockPersons(trx, [first.pa, first.pb]);
    const p = await pairRecords(trx, id);
    await trx.insertInto('mpi_must_links').values({ a: p.a, b: p.b, how: 'manual', created_by: `user:${o.actor.userId}` }).onConflict((oc) => oc.columns(['a', 'b']).doNothing()).execute();
    await trx.deleteFrom('mpi_separations').where(sql<boolean>`(a && ${await idsArray(trx, p.pa)}::bigint[] and b && ${await idsArray(trx, p.pb)}::bigint[]) or (a && ${await idsArray(trx, p.pb)}::bigint[] and b && ${await idsArray(trx, p.pa)}::bigint[])`).execute();
    const recordsA = await recordIdsOf(trx, p.pa);
    const recordsB = await recordIdsOf(trx, p.pb);
    const resolved = await resolveComponent(trx, { seedIds: [p.a, p.b], seedPersons: [p.pa, p.pb], parameters, at: o.now, actor: `user:${o.actor.userId}` });
    const personId = resolved.get(p.a)?.personId ?? p.pa;
    // Recorded as a merge, so that unmergePersons can undo the decision.
    const [survivorRecords, retiredRecords] = personId === p.pa ? [recordsA, recordsB] : [recordsB, recordsA];
    await trx.insertInto('mpi_merges').values({
      survivor_person: personId, retired_person: personId === p.pa ? p.pb : p.pa, survivor_records: `{${survivorRecords.join(',')}}`,
      retired_records: `{${retiredRecords.join(',')}}`, link_a: p.a, link_b: p.b, created_by: `user:${o.actor.userId}`,
    }).execute();
    const changes: LinkChange[] = [];
    for (const r of resolved.values()) if (r.fromPersonId !== undefined && r.fromPersonId !== r.personId) changes.push({ feedId: r.feedId, localId: r.localId, fromPersonId: r.fromPersonId, toPersonId: r.personId });
    await o.audit(trx, {
      time: o.now.toISOString(), actor: { kind: 'user', id: o.actor.userId, ...(o.actor.organisationOds ? { organisationOds: o.actor.organisationOds } : {}) },
      action: 'mpi-link-changed', personId, purpose: 'administration', outcome: 'success',
      details: { operation: 'review-accept', reviewItem: id, changes: changes.map((c) => ({ feedId: c.feedId, localId: c.localId, from: c.fromPersonId, to: c.toPersonId })), ...(o.reason ? { reason: o.reason } : {}) },
    });
    return { personId, changes };
  });
}

async function idsArray(trx: Kysely<Tables>, personId: string): Promise<number[]> {
  return recordIdsOf(trx, personId);
}

/** "Different persons": the two persons are kept apart from now on (the item leaves the queue). */
export async function rejectReview(db: Kysely<Tables>, id: number, o: OperationOptions): Promise<void> {
  await transaction(db, async (trx) => {
    const first = await pairRecords(trx, id);
    await lockPersons(trx, [first.pa, first.pb]);
    const p = await pairRecords(trx, id);
    const a = await recordIdsOf(trx, p.pa);
    const b = await recordIdsOf(trx, p.pb);
    await trx.insertInto('mpi_separations').values({ a: `{${a.join(',')}}`, b: `{${b.join(',')}}`, created_by: `user:${o.actor.userId}` }).execute();
    // Records that were awaiting review only because of each other are settled now.
    await sql`update source_records sr set link_how = 'new-person' from mpi_records r
      where r.id = any(${[...a, ...b]}::bigint[]) and sr.feed_id = r.feed_id and sr.local_id = r.local_id and sr.link_how = 'review'
        and not exists (
          select 1 from mpi_pairs q join mpi_records x on x.id = case when q.a = r.id then q.b else q.a end
          join source_records sx on sx.feed_id = x.feed_id and sx.local_id = x.local_id
          where (q.a = r.id or q.b = r.id) and q.kind = 'review' and sx.person_id <> all(${[p.pa, p.pb]}::uuid[]))`.execute(trx);
    await o.audit(trx, {
      time: o.now.toISOString(), actor: { kind: 'user', id: o.actor.userId, ...(o.actor.organisationOds ? { organisationOds: o.actor.organisationOds } : {}) },
      action: 'mpi-link-changed', personId: p.pa, purpose: 'administration', outcome: 'success',
      details: { operation: 'review-reject', reviewItem: id, persons: [p.pa, p.pb], ...(o.reason ? { reason: o.reason } : {}) },
    });
  });
}
