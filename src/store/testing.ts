/**
 * Databases for tests: always embedded PGlite (in memory), and PostgreSQL too when
 * TEST_DATABASE_URL is set, each in a fresh schema so parallel runs cannot see each other's data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMigrated, openPGlite, openPostgres, type Database, type Engine } from './db.ts';

export interface TestDatabase extends Database {
  /** Drops the schema (PostgreSQL) and closes. */
  dispose(): Promise<void>;
}

/** The engines the suite runs on here: `describe.each(testEngines())`. */
export function testEngines(): Engine[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export async function createTestDatabase(engine: Engine, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const doMigrate = opts.migrate ?? true;
  if (engine === 'pglite') {
    const database = doMigrate ? await openMigrated(() => openPGlite(null)) : await openPGlite(null);
    return { ...database, dispose: () => database.close() };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set; PostgreSQL tests need it');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const open = () => openPostgres({ url, schema, poolSize: 5 });
  const database = doMigrate ? await openMigrated(open) : await open();
  return {
    ...database,
    async dispose() {
      await database.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
