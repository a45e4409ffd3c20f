/**
 * The database schema as Kysely types: one place that says what every table holds. The SQL that
 * creates them is in migrations/; each table group is written by the capability that owns it.
 */
import type { ColumnType, Generated } from 'kysely';

/** Timestamps are written as Date or ISO strings and read as Date on both engines. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb: written as JSON text (the same on both engines), read as parsed JSON. */
export type Json<T> = ColumnType<T, string, string>;

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface OrganisationsTable {
  ods_code: string;
  name: string;
  kind: string;
  ico_registration: string | null;
  siro: string | null;
  caldicott_guardian: string | null;
  access_to_records_contact: string | null;
  /** Dates as YYYY-MM-DD strings on both engines. */
  isa_from: string | null;
  isa_to: string | null;
  synthetic: boolean;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

type Created = ColumnType<Date, Date | string | undefined, never>;
type Counter = ColumnType<number, number | undefined, number>;

export interface FeedsTable {
  id: string;
  organisation_ods: string;
  format: 'hl7v2' | 'fhir' | 'csv';
  name: string | null;
  sending_application: string | null;
  snapshot: ColumnType<boolean, boolean | undefined, boolean>;
  received: Counter;
  accepted: Counter;
  rejected: Counter;
  dead_lettered: Counter;
  last_success_at: Timestamp | null;
  created_at: Created;
}

export type InboxKind = 'hl7v2' | 'fhir-bundle' | 'csv-rows' | 'csv-snapshot-end';
export type InboxStatus = 'pending' | 'held' | 'done' | 'failed';

export interface InboxTable {
  id: Generated<number>;
  feed_id: string;
  message_id: string;
  kind: InboxKind;
  content: string;
  units: ColumnType<number, number | undefined, number>;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  status: ColumnType<InboxStatus, InboxStatus | undefined, InboxStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  processed_at: Timestamp | null;
}

export interface DeadLettersTable {
  id: Generated<number>;
  feed_id: string | null;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  kind: string;
  content: string;
  error_code: string;
  error_message: string;
  error_where: Json<Record<string, unknown>>;
  status: ColumnType<'open' | 'replayed' | 'discarded', 'open' | 'replayed' | 'discarded' | undefined, 'open' | 'replayed' | 'discarded'>;
  replayed_at: Timestamp | null;
  replay_result: string | null;
}

export interface PersonsTable {
  id: Generated<string>;
  created_at: Created;
  merged_into: string | null;
}

export type LinkHow = 'nhs-number' | 'probabilistic' | 'manual' | 'merge' | 'new-person' | 'review';

export interface SourceRecordsTable {
  feed_id: string;
  local_id: string;
  person_id: string;
  nhs_number: string | null;
  nhs_number_verified: ColumnType<boolean, boolean | undefined, boolean>;
  demographics: Json<Record<string, unknown>>;
  data_quality: Json<unknown[]>;
  source_version: string;
  link_how: LinkHow;
  link_score: number | null;
  linked_at: ColumnType<Date, Date | string | undefined, Date | string>;
  retired_into: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ResourcesTable {
  id: Generated<string>;
  person_id: string;
  feed_id: string;
  resource_type: string;
  source_id: string;
  source_version: string;
  subject_local_id: string;
  source_org: string;
  resource: Json<Record<string, unknown>>;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
  sensitive_categories: ColumnType<string[], string[] | undefined, string[]>;
  received_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SharedResourcesTable {
  feed_id: string;
  resource_type: string;
  source_id: string;
  source_version: string;
  source_org: string;
  resource: Json<Record<string, unknown>>;
  deleted: ColumnType<boolean, boolean | undefined, boolean>;
  received_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ServerSecretsTable {
  name: string;
  value: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface Tables {
  server_secrets: ServerSecretsTable;
  shared_resources: SharedResourcesTable;
  schema_migrations: SchemaMigrationsTable;
  organisations: OrganisationsTable;
  feeds: FeedsTable;
  inbox: InboxTable;
  dead_letters: DeadLettersTable;
  persons: PersonsTable;
  source_records: SourceRecordsTable;
  resources: ResourcesTable;
}

export type { Generated };
