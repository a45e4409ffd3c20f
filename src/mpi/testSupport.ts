/**
 * Test fixtures for the person index in the database: three organisations (one GP practice) and
 * their feeds, and helpers that link demographics and add resources as ingestion would.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from '../ingest/feeds.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import type { AuditEventDraft } from '../audit/chain/index.ts';
import { linkSourceRecord, type LinkResult } from './link.ts';
import type { AuditSink } from './operations.ts';

export const FEEDS = { gp: 'gp-a81001', acute: 'rje-pas', council: 'council-sc' } as const;

export async function registerFixtureFeeds(db: Kysely<Tables>): Promise<void> {
  await ensureOrganisations(db, [
    { odsCode: 'A81001', name: 'Practice', kind: 'gp-practice', isaFrom: '2020-01-01' },
    { odsCode: 'RJE', name: 'Acute trust', kind: 'acute', isaFrom: '2020-01-01' },
    { odsCode: 'X1SC1', name: 'Council', kind: 'social-care', isaFrom: '2020-01-01' },
  ]);
  await addFeed(db, { id: FEEDS.gp, organisationOds: 'A81001', format: 'fhir' });
  await addFeed(db, { id: FEEDS.acute, organisationOds: 'RJE', format: 'hl7v2' });
  await addFeed(db, { id: FEEDS.council, organisationOds: 'X1SC1', format: 'csv' });
}

export async function link(db: Kysely<Tables>, feedId: string, d: SourceDemographics, at = new Date('2026-01-01T10:00:00Z'), version = at.toISOString()): Promise<LinkResult> {
  return transaction(db, (trx) => linkSourceRecord(trx, feedId, d, version, [], at));
}

export async function addResource(db: Kysely<Tables>, feedId: string, localId: string, sourceId: string): Promise<void> {
  const sr = await db.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirstOrThrow();
  await db.insertInto('resources').values({
    person_id: sr.person_id, feed_id: feedId, resource_type: 'AllergyIntolerance', source_id: sourceId, source_version: '1',
    subject_local_id: localId, source_org: 'X', resource: JSON.stringify({ resourceType: 'AllergyIntolerance', id: sourceId }), received_at: new Date(),
  }).execute();
}

export async function personOf(db: Kysely<Tables>, feedId: string, localId: string): Promise<string> {
  const sr = await db.selectFrom('source_records').select('person_id').where('feed_id', '=', feedId).where('local_id', '=', localId).executeTakeFirstOrThrow();
  return sr.person_id;
}

/** An audit sink that keeps what it is given. */
export function memoryAudit(): { sink: AuditSink; events: AuditEventDraft[] } {
  const events: AuditEventDraft[] = [];
  return { events, sink: async (_trx, draft) => { events.push(draft); } };
}
