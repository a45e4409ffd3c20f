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

export interface Tables {
  schema_migrations: SchemaMigrationsTable;
  organisations: OrganisationsTable;
}

export type { Generated };
