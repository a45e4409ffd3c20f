import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { durabilityWarnings, readDurabilitySettings, type DurabilitySettings } from './durability.ts';
import { transaction } from './db.ts';
import { createTestDatabase } from './testing.ts';

const safe: DurabilitySettings = { fsync: 'on', synchronousCommit: 'on', fullPageWrites: 'on' };

describe('durability of the PostgreSQL server', () => {
  it.each<[string, Partial<DurabilitySettings>, RegExp[]]>([
    ['the defaults', {}, []],
    ['synchronous_commit local (still flushed here)', { synchronousCommit: 'local' }, []],
    ['synchronous_commit remote_write', { synchronousCommit: 'remote_write' }, []],
    ['synchronous_commit remote_apply', { synchronousCommit: 'remote_apply' }, []],
    ['synchronous_commit off', { synchronousCommit: 'off' }, [/synchronous_commit = off.*acknowledged messages/]],
    ['fsync off', { fsync: 'off' }, [/fsync = off.*lose or corrupt/]],
    ['full_page_writes off', { fullPageWrites: 'off' }, [/full_page_writes = off.*torn pages/]],
    ['all three off', { fsync: 'off', synchronousCommit: 'off', fullPageWrites: 'off' }, [/fsync/, /synchronous_commit/, /full_page_writes/]],
  ])('%s', (_, change, expected) => {
    const warnings = durabilityWarnings({ ...safe, ...change });
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(warnings[i]).toMatch(pattern));
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('reads the settings as the server\'s connections see them (PostgreSQL)', async () => {
    const t = await createTestDatabase('postgres', { migrate: false });
    try {
      // A setting made for the connection (as a role or database setting would be) is what counts.
      const seen = (value: string) => transaction(t.db, async (trx) => {
        await sql`select set_config('synchronous_commit', ${value}, true)`.execute(trx);
        return readDurabilitySettings(trx);
      });
      const off = await seen('off');
      expect(off.synchronousCommit).toBe('off');
      expect(durabilityWarnings(off).some((w) => w.includes('synchronous_commit = off'))).toBe(true);
      const local = await seen('local');
      expect(local.synchronousCommit).toBe('local');
      expect(durabilityWarnings(local).some((w) => w.includes('synchronous_commit'))).toBe(false);
      // The server-wide two, as PostgreSQL itself reports them.
      const r = await sql<{ name: string; setting: string }>`select name, setting from pg_settings where name in ('fsync', 'full_page_writes')`.execute(t.db);
      const server = Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
      expect(local).toMatchObject({ fsync: server.fsync, fullPageWrites: server.full_page_writes });
    } finally {
      await t.dispose();
    }
  });
});
