/**
 * What people do to the person index, each in its own transaction and each audited
 * (`mpi-link-changed`, through an injected sink) and reversible: accept or reject an uncertain pair
 * from the review queue, merge two persons, undo a merge. Every record and resource moves with its
 * person; every move is also kept in mpi_link_events.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import type { AuditEventDraft, JsonObject } from '../audit/chain/index.ts';
import { sourceRecordKey, type MergeResult, type PersonIndex, type SourceRecordRef } from './match/index.ts';
import { currentParameters } from './parameters.ts';
import { lockPersons, MpiError, recordIdsOf, resolveComponent, type ResolvedRecord } from './resolve.ts';
import { mpiRecordId, numbersConflict, verifiedNumbers } from './link.ts';

export type AuditSink = (trx: Kysely<Tables>, draft: AuditEventDraft) => Promise<void>;

export interface ActingUser {
  userId: string;
  organisationOds?: string;
  role?: string;
}

export interface OperationOptions {
  actor: ActingUser;
  audit: AuditSink;
  now: Date;
  /** Free text the user gave (kept in the audit event). */
  reason?: string;
}

export interface LinkChange { feedId: string; localId: string; fromPersonId: string; toPersonId: string }

function moved(resolved: Map<number, ResolvedRecord>): LinkChange[] {
  const out: LinkChange[] = [];
  for (const r of resolved.values()) {
    if (r.fromPersonId !== undefined && r.fromPersonId !== r.personId) out.push({ feedId: r.feedId, localId: r.localId, fromPersonId: r.fromPersonId, toPersonId: r.personId });
  }
  return out.sort((x, y) => (sourceRecordKey(x.feedId, x.localId) < sourceRecordKey(y.feedId, y.localId) ? -1 : 1));
}

async function audit(trx: Kysely<Tables>, o: OperationOptions, personId: string, details: JsonObject): Promise<void> {
  await o.audit(trx, {
    time: o.now.toISOString(),
    actor: { kind: 'user', id: o.actor.userId, ...(o.actor.organisationOds ? { organisationOds: o.actor.organisationOds } : {}), ...(o.actor.role ? { role: o.actor.role } : {}) },
    action: 'mpi-link-changed',
    personId,
    purpose: 'administration',
    outcome: 'success',
    details: { ...details, ...(o.reason ? { reason: o.reason } : {}) },
  });
}

const changesJson = (c: LinkChange[]): JsonObject[] => c.map((x) => ({ feedId: x.feedId, localId: x.localId, from: x.fromPersonId, to: x.toPersonId }));

/** Follows merges to the person that holds the records now. */
export async function currentPerson(db: Kysely<Tables>, personId: string): Promise<string | null> {
  let id = personId;
  for (let hops = 0; hops < 100; hops++) {
    const p = await db.selectFrom('persons').select(['id', 'merged_into']).where('id', '=', id).executeTakeFirst();
    if (!p) return null;
    if (p.merged_into === null) return p.id;
    id = p.merged_into;
  }
  return null;
}

/** Gives every source record of these persons an mpi_records row (placeholders have none yet). */
async function ensureRecordsOf(trx: Kysely<Tables>, personIds: string[]): Promise<void> {
  const missing = await sql<{ feed_id: string; local_id: string }>`
    select sr.feed_id, sr.local_id from source_records sr
    where sr.person_id = any(${personIds}::uuid[])
      and not exists (select 1 from mpi_records r where r.feed_id = sr.feed_id and r.local_id = sr.local_id)`.execute(trx);
  for (const m of missing.rows) await mpiRecordId(trx, m.feed_id, m.local_id);
}

function idOf(refs: Map<number, SourceRecordRef>, ref: SourceRecordRef): number {
  for (const [id, r] of refs) if (r.feedId === ref.feedId && r.localId === ref.localId) return id;
  throw new MpiError('unknown-source-record', 'A source record of the operation is not in the person index.');
}

async function requireCurrent(trx: Kysely<Tables>, personId: string, role: string): Promise<void> {
  const p = await trx.selectFrom('persons').select('merged_into').where('id', '=', personId).executeTakeFirst();
  if (!p) throw new MpiError('unknown-person', `The ${role} person does not exist.`);
  if (p.merged_into !== null) throw new MpiError('person-retired', `The ${role} person was merged into another; use the surviving person.`);
}

/**
 * Merges the retired person into the survivor. Persons holding different verified NHS numbers are
 * refused unless `allowNhsNumberConflict` says the user confirmed it.
 */
