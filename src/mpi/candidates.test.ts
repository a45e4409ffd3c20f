/**
 * The pieces of the batch path that moved into SQL to spare the worker's CPU: the candidate query
 * (one row per candidate with the keys it was found under; block counts only near the limit), the
 * placeholder prepared form built in SQL, and JSON values sent as one jsonb array.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { blockingKeys, DEFAULT_POLICY, prepareRecord } from './match/index.ts';
import { candidatesForBatch, placeholderSql } from './link.ts';
import { jsonArray } from './resolve.ts';

const LIMIT = DEFAULT_POLICY.maxBlockSize;

describe.each(testEngines())('batch candidates on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('builds the placeholder prepared form prepareRecord gives a local id alone', async () => {
    const cases: [string, string][] = [['rje-pas', 'RJE0000001'], ['gp-a81001', "o'brien \"x\" \\ y"], ['council-sc', '']];
    for (const [feedId, localId] of cases) {
      const r = await sql<{ p: unknown }>`select ${placeholderSql} as p from (select ${feedId}::text as feed_id, ${localId}::text as local_id) as x`.execute(db.db);
      expect(r.rows[0]!.p).toEqual(JSON.parse(JSON.stringify(prepareRecord({ feedId, localId, demographics: { localId } }))));
    }
  });

  it('sends JSON texts as one jsonb array, element for element', async () => {
    const texts = [JSON.stringify({ a: 'x"y\\z', b: [1, null] }), '[]', JSON.stringify({ family: 'Ó Briain', given: ['Seán'] })];
    const r = await sql<{ v: unknown }>`select ${jsonArray(texts)}::jsonb -> (n - 1)::int as v from generate_series(1, 3) as n order by n`.execute(db.db);
    expect(r.rows.map((x) => x.v)).toEqual(texts.map((t) => JSON.parse(t) as unknown));
    expect(jsonArray([])).toBe('[]');
    expect(jsonArray(undefined)).toBe('[]');
  });

  it('returns each candidate once with the keys it was found under, and counts only blocks near the limit', async () => {
    const rec = (localId: string, family: string, postcode: string) =>
      prepareRecord({ feedId: 'f', localId, demographics: { localId, family, given: ['Ann'], birthDate: '1950-03-04', postcode } });
    const filed = [rec('1', 'Smith', 'LS1 4AP'), rec('2', 'Jones', 'LS1 4AP'), rec('3', 'Brown', 'M1 1AA')];
    const probe = rec('9', 'Smith', 'LS1 4AP');
    await transaction(db.db, async (trx) => {
      for (const [i, p] of filed.entries()) {
        const id = 1_000_000 + i;
        await sql`insert into mpi_records (id, feed_id, local_id, prepared, digest) values (${id}, 'f', ${p.localId}, ${JSON.stringify(p)}::jsonb, 'd')`.execute(trx);
        await sql`insert into mpi_blocking_keys (key, record_id) select unnest(${blockingKeys(p)}::text[]), ${id}`.execute(trx);
      }
      // A block of exactly the limit: usable, and its count is sent only when the batch could tip it over.
      await sql`insert into mpi_blocking_keys (key, record_id) select 'em:crowded', g from generate_series(2000001, ${2_000_000 + LIMIT}) as g`.execute(trx);
      const keys = [...new Set([...blockingKeys(probe), 'em:crowded'])];
      const tight = await candidatesForBatch(trx, keys, 0);
      const expectShared = (p: ReturnType<typeof rec>): string[] => blockingKeys(p).filter((k) => keys.includes(k)).sort();
      const byLocal = new Map(tight.candidates.map((c) => [c.prepared.localId, c]));
      // 3 shares only the date of birth (a bounded key): still a candidate.
      expect([...byLocal.keys()].sort()).toEqual(['1', '2', '3']);
      for (const p of filed) expect([...byLocal.get(p.localId)!.keys].sort()).toEqual(expectShared(p));
      expect(byLocal.get('1')!.prepared).toEqual(JSON.parse(JSON.stringify(filed[0])));
      expect(tight.candidates.map((c) => c.id)).toEqual([1_000_000, 1_000_001, 1_000_002]);
      expect([...tight.counts]).toEqual([]);
      const slack = await candidatesForBatch(trx, keys, 1);
      expect([...slack.counts]).toEqual([['em:crowded', LIMIT]]);
      expect(slack.candidates.map((c) => c.id)).toEqual(tight.candidates.map((c) => c.id));
      throw new Error('rolled back');
    }).catch((e: unknown) => {
      if (!(e instanceof Error) || e.message !== 'rolled back') throw e;
    });
  });
});
