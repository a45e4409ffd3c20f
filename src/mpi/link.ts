/**
 * Links source records to persons — the one interface through which ingestion asks "whose record
 * is this?". Linking follows the safety rules of the person index: a valid NHS number links
 * deterministically; two different valid NHS numbers are never linked automatically; a record
 * without a usable NHS number becomes a new person until matching or review says otherwise.
 * Every move of a source record between persons carries its resources with it.
 */
import { sql, type Kysely } from 'kysely';
import type { LinkHow, Tables } from '../store/tables.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import type { DataQualityWarning, SourceDemographics } from '../ingest/sourceAction.ts';

export interface LinkResult {
  personId: string;
  how: LinkHow;
  /** The person this source record belonged to before, when this call moved it. */
  movedFrom?: string;
  /** False when the stored demographics were newer than these (nothing changed). */
  applied: boolean;
}

/** A usable NHS number: normalises and passes modulus 11. */
export function usableNhsNumber(raw: string | undefined): string | null {
  if (!raw) return null;
  const n = normaliseNhsNumber(raw);
  return n && isValidNhsNumber(n) ? n : null;
}

async function lockKey(trx: Kysely<Tables>, key: string): Promise<void> {
  // Serialises concurrent workers deciding about the same NHS number or local record, so two of
  // them cannot each create a new person for one real person.
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

async function newPerson(trx: Kysely<Tables>): Promise<string> {
  const r = await trx.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
  return r.id;
}

async function findPersonByNhsNumber(trx: Kysely<Tables>, nhs: string, except?: { feedId: string; localId: string }): Promise<string | null> {
  let q = trx.selectFrom('source_records').select('person_id').where('nhs_number', '=', nhs).where('retired_into', 'is', null);
  if (except) q = q.where((eb) => eb.not(eb.and([eb('feed_id', '=', except.feedId), eb('local_id', '=', except.localId)])));
  const r = await q.orderBy('linked_at').limit(1).executeTakeFirst();
  return r?.person_id ?? null;
}

async function moveSourceRecord(trx: Kysely<Tables>, feedId: string, localId: string, toPerson: string, how: LinkHow, at: Date): Promise<void> {
  await trx.updateTable('source_records').set({ person_id: toPerson, link_how: how, linked_at: at }).where('feed_id', '=', feedId).where('local_id', '=', localId).execute();
  await trx.updateTable('resources').set({ person_id: toPerson }).where('feed_id', '=', feedId).where('subject_local_id', '=', localId).execute();
}

/**
 * Records a source record's demographics (if newer than what is stored) and links it.
 * `versionKey` is already normalised (see ingest/version.ts).
 */
export async function linkSourceRecord(
  trx: Kysely<Tables>, feedId: string, d: SourceDemographics, versionKey: string, dataQuality: DataQualityWarning[], at: Date,
): Promise<LinkResult> {
  await lockKey(trx, `sr:${feedId}:${d.localId}`);
  const nhs = usableNhsNumber(d.nhsNumber);
  if (nhs) await lockKey(trx, `nhs:${nhs}`);
  const existing = await trx.selectFrom('source_records').selectAll().where('feed_id', '=', feedId).where('local_id', '=', d.localId).executeTakeFirst();
  if (existing && existing.source_version >= versionKey) return { personId: existing.person_id, how: existing.link_how, applied: false };

  const values = {
    nhs_number: nhs, nhs_number_verified: nhs !== null && d.nhsNumberVerified === true,
    demographics: JSON.stringify(d), data_quality: JSON.stringify(dataQuality), source_version: versionKey, updated_at: at,
  };
  const target = nhs ? await findPersonByNhsNumber(trx, nhs, { feedId, localId: d.localId }) : null;

  if (!existing) {
    const personId = target ?? (await newPerson(trx));
    const how: LinkHow = target ? 'nhs-number' : 'new-person';
    await trx.insertInto('source_records').values({ feed_id: feedId, local_id: d.localId, person_id: personId, link_how: how, link_score: null, linked_at: at, ...values }).execute();
    return { personId, how, applied: true };
  }

  await trx.updateTable('source_records').set(values).where('feed_id', '=', feedId).where('local_id', '=', d.localId).execute();
  // Manual links and merges were decided by a person or the source; new demographics do not undo them.
  if (existing.link_how === 'manual' || existing.link_how === 'merge') return { personId: existing.person_id, how: existing.link_how, applied: true };
  if (target && target !== existing.person_id) {
    await moveSourceRecord(trx, feedId, d.localId, target, 'nhs-number', at);
    return { personId: target, how: 'nhs-number', movedFrom: existing.person_id, applied: true };
  }
  if (!target && existing.nhs_number && existing.nhs_number !== nhs) {
    // The source changed the NHS number it holds: this record no longer belongs with the person it
    // was linked to by the old number, unless it is that person's only record.
    const others = await trx.selectFrom('source_records').select('local_id').where('person_id', '=', existing.person_id)
      .where((eb) => eb.not(eb.and([eb('feed_id', '=', feedId), eb('local_id', '=', d.localId)]))).limit(1).execute();
    if (others.length > 0) {
      const personId = await newPerson(trx);
      await moveSourceRecord(trx, feedId, d.localId, personId, 'new-person', at);
      return { personId, how: 'new-person', movedFrom: existing.person_id, applied: true };
    }
  }
  return { personId: existing.person_id, how: existing.link_how, applied: true };
}

/**
 * The person a resource's subject belongs to. A resource can arrive before its Patient (a result
 * before the registration): the subject then gets a placeholder source record, linked properly
 * when its demographics arrive.
 */
export async function personForSubject(trx: Kysely<Tables>, feedId: string, localId: string, at: Date): Promise<string> {
  const found = await trx.selectFrom('source_records').select(['person_id', 'retired_into']).where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirst();
  if (found) return found.person_id;
  await lockKey(trx, `sr:${feedId}:${localId}`);
  const again = await trx.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirst();
  if (again) return again.person_id;
  const personId = await newPerson(trx);
  await trx.insertInto('source_records').values({
    feed_id: feedId, local_id: localId, person_id: personId, nhs_number: null, demographics: JSON.stringify({ localId }),
    data_quality: '[]', source_version: '', link_how: 'new-person', link_score: null, linked_at: at, updated_at: at,
  }).execute();
  return personId;
}

/**
 * A40 at the source: the feed merged its duplicate local record into the survivor. The retired
 * record and its resources follow the survivor's person; the retired record stays (marked) so the
 * merge can be undone.
 */
export async function applySourceMerge(trx: Kysely<Tables>, feedId: string, survivorLocalId: string, retiredLocalId: string, at: Date): Promise<{ personId: string; retiredPersonId: string | null }> {
  const survivorPerson = await personForSubject(trx, feedId, survivorLocalId, at);
  const retired = await trx.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', retiredLocalId).executeTakeFirst();
  if (!retired) return { personId: survivorPerson, retiredPersonId: null };
  await trx.updateTable('source_records').set({ retired_into: survivorLocalId }).where('feed_id', '=', feedId).where('local_id', '=', retiredLocalId).execute();
  if (retired.person_id !== survivorPerson) {
    await moveSourceRecord(trx, feedId, retiredLocalId, survivorPerson, 'merge', at);
    const left = await trx.selectFrom('source_records').select('local_id').where('person_id', '=', retired.person_id).limit(1).execute();
    if (left.length === 0) await trx.updateTable('persons').set({ merged_into: survivorPerson }).where('id', '=', retired.person_id).execute();
  }
  return { personId: survivorPerson, retiredPersonId: retired.person_id };
}
