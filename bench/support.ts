/** Shared pieces of the benchmarks: engines to run on, fresh databases, percentiles, tables, JSON. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMigrated, openPGlite, openPostgres, type Database, type Engine } from '../src/store/db.ts';

export function benchEngines(only?: string): Engine[] {
  const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const all: Engine[] = url ? ['postgres', 'pglite'] : ['pglite'];
  return only ? all.filter((e) => e === only) : all;
}

/**
 * How a PostgreSQL URL reaches the server: through a Unix socket (a `host` that is a directory,
 * as `postgres:///ohc?host=/var/run/postgresql`) or over TCP. Results name it so that runs are
 * compared like with like (a bare statement costs less CPU through the socket).
 */
export function transportOf(url: string): 'Unix socket' | 'TCP' {
  let host: string;
  try {
    const u = new URL(url);
    host = u.searchParams.get('host') ?? u.hostname;
  } catch {
    // pg accepts some URLs the URL parser does not (`postgres://user@/db?host=/run/postgresql`).
    host = /[?&]host=([^&]*)/.exec(url)?.[1] ?? '';
  }
  return decodeURIComponent(host).startsWith('/') ? 'Unix socket' : 'TCP';
}

/** A fresh migrated database: an on-disk PGlite folder (durability is part of the cost) or a new schema. */
export async function freshDatabase(engine: Engine): Promise<{ database: Database; dispose(): Promise<void>; describe: string }> {
  if (engine === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'ohc-bench-'));
    const database = await openMigrated(() => openPGlite(dir));
    return { database, describe: 'PGlite (on disk)', dispose: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const url = (process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL)!;
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`create schema ${schema}`);
  const version = (await c.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '';
  await c.end();
  const database = await openMigrated(() => openPostgres({ url, schema, poolSize: 20 }));
  return {
    database, describe: `PostgreSQL ${version} (${transportOf(url)})`,
    dispose: async () => {
      await database.close();
      const d = new pg.Client({ connectionString: url });
      await d.connect();
      await d.query(`drop schema ${schema} cascade`);
      await d.end();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function printTable(title: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(cols)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map((r) => line(cols.map((c) => cell(r[c])))).join('\n')}\n`);
}

export function writeResult(name: string, result: unknown): string {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file.pathname;
}

export function machine(): { node: string; cpus: number; loadAverage: number } {
  return { node: process.version, cpus: availableParallelism(), loadAverage: loadavg()[0] ?? 0 };
}

/**
 * User and system CPU of a PostgreSQL process in clock ticks (100 a second on Linux), with its
 * exited children's when asked; null when /proc does not show it as a postgres process (gone, or
 * a server on another machine, whose pids mean nothing here).
 */
function postgresTicks(pid: string | number, withChildren: boolean): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  if (!stat.startsWith(`${pid} (postgres)`)) return null;
  // After the command: utime, stime, cutime and cstime are the 12th to 15th fields.
  const f = stat.slice(stat.indexOf(') ') + 2).split(' ').map(Number);
  return f[11]! + f[12]! + (withChildren ? f[13]! + f[14]! : 0);
}

/** CPU used so far by these PostgreSQL backends in ms, or null when any is not one (see postgresTicks). */
export function backendsCpuMs(pids: readonly number[]): number | null {
  let ticks = 0;
  for (const pid of pids) {
    const t = postgresTicks(pid, false);
    if (t === null) return null;
    ticks += t;
  }
  return ticks * 10;
}

/**
 * CPU used so far by every PostgreSQL process on this machine, in ms: backends, the WAL writer
 * and checkpointer (writes cost there too), and, through the postmaster's children's time,
 * backends that have since exited. Null when /proc shows no PostgreSQL (a server elsewhere). It
 * counts everything PostgreSQL does, so it means something only on an otherwise quiet machine.
 */
export function postgresCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  let seen = false;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    const t = postgresTicks(pid, true);
    if (t === null) continue;
    seen = true;
    ticks += t;
  }
  return seen ? ticks * 10 : null;
}
