import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, testEngines, type TestDatabase } from './testing.ts';
import { loadMigrations, migrate, MigrationError } from './migrate.ts';
import { transaction } from './db.ts';

describe.each(testEngines())('storage on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  it('applies every migration once and records its checksum', async () => {
    const rows = await t.db.selectFrom('schema_migrations').selectAll().orderBy('version').execute();
    expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    expect(await migrate(t.db)).toEqual([]);
  });

  it('refuses an applied migration whose file was edited', async () => {
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'f'.repeat(64) } : m));
    await expect(migrate(t.db, edited)).rejects.toThrow(MigrationError);
    await expect(migrate(t.db, edited)).rejects.toThrow(/0001_organisations\.sql was changed after it was applied/);
  });

  it('returns the same value types on both engines', async () => {
    const r = await sql<{ d: string; n: number; ts: Date; j: { a: number[] } }>`
      select date '2024-02-29' as d, 9007199254740991::int8 as n, timestamptz '2024-01-01T10:00:00Z' as ts,
             '{"a":[1,2]}'::jsonb as j`.execute(t.db);
    expect(r.rows[0]).toEqual({ d: '2024-02-29', n: 9007199254740991, ts: new Date('2024-01-01T10:00:00Z'), j: { a: [1, 2] } });
  });

  it('rolls a transaction back whole when it fails, and commits when it succeeds', async () => {
    const org = (ods: string) => ({ ods_code: ods, name: `Org ${ods}`, kind: 'other', synthetic: true });
    await expect(
      transaction(t.db, async (trx) => {
        await trx.insertInto('organisations').values(org('TXA1')).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await transaction(t.db, async (trx) => {
      await trx.insertInto('organisations').values(org('TXB1')).execute();
    });
    const codes = (await t.db.selectFrom('organisations').select('ods_code').where('ods_code', 'like', 'TX%').execute()).map((r) => r.ods_code);
    expect(codes).toEqual(['TXB1']);
  });

  it('keeps concurrent transactions apart', async () => {
    await sql`create table counter_test (id int primary key, n int not null)`.execute(t.db);
    await sql`insert into counter_test values (1, 0)`.execute(t.db);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        transaction(t.db, async (trx) => {
          const row = await sql<{ n: number }>`select n from counter_test where id = 1 for update`.execute(trx);
          await sql`update counter_test set n = ${row.rows[0]!.n + 1} where id = 1`.execute(trx);
        }),
      ),
    );
    const r = await sql<{ n: number }>`select n from counter_test where id = 1`.execute(t.db);
    expect(r.rows[0]!.n).toBe(20);
  });

  it('enforces the registry constraints in SQL as well', async () => {
    await expect(
      t.db.insertInto('organisations').values({ ods_code: 'bad code', name: 'x', kind: 'other', synthetic: false }).execute(),
    ).rejects.toThrow();
    await expect(
      t.db.insertInto('organisations').values({ ods_code: 'KND1', name: 'x', kind: 'spaceship', synthetic: false }).execute(),
    ).rejects.toThrow();
  });
});

describe('migration files', () => {
  it('are refused when not named NNNN_name.sql or when versions repeat', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ohc-mig-'));
    writeFileSync(path.join(dir, '0001_a.sql'), 'select 1;');
    writeFileSync(path.join(dir, '0001_b.sql'), 'select 1;');
    expect(() => loadMigrations(dir)).toThrow(/share version 0001/);
    const dir2 = mkdtempSync(path.join(tmpdir(), 'ohc-mig-'));
    writeFileSync(path.join(dir2, 'first.sql'), 'select 1;');
    expect(() => loadMigrations(dir2)).toThrow(/not named NNNN_name.sql/);
  });
});
