/**
 * Reading the person index: every source record's link, a person's derived demographics (each
 * value with the record it came from and why that record was preferred), and the pairwise
 * evaluation of the links against an answer key.
 */
import { sql, type Kysely } from 'kysely';
import type { LinkHow, Tables } from '../store/tables.ts';
import { deriveDemographics, evaluate, sourceRecordKey, type DerivedDemographics, type Evaluation, type MatchDemographics } from './match/index.ts';
import { listReviewQueue } from './review.ts';
import { currentPerson } from './operations.ts';

export interface SourceRecordLink {
  feed_id: string;
  local_id: string;
  person_id: string;
  how: LinkHow;
  score: number | null;
  linked_at: string;
}

/** Every source record and the person it is linked to, in feed and local id order. */
export async function listLinks(db: Kysely<Tables>): Promise<SourceRecordLink[]> {
  const rows = await db.selectFrom('source_records').select(['feed_id', 'local_id', 'person_id', 'link_how', 'link_score', 'linked_at'])
    .orderBy('feed_id').orderBy('local_id').execute();
  return rows.map((r) => ({ feed_id: r.feed_id, local_id: r.local_id, person_id: r.person_id, how: r.link_how, score: r.link_score, linked_at: r.linked_at.toISOString() }));
}

export interface PersonDemographics {
  personId: string;
  records: { feedId: string; localId: string; how: LinkHow; score: number | null; linkedAt: string }[];
  /**
   * Each value from the preferred record: GP registration first, then a record with a traced
   * (verified) NHS number, then the most recently updated.
   */
  demographics: DerivedDemographics;
}

/** A person's demographics derived from its source records; a merged person's id leads to its survivor. */
export async function personDemographics(db: Kysely<Tables>, personId: string): Promise<PersonDemographics | null> {
  const id = await currentPerson(db, personId);
  if (id === null) return null;
  const rows = await db.selectFrom('source_records as sr')
    .leftJoin('feeds as f', 'f.id', 'sr.feed_id').leftJoin('organisations as o', 'o.ods_code', 'f.organisation_ods')
    .select(['sr.feed_id', 'sr.local_id', 'sr.demographics', 'sr.updated_at', 'sr.link_how', 'sr.link_score', 'sr.linked_at', 'sr.source_version', 'o.kind'])
    .where('sr.person_id', '=', id).orderBy('sr.feed_id').orderBy('sr.local_id').execute();
  const withDemographics = rows.filter((r) => r.source_version !== '');
  return {
    personId: id,
    records: rows.map((r) => ({ feedId: r.feed_id, localId: r.local_id, how: r.link_how, score: r.link_score, linkedAt: r.linked_at.toISOString() })),
    demographics: deriveDemographics(withDemographics.map((r) => ({
      feedId: r.feed_id, localId: r.local_id, demographics: r.demographics as unknown as MatchDemographics,
      recordedAt: r.updated_at.toISOString(), gpRegistration: r.kind === 'gp-practice',
    }))),
  };
}

export interface TruthRecord { feedId: string; localId: string; personKey: string }

export interface LinkEvaluation extends Evaluation {
  sourceRecords: number;
  /** Source records without a person (always 0: every record is linked, if only to a person of its own). */
  unlinked: number;
  /** Items in the review queue (pairs of persons awaiting a decision). */
  reviewItems: number;
  /** reviewItems as a share of source records. */
  reviewShare: number;
}

/**
 * Pairwise precision, recall and F1 of the stored links against truth (`feed_id,local_id,person_key`);
 * `feeds` limits the evaluation to the records of those feeds.
 */
export async function evaluateLinks(db: Kysely<Tables>, truth: readonly TruthRecord[], opts: { feeds?: readonly string[] } = {}): Promise<LinkEvaluation> {
  const all = await listLinks(db);
  const feeds = opts.feeds ? new Set(opts.feeds) : null;
  const links = feeds ? all.filter((l) => feeds.has(l.feed_id)) : all;
  const e = evaluate(
    links.map((l) => ({ key: sourceRecordKey(l.feed_id, l.local_id), personId: l.person_id, how: l.how })),
    truth.map((t) => ({ key: sourceRecordKey(t.feedId, t.localId), trueKey: t.personKey })),
  );
  const reviewItems = (await listReviewQueue(db)).length;
  const u = await sql<{ n: number }>`select count(*)::int as n from source_records sr left join persons p on p.id = sr.person_id
    where p.id is null or p.merged_into is not null`.execute(db);
  const unlinked = Number(u.rows[0]?.n ?? 0);
  return { ...e, sourceRecords: links.length, unlinked, reviewItems, reviewShare: links.length === 0 ? 0 : reviewItems / links.length };
}
