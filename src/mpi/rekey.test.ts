import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { loadMigrations, migrate } from '../store/migrate.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { blockingKeys, nicknameKey, nysiis, type PreparedRecord } from './match/index.ts';
import { FEEDS, link, registerFixtureFeeds } from './testSupport.ts';

/** The blocks of a name alone, as blocking.ts filed them before migration 0016. */
function oldNameKeys(r: PreparedRecord): string[] {
  const dob = r.birthDate;
  const familyCode = r.family?.code ?? '';
  const first = r.given[0];
  const givenCode = first ? nysiis(nicknameKey(first.key)) : '';
  const pad2 = (n: number): string => String(n).padStart(2, '0');
  const keys: string[] = [];
  if (dob && familyCode !== '') keys.push(`fy:${familyCode}:${dob.year}`);
  if (dob && givenCode !== '') keys.push(`gmd:${givenCode}:${pad2(dob.month)}${pad2(dob.day)}`);
  if (familyCode !== '' && givenCode !== '') keys.push(`nm:${familyCode <= givenCode ? `${familyCode}:${givenCode}` : `${givenCode}:${familyCode}`}`);
  return keys;
}

const records: SourceDemographics[] = [
  { localId: 'r1', family: 'Hughes', given: ['Megan'], birthDate: '1980-03-07', postcode: 'ST4 6QG', phone: '07700 900123' },
  { localId: 'r2', family: 'Megan', given: ['Hughes'], birthDate: '1980-03-07' },
  { localId: 'r3', family: 'Hughes', given: ['Peggy', 'Anne'], birthDate: '1980-07-03', postcode: 'WS11 1AA' },
  { localId: 'r4', family: 'Hughes', birthDate: '1980-03-07' },
  { localId: 'r5', given: ['Megan'], birthDate: '1980-03-07' },
  { localId: 'r6', family: 'Hughes', given: ['Megan'], postcode: 'ST4 6QG' },
  { localId: 'r7', family: "O'Neill-Smith", given: ['Mary Jo'], birthDate: '2001-12-31', nhsNumber: '943 476 5919' },
];

describe.each(testEngines())('migration 0016 (names filed with part of the date of birth) on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine, { migrate: false });
    // Linking today writes mpi_filings (migration 0018), so 0018 comes early here: it changes
    // nothing 0016 re-keys (its backfill finds no keys yet).
    await migrate(db.db, loadMigrations().filter((m) => m.version < 16 || m.version === 18));
    await registerFixtureFeeds(db.db);
  });
  afterAll(async () => db.dispose());

  it('re-keys records filed under the old name blocks exactly as they are filed now', async () => {
    for (const d of records) await link(db.db, FEEDS.acute, d);
    // As they were filed before: the old name blocks instead of the new ones.
    const filed = await sql<{ id: number; prepared: PreparedRecord }>`select id, prepared from mpi_records where digest <> '' order by id`.execute(db.db);
    expect(filed.rows).toHaveLength(records.length);
    await sql`delete from mpi_blocking_keys where key like 'nmy:%' or key like 'nmd:%'`.execute(db.db);
    const old = filed.rows.flatMap((r) => oldNameKeys(r.prepared).map((key) => ({ key, id: Number(r.id) })));
    await sql`insert into mpi_blocking_keys (key, record_id, filed_by, seen_below)
      select u.key, u.id, r.filed_by, r.seen_below from unnest(${old.map((x) => x.key)}::text[], ${old.map((x) => x.id)}::bigint[]) as u(key, id)
      join mpi_records r on r.id = u.id`.execute(db.db);

    // Up to 0016 only: later migrations (of other areas) are not this test's business.
    expect(await migrate(db.db, loadMigrations().filter((m) => m.version <= 16))).toEqual([16]);

    for (const r of filed.rows) {
      const stored = await sql<{ key: string }>`select key from mpi_blocking_keys where record_id = ${r.id}`.execute(db.db);
      expect(stored.rows.map((x) => x.key).sort(), r.prepared.localId).toEqual([...new Set(blockingKeys(r.prepared))].sort());
    }
  });
});
