/**
 * Forward-only migrations: plain .sql files named NNNN_name.sql, applied in order at start-up, each
 * in its own transaction. Each applied file's SHA-256 is recorded; an applied migration whose file
 * has since changed is refused, because the database would no longer match what the code expects.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export interface Migration { version: number; name: string; sql: string; checksum: string }

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new MigrationError(`migration file ${file} is not named NNNN_name.sql`);
    const version = Number(m[1]);
    if (seen.has(version)) throw new MigrationError(`two migration files share version ${m[1]}`);
    seen.add(version);
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    return { version, name: m[2]!, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
  });
}

/** Applies what is missing; returns the versions applied now. */
export async function migrate(db: Kysely<Tables>, migrations: Migration[] = loadMigrations()): Promise<number[]> {
  await sql`create table if not exists schema_migrations (
    version integer primary key, name text not null, checksum text not null,
    applied_at timestamptz not null default now())`.execute(db);
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction().execute(async (trx) => {
      // Two processes starting together on one PostgreSQL server: the lock makes the second wait
      // and then find the migration applied.
      await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
      const row = await trx.selectFrom('schema_migrations').selectAll().where('version', '=', m.version).executeTakeFirst();
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${String(m.version).padStart(4, '0')}_${m.name}.sql was changed after it was applied ` +
              `(recorded checksum ${row.checksum.slice(0, 12)}…, file ${m.checksum.slice(0, 12)}…); ` +
              'migrations are forward-only: restore the file and put the change in a new migration',
          );
        }
        return false;
      }
      await sql.raw(m.sql).execute(trx);
      await trx.insertInto('schema_migrations').values({ version: m.version, name: m.name, checksum: m.checksum }).execute();
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
