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

// ---- access: users, sessions, declared relationships, objections, restrictions (0005_access.sql) ----

export type UserStatus = 'active' | 'suspended';

export interface UsersTable {
  id: Generated<string>;
  username: string;
  name: string;
  organisation_ods: string;
  role: string;
  registration_body: string | null;
  registration_number: string | null;
  training_valid_until: string | null;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  system_wide_ig: ColumnType<boolean, boolean | undefined, boolean>;
  password_hash: string | null;
  totp_secret: string | null;
  totp_last_step: number | null;
  failed_attempts: ColumnType<number, number | undefined, number>;
  last_failed_at: Timestamp | null;
  locked_until: Timestamp | null;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  last_sign_in_at: Timestamp | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type SessionEndReason = 'signed-out' | 'idle' | 'expired' | 'user-suspended';

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  mfa_satisfied: boolean;
  method: 'password' | 'oidc';
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  end_reason: SessionEndReason | null;
}

export type DeclarationReviewStatus = 'pending' | 'appropriate' | 'revoked';

export interface RelationshipDeclarationsTable {
  id: Generated<number>;
  person_id: string;
  user_id: string;
  organisation_ods: string;
  reason: string;
  detail: string;
  declared_at: Timestamp;
  expires_at: Timestamp;
  review_status: ColumnType<DeclarationReviewStatus, DeclarationReviewStatus | undefined, DeclarationReviewStatus>;
  reviewed_by: string | null;
  reviewed_at: Timestamp | null;
  review_note: string | null;
  revoked_at: Timestamp | null;
}

export interface ObjectionEventsTable {
  id: Generated<number>;
  nhs_number: string;
  action: 'recorded' | 'withdrawn';
  channel: 'pals' | 'gp';
  by_user_id: string;
  organisation_ods: string;
  at: Timestamp;
  person_id: string | null;
}

export interface ObjectionsTable {
  nhs_number: string;
  recorded_at: Timestamp;
  event_id: number;
}

export interface RestrictionsTable {
  id: Generated<number>;
  person_id: string;
  scope: 'whole-record' | 'entry';
  entry_id: string | null;
  reason: string;
  valid_from: string;
  valid_to: string | null;
  recorded_by: string;
  recorded_at: Timestamp;
  lifted_by: string | null;
  lifted_at: Timestamp | null;
  lift_reason: string | null;
}

export interface AccessTables {
  users: UsersTable;
  sessions: SessionsTable;
  relationship_declarations: RelationshipDeclarationsTable;
  objection_events: ObjectionEventsTable;
  objections: ObjectionsTable;
  restrictions: RestrictionsTable;
}

// ---- end access ----

// ---- audit: the hash-chained audit log (0004_audit.sql, owned by src/audit/) ----

/** One event of the audit log (partitioned by month of `time`); append-only. */
export interface AuditEventsTable {
  seq: number;
  time: Timestamp;
  actor_kind: string;
  actor_id: string;
  actor_org: string | null;
  actor_role: string | null;
  action: string;
  person_id: string | null;
  purpose: string | null;
  outcome: string;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

/** The single row saying where the chain stands; appenders lock it. */
export interface AuditChainHeadTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  seq: number;
  hash: string;
}

export interface AuditCheckpointsTable {
  id: Generated<number>;
  kind: 'periodic' | 'purge-boundary' | 'on-demand';
  seq: number;
  hash: string;
  time: Timestamp;
  key_id: string;
  signature: string;
  recorded_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface AuditKeysTable {
  key_id: string;
  public_key_pem: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_keys: AuditKeysTable;
}

// ---- end audit ----

// ---- master patient index (0006_mpi.sql, owned by src/mpi/) ----

export interface MpiRecordsTable {
  id: Generated<number>;
  feed_id: string;
  local_id: string;
  prepared: Json<Record<string, unknown>>;
  digest: ColumnType<string, string | undefined, string>;
  gp_registration: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface MpiBlockingKeysTable {
  key: string;
  record_id: number;
}

export interface MpiPairsTable {
  id: Generated<number>;
  a: number;
  b: number;
  kind: 'nhs-number' | 'link' | 'review';
  score: number;
  /** Written as a PostgreSQL array literal, read as numbers. */
  levels: ColumnType<number[], string, string>;
  reason: string | null;
}

export interface MpiMustLinksTable {
  a: number;
  b: number;
  how: 'manual' | 'merge';
  created_at: ColumnType<Date, Date | string | undefined, never>;
  created_by: string;
}

export interface MpiSeparationsTable {
  id: Generated<number>;
  a: ColumnType<number[], string, string>;
  b: ColumnType<number[], string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  created_by: string;
}

export interface MpiMergesTable {
  id: Generated<number>;
  survivor_person: string;
  retired_person: string;
  survivor_records: ColumnType<number[], string, string>;
  retired_records: ColumnType<number[], string, string>;
  link_a: number;
  link_b: number;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  created_by: string;
  undone_at: Timestamp | null;
  undone_by: string | null;
}

export interface MpiParametersTable {
  id: Generated<number>;
  digest: string;
  parameters: Json<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface MpiLinkEventsTable {
  id: Generated<number>;
  feed_id: string;
  local_id: string;
  from_person: string | null;
  to_person: string;
  how: string;
  score: number | null;
  at: Timestamp;
  actor: string;
}

export interface MpiRecheckTable {
  record_id: number;
}

export interface MpiTables {
  mpi_records: MpiRecordsTable;
  mpi_blocking_keys: MpiBlockingKeysTable;
  mpi_pairs: MpiPairsTable;
  mpi_must_links: MpiMustLinksTable;
  mpi_separations: MpiSeparationsTable;
  mpi_merges: MpiMergesTable;
  mpi_parameters: MpiParametersTable;
  mpi_link_events: MpiLinkEventsTable;
  mpi_recheck: MpiRecheckTable;
}

// ---- end master patient index ----

// ---- rights requests (0007_rights.sql, owned by src/rights/) ----

export type RightsCaseKindColumn = 'access' | 'rectification' | 'restriction' | 'objection' | 'complaint';

export interface RightsCasesTable {
  id: Generated<string>;
  reference: Generated<number>;
  kind: RightsCaseKindColumn;
  nhs_number: string;
  person_id: string | null;
  description: string;
  /** YYYY-MM-DD on both engines. */
  received_on: string;
  channel: 'pals' | 'gp';
  logged_by: string;
  logged_by_org: string;
  logged_at: Timestamp;
}

export interface RightsCasePartsTable {
  id: Generated<number>;
  case_id: string;
  organisation_ods: string;
  basis: 'holds-data' | 'no-data-held';
  status: ColumnType<'open' | 'done', 'open' | 'done' | undefined, 'open' | 'done'>;
  extension_months: ColumnType<number, number | undefined, number>;
  extension_reason: string | null;
  completed_at: Timestamp | null;
  completed_by: string | null;
  outcome_note: string | null;
}

export interface RightsCaseEventsTable {
  id: Generated<number>;
  case_id: string;
  part_id: number | null;
  action: 'logged' | 'routed' | 'extended' | 'completed' | 'exported' | 'restricted' | 'lifted';
  by_user_id: string;
  organisation_ods: string;
  at: Timestamp;
  note: string | null;
}

export interface RightsTables {
  rights_cases: RightsCasesTable;
  rights_case_parts: RightsCasePartsTable;
  rights_case_events: RightsCaseEventsTable;
}

// ---- end rights requests ----

export interface Tables extends AccessTables, AuditTables, MpiTables, RightsTables {
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
