/**
 * The running system on a PostgreSQL server whose settings would lose acknowledged messages in a
 * crash: it starts (an operator may have reasons) and says so once, naming the setting.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { loadConfig } from '../config/config.ts';
import { openMigrated, openPostgres } from '../store/db.ts';
import { startSystem } from './start.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('starting on PostgreSQL', () => {
  it('warns when the server\'s connections commit without flushing (synchronous_commit off), and not otherwise', async () => {
    const url = process.env.TEST_DATABASE_URL!;
    const id = randomBytes(6).toString('hex');
    const schema = `t_${id}`;
    // A role of this test's own carries the setting, as an operator's role or database setting would.
    const role = `ohc_nosync_${id}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.query(`create role ${role} login superuser`);
    await admin.query(`alter role ${role} set synchronous_commit = off`);
    const asRole = new URL(url);
    asRole.username = role;
    const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, tmpdir());
    const startAndLog = async (connection: string): Promise<string[]> => {
      const lines: string[] = [];
      const database = await openMigrated(() => openPostgres({ url: connection, schema, poolSize: 3 }));
      const system = await startSystem({ config, database, workers: 0, log: (line) => lines.push(line) });
      await system.stop();
      await database.close();
      return lines.filter((l) => l.startsWith('warning:'));
    };
    try {
      // Only this setting is asserted: fsync and full_page_writes are the test server's own business.
      const aboutCommits = (lines: string[]) => lines.filter((l) => l.includes('synchronous_commit'));
      const warned = aboutCommits(await startAndLog(asRole.toString()));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/^warning: PostgreSQL runs with synchronous_commit = off/);
      expect(aboutCommits(await startAndLog(url))).toEqual([]);
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  });
});