export async function mergePersons(db: Kysely<Tables>, survivorPersonId: string, retiredPersonId: string, o: OperationOptions & { allowNhsNumberConflict?: boolean }): Promise<{ mergeId: number; changes: LinkChange[] }> {
  if (survivorPersonId === retiredPersonId) throw new MpiError('same-person', 'A person cannot be merged into itself.');
  const { parameters } = await currentParameters(db);
  return transaction(db, async (trx) => {
    await lockPersons(trx, [survivorPersonId, retiredPersonId]);
    await requireCurrent(trx, survivorPersonId, 'surviving');
    await requireCurrent(trx, retiredPersonId, 'retired');
    const numbers = await verifiedNumbers(trx, [survivorPersonId, retiredPersonId]);
    if (numbersConflict(numbers.get(survivorPersonId), numbers.get(retiredPersonId)) && o.allowNhsNumberConflict !== true) {
      throw new MpiError('nhs-number-conflict', 'The two persons hold different verified NHS numbers; confirm the merge explicitly.');
    }
    await ensureRecordsOf(trx, [survivorPersonId, retiredPersonId]);
    const survivorRecords = await recordIdsOf(trx, survivorPersonId);
    const retiredRecords = await recordIdsOf(trx, retiredPersonId);
    let link: { a: number; b: number } | null = null;
    const resolved = await resolveComponent(trx, {
      seedIds: [...survivorRecords, ...retiredRecords], seedPersons: [survivorPersonId, retiredPersonId], parameters, at: o.now, actor: `user:${o.actor.userId}`,
      op: (index: PersonIndex, refs): MergeResult => {
        const r = index.merge(survivorPersonId, retiredPersonId, { allowNhsNumberConflict: true });
        if (r.ok) {
          const m = index.snapshot().merges.at(-1);
          if (m) link = { a: idOf(refs, m.link.a), b: idOf(refs, m.link.b) };
        }
        return r;
      },
    });
    const l = link as { a: number; b: number } | null;
    if (!l) throw new MpiError('merge-failed', 'The merge could not be recorded.');
    await trx.insertInto('mpi_must_links').values({ a: l.a, b: l.b, how: 'merge', created_by: `user:${o.actor.userId}` }).onConflict((oc) => oc.columns(['a', 'b']).doNothing()).execute();
    const m = await trx.insertInto('mpi_merges').values({
      survivor_person: survivorPersonId, retired_person: retiredPersonId, survivor_records: `{${survivorRecords.join(',')}}`, retired_records: `{${retiredRecords.join(',')}}`,
      link_a: l.a, link_b: l.b, created_by: `user:${o.actor.userId}`,
    }).returning('id').executeTakeFirstOrThrow();
    await trx.updateTable('persons').set({ merged_into: survivorPersonId }).where('id', '=', retiredPersonId).execute();
    const changes = moved(resolved);
    await audit(trx, o, survivorPersonId, { operation: 'merge', mergeId: Number(m.id), survivor: survivorPersonId, retired: retiredPersonId, changes: changesJson(changes) });
    return { mergeId: Number(m.id), changes };
  });
}

/** Undoes the latest merge of these two persons: the retired person returns with its records, and the two are kept apart. */
export async function unmergePersons(db: Kysely<Tables>, survivorPersonId: string, retiredPersonId: string, o: OperationOptions): Promise<{ changes: LinkChange[] }> {
  const { parameters } = await currentParameters(db);
  return transaction(db, async (trx) => {
    await lockPersons(trx, [survivorPersonId, retiredPersonId]);
    const m = await trx.selectFrom('mpi_merges').selectAll().where('survivor_person', '=', survivorPersonId).where('retired_person', '=', retiredPersonId)
      .where('undone_at', 'is', null).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (!m) throw new MpiError('no-such-merge', 'No merge of these two persons is recorded.');
    const seeds = [...m.survivor_records, ...m.retired_records].map(Number);
    const resolved = await resolveComponent(trx, {
      seedIds: seeds, seedPersons: [survivorPersonId], parameters, at: o.now, actor: `user:${o.actor.userId}`, mergesOf: [survivorPersonId, retiredPersonId],
      op: (index) => index.unmerge(survivorPersonId, retiredPersonId),
    });
    await trx.deleteFrom('mpi_must_links').where('a', '=', Number(m.link_a)).where('b', '=', Number(m.link_b)).execute();
    await trx.insertInto('mpi_separations').values({ a: `{${m.survivor_records.join(',')}}`, b: `{${m.retired_records.join(',')}}`, created_by: `user:${o.actor.userId}` }).execute();
    await trx.updateTable('mpi_merges').set({ undone_at: o.now, undone_by: `user:${o.actor.userId}` }).where('id', '=', m.id).execute();
    const changes = moved(resolved);
    await audit(trx, o, retiredPersonId, { operation: 'unmerge', mergeId: Number(m.id), survivor: survivorPersonId, retired: retiredPersonId, changes: changesJson(changes) });
    return { changes };
  });
}
