/**
 * Test helpers for the access capability: a recording audit sink, a small registry of partners,
 * and persons with source records and resources written straight into the store.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../audit/chain/index.ts';
import { auditEventDraftProblems } from '../audit/chain/event.ts';
import type { Tables } from '../store/tables.ts';
import type { AuditSink } from './audit.ts';
import type { ScryptParams } from './options.ts';

/** Cheap enough for tests; production uses DEFAULT_SCRYPT. */
export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

export interface RecordingSink { sink: AuditSink; events: AuditEventDraft[] }

/** Records each draft after checking it is one the real appender would accept. */
export function recordingSink(): RecordingSink {
  const events: AuditEventDraft[] = [];
  return {
    events,
    sink: async (_trx, draft) => {
      const problems = auditEventDraftProblems(draft);
      if (problems.length > 0) throw new Error(`bad audit draft: ${problems.map((p) => p.message).join('; ')}`);
      events.push(draft);
    },
  };
}

export const PARTNERS = [
  { ods: 'RJE', kind: 'acute' },
  { ods: 'RTG', kind: 'acute' },
  { ods: 'M83001', kind: 'gp-practice' },
  { ods: 'M83002', kind: 'gp-practice' },
  { ods: 'SCC01', kind: 'social-care' },
  { ods: 'RLAPSED', kind: 'acute', isaTo: '2020-12-31' },
] as const;

export async function seedPartners(db: Kysely<Tables>): Promise<void> {
  for (const p of PARTNERS) {
    await db.insertInto('organisations').values({
      ods_code: p.ods, name: `Partner ${p.ods}`, kind: p.kind, ico_registration: null, siro: null, caldicott_guardian: null,
      access_to_records_contact: null, isa_from: '2019-01-01', isa_to: 'isaTo' in p ? p.isaTo : null, synthetic: true,
    }).execute();
    await db.insertInto('feeds').values({ id: `feed-${p.ods.toLowerCase()}`, organisation_ods: p.ods, format: 'fhir', name: null, sending_application: null, last_success_at: null }).execute();
  }
}

/** A person with one source record at `ods` (NHS number optional); returns the person id. */
export async function seedPerson(db: Kysely<Tables>, opts: { ods?: string; nhsNumber?: string | null; localId?: string } = {}): Promise<string> {
  const ods = opts.ods ?? 'RJE';
  const person = await db.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
  await db.insertInto('source_records').values({
    feed_id: `feed-${ods.toLowerCase()}`, local_id: opts.localId ?? randomUUID(), person_id: person.id, nhs_number: opts.nhsNumber ?? null,
    demographics: '{}', data_quality: '[]', source_version: '1', link_how: 'new-person', link_score: null, retired_into: null,
  }).execute();
  return person.id;
}

/** Stores a resource for a person as ingestion would; returns its id. */
export async function seedResource(
  db: Kysely<Tables>, personId: string, ods: string, resource: Record<string, unknown> & { resourceType: string }, opts: { deleted?: boolean; receivedAt?: Date } = {},
): Promise<string> {
  const r = await db.insertInto('resources').values({
    person_id: personId, feed_id: `feed-${ods.toLowerCase()}`, resource_type: resource.resourceType, source_id: randomUUID(),
    source_version: '1', subject_local_id: 'x', source_org: ods, resource: JSON.stringify(resource), deleted: opts.deleted ?? false,
    ...(opts.receivedAt ? { received_at: opts.receivedAt } : {}),
  }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}
