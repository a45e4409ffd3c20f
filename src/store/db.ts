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

/**
 * LISTEN on a channel of the database `db` was opened on (src/access/userCache.ts). `onLost` is
 * called at most once, when the subscription stops hearing (its connection failed); the caller
 * listens again. Subscriptions still open are closed with the database.
 */
export type Listen = (channel: string, onNotify: (payload: string) => void, onLost: (err: unknown) => void) => Promise<{ close(): Promise<void> }>;

const listeners = new WeakMap<Kysely<Tables>, Listen>();

/** How to LISTEN on the database behind `db`, if it was opened here. */
export function listenerOf(db: Kysely<Tables>): Listen | undefined {
  return listeners.get(db);
}

/** How often a PostgreSQL listening connection is checked, so that one silently dead is noticed. */
const LISTEN_CHECK_MS = 5000;

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
  // Each subscription has a client of its own, outside the pool: a pooled connection is lent to
  // others and LISTEN belongs to the session.
  const open = new Set<() => Promise<void>>();
  listeners.set(db, async (channel, onNotify, onLost) => {
    const client = new pg.Client({ connectionString: opts.url, keepAlive: true, application_name: 'ohc listener' });
    let done = false;
    let listening = false;
    const check = setInterval(() => {
      const late = setTimeout(() => lose(new Error('the listening connection stopped answering')), LISTEN_CHECK_MS);
      client.query('select 1').then(() => clearTimeout(late), (err: unknown) => { clearTimeout(late); lose(err); });
    }, LISTEN_CHECK_MS);
    check.unref();
    let ending: Promise<void> | null = null;
    const end = () => (ending ??= (async () => {
      done = true;
      clearInterval(check);
      open.delete(end);
      client.removeAllListeners('notification');
      await client.end().catch(() => undefined);
    })());
    const lose = (err: unknown) => {
      if (done) return;
      void end();
      // Before the LISTEN is in place the failure is thrown to the caller instead.
      if (listening) onLost(err);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('the listening connection ended')));
    client.on('notification', (n) => { if (n.channel === channel) onNotify(n.payload ?? ''); });
    open.add(end);
    try {
      await client.connect();
      await client.query(`listen "${channel.replace(/"/g, '""')}"`);
      listening = true;
    } catch (err) {
      done = true;
      await end();
      throw err;
    }
    return { close: end };
  });
  return {
    engine: 'postgres', db,
    close: async () => {
      await Promise.all([...open].map((end) => end()));
      await db.destroy();
    },
  };
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
  // PGlite's own listen, on its one connection, taken from the driver's queue so that the LISTEN
  // never runs inside someone else's transaction (a rollback would undo it). Notifications arrive
  // as the committing statement returns. Closing the database ends them.
  listeners.set(db, async (channel, onNotify) => {
    const unlisten = await db.connection().execute(() => pglite.listen(channel, onNotify));
    return {
      close: async () => {
        if (pglite.closed) return;
        await db.connection().execute(() => unlisten()).catch(() => undefined);
      },
    };
  });
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
