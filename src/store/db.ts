/**
 * Opens the one SQL dialect on one of two engines: a PostgreSQL server (DATABASE_URL) through pg,
 * or embedded PGlite in a folder. Both return dates as YYYY-MM-DD strings, bigints as numbers and
 * timestamps as Date, so code above never needs to know which engine it runs on.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pgliteDialect.ts';
import { migrate } from './migrate.ts';
import { nameRepeatedStatements } from './preparedStatements.ts';
import type { Tables } from './tables.ts';

export type Engine = 'pglite' | 'postgres';

export interface Database {
  readonly engine: Engine;
  readonly db: Kysely<Tables>;
  close(): Promise<void>;
}

const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8) return (v: string) => Number(v);
      if (oid === DATE) return (v: string) => v;
      if (oid === NUMERIC) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export interface PostgresOptions {
  url: string;
  poolSize?: number;
  /** Tests give each run its own schema so runs cannot see each other's data. */
  schema?: string;
}

export async function openPostgres(opts: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    types: pgTypes(),
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Repeated statements are prepared once per connection: planning them again cost PostgreSQL more than running them.
  pool.on('connect', (client) => nameRepeatedStatements(client));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  await sql`select 1`.execute(db);
  return { engine: 'postgres', db, close: () => db.destroy() };
}

/** `dir` null: an in-memory database (tests). */
export async function openPGlite(dir: string | null): Promise<Database> {
  let dataDir = 'memory://';
  if (dir !== null) {
    mkdirSync(dir, { recursive: true });
    dataDir = path.join(dir, 'pgdata');
  }
  const pglite = await PGlite.create(dataDir, {
    parsers: {
      [pgliteTypes.INT8]: (v: string) => Number(v),
      [pgliteTypes.DATE]: (v: string) => v,
      [pgliteTypes.NUMERIC]: (v: string) => Number(v),
    },
  });
  const db = new Kysely<Tables>({ dialect: new PGliteDialect(pglite) });
  return { engine: 'pglite', db, close: () => db.destroy() };
}

/** Opens and brings the schema up to date. */
export async function openMigrated(open: () => Promise<Database>): Promise<Database> {
  const database = await open();
  try {
    await migrate(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** Serialisation failures and deadlocks are worth one more try; anything else is a real error. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/**
 * Runs `work` in one transaction, retrying it whole on a serialisation failure or deadlock.
 * Inside, use only `trx`: on the embedded engine the outer handle waits for this very transaction.
 */
export async function transaction<T>(
  db: Kysely<Tables>,
  work: (trx: Kysely<Tables>) => Promise<T>,
  opts: { retries?: number; isolation?: 'read committed' | 'repeatable read' | 'serializable' } = {},
): Promise<T> {
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      const builder = opts.isolation ? db.transaction().setIsolationLevel(opts.isolation) : db.transaction();
      return await builder.execute(work);
    } catch (err) {
      if (attempt >= retries || !isRetryable(err)) throw err;
    }
  }
}
