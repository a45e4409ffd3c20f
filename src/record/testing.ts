/**
 * seedRecord: writes organisations, feeds, persons, source records and resources straight into the
 * real tables, for tests and benchmarks of reading the combined record. Ingestion is not involved,
 * so a test states exactly what is stored.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { versionKey } from '../ingest/version.ts';
import type { FhirJson } from './types.ts';

export interface SeedOrganisation { ods: string; name: string; kind: string; isaFrom?: string | null; isaTo?: string | null }
export interface SeedFeed { id: string; ods: string; format?: 'hl7v2' | 'fhir' | 'csv'; name?: string; lastSuccessAt?: Date | null }
export interface SeedSourceRecord { feedId: string; localId: string; nhsNumber?: string | null; verified?: boolean; demographics?: Omit<SourceDemographics, 'localId'>; updatedAt?: Date }
export interface SeedResource {
  feedId: string;
  resource: FhirJson;
  /** Defaults to resource.id, else a counter. */
  sourceId?: string;
  /** Defaults to the person's first source record of that feed. */
  subjectLocalId?: string;
  /** ISO timestamp or counter; defaults to 2025-01-01. */
  sourceVersion?: string;
  sensitiveCategories?: string[];
  deleted?: boolean;
  receivedAt?: Date;
}
export interface SeedPerson { id?: string; mergedInto?: string; sourceRecords?: SeedSourceRecord[]; resources?: SeedResource[] }
export interface SeedSpec { organisations?: SeedOrganisation[]; feeds?: SeedFeed[]; persons?: SeedPerson[] }
export interface Seeded { personIds: string[]; resourceIds: string[][] }

let counter = 0;

export async function seedRecord(db: Kysely<Tables>, spec: SeedSpec): Promise<Seeded> {
  for (const o of spec.organisations ?? []) {
    await db.insertInto('organisations').values({
      ods_code: o.ods, name: o.name, kind: o.kind, isa_from: o.isaFrom === undefined ? '2024-04-01' : o.isaFrom, isa_to: o.isaTo ?? null, synthetic: true,
      ico_registration: null, siro: null, caldicott_guardian: null, access_to_records_contact: null,
    }).onConflict((oc) => oc.column('ods_code').doNothing()).execute();
  }
  for (const f of spec.feeds ?? []) {
    await db.insertInto('feeds').values({
      id: f.id, organisation_ods: f.ods, format: f.format ?? 'fhir', name: f.name ?? null, sending_application: null,
      last_success_at: f.lastSuccessAt === undefined ? new Date('2025-06-01T00:00:00Z') : f.lastSuccessAt,
    }).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
  const personIds: string[] = [];
  const resourceIds: string[][] = [];
  for (const p of spec.persons ?? []) {
    const person = p.id
      ? await db.insertInto('persons').values({ id: p.id, merged_into: p.mergedInto ?? null }).returning('id').executeTakeFirstOrThrow()
      : await db.insertInto('persons').values({ merged_into: p.mergedInto ?? null }).returning('id').executeTakeFirstOrThrow();
    personIds.push(person.id);
    for (const s of p.sourceRecords ?? []) {
      await db.insertInto('source_records').values({
        feed_id: s.feedId, local_id: s.localId, person_id: person.id, nhs_number: s.nhsNumber ?? null, nhs_number_verified: s.verified ?? false,
        demographics: JSON.stringify({ localId: s.localId, ...(s.nhsNumber ? { nhsNumber: s.nhsNumber } : {}), ...(s.demographics ?? {}) }),
        data_quality: '[]', source_version: versionKey('2025-01-01T00:00:00Z'), link_how: 'nhs-number', link_score: null, retired_into: null,
        updated_at: s.updatedAt ?? new Date('2025-01-01T00:00:00Z'),
      }).execute();
    }
    const ids: string[] = [];
    for (const r of p.resources ?? []) {
      const subject = r.subjectLocalId ?? p.sourceRecords?.find((s) => s.feedId === r.feedId)?.localId ?? 'unknown';
      const feed = await db.selectFrom('feeds').select('organisation_ods').where('id', '=', r.feedId).executeTakeFirstOrThrow();
      const row = await sql<{ id: string }>`
        insert into resources (person_id, feed_id, resource_type, source_id, source_version, subject_local_id, source_org, resource, deleted, sensitive_categories, received_at)
        values (${person.id}, ${r.feedId}, ${r.resource.resourceType}, ${r.sourceId ?? (typeof r.resource.id === 'string' ? r.resource.id : `seed-${++counter}`)},
                ${versionKey(r.sourceVersion ?? '2025-01-01T00:00:00Z')}, ${subject}, ${feed.organisation_ods}, ${JSON.stringify(r.resource)}::jsonb,
                ${r.deleted ?? false}, ${`{${(r.sensitiveCategories ?? []).join(',')}}`}::text[], ${r.receivedAt ?? new Date('2025-06-01T00:00:00Z')})
        returning id`.execute(db);
      ids.push(row.rows[0]!.id);
    }
    resourceIds.push(ids);
  }
  return { personIds, resourceIds };
}
