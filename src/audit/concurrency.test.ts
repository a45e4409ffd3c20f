import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { appendAuditMany } from './log.ts';
import { verifyStoredAudit } from './verifyStored.ts';
import { draftFor, testSettings } from './testSupport.ts';

const settings = testSettings(7);

async function seqs(t: TestDatabase): Promise<number[]> {
  const r = await sql<{ seq: number }>`select seq from audit_events order by seq`.execute(t.db);
  return r.rows.map((x) => Number(x.seq));
}

/** Many request transactions at once, each reading then appending 1 to 3 events. */
async function burst(t: TestDatabase, n: number, tag: string): Promise<number> {
  const sizes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      transaction(t.db, async (trx) => {
        await trx.selectFrom('organisations').select('ods_code').limit(1).execute();
        const drafts = Array.from({ length: 1 + (i % 3) }, (_, j) => ({ ...draftFor('search', new Date(Date.UTC(2025, 2, 1) + i).toISOString()), details: { tag, i, j } }));
        await appendAuditMany(trx, drafts, { settings });
        return drafts.length;
      }),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

describe.each(testEngines())('concurrent appends on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  it('keeps one gapless valid chain when many transactions append at once', async () => {
    const appended = await burst(t, 80, 'one-process');
    const all = await seqs(t);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    // Every 7th seq boundary crossed adds one checkpoint event.
    expect(all.length).toBeGreaterThan(appended);
    const r = await verifyStoredAudit(t.db);
    expect(r).toMatchObject({ ok: true, count: all.length });
    if (r.ok) expect(r.checkpoints).toBe(all.length - appended);
  });
});

const appender = fileURLToPath(new URL('./testAppender.ts', import.meta.url));

function runAppender(url: string, schema: string, n: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', appender, url, schema, String(n), name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`appender ${name} exited ${code}: ${err.slice(0, 500)}`))));
  });
}

// Only where a PostgreSQL server is configured: the embedded engine belongs to one process by design.
describe.each(testEngines().filter((e) => e === 'postgres'))('several server processes appending on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  it('keeps one gapless valid chain across processes', async () => {
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.db)).rows[0]?.s as string;
    const url = process.env.TEST_DATABASE_URL as string;
    const counts = await Promise.all([
      runAppender(url, schema, 60, 'p1'),
      runAppender(url, schema, 60, 'p2'),
      runAppender(url, schema, 60, 'p3'),
      burst(t, 60, 'parent'),
    ]);
    const appended = counts.reduce((a, b) => a + b, 0);
    expect(appended).toBe(4 * 120);
    const all = await seqs(t);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const byProcess = await sql<{ tag: string; n: number }>`
      select coalesce(details->>'by', details->>'tag') as tag, count(*)::int8 as n from audit_events where action <> 'checkpoint' group by 1 order by 1`.execute(t.db);
    expect(byProcess.rows.map((r) => [r.tag, Number(r.n)])).toEqual([['p1', 120], ['p2', 120], ['p3', 120], ['parent', 120]]);
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: all.length });
  }, 60_000);
});
