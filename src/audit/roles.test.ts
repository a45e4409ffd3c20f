import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { appendAudit } from './log.ts';
import { auditAppRoleSql } from './roles.ts';
import { draftFor, testSettings } from './testSupport.ts';

describe('the application role SQL', () => {
  it('grants append and read, never change', () => {
    const text = auditAppRoleSql('ohc_app', 'ohc');
    expect(text).toContain('grant select, insert on "ohc".audit_events, "ohc".audit_checkpoints, "ohc".audit_keys to "ohc_app";');
    expect(text).not.toMatch(/grant[^;]*(delete|truncate)/);
    expect(() => auditAppRoleSql('app; drop table x')).toThrow(/plain SQL identifier/);
  });
});

// Roles belong to a PostgreSQL server; the embedded engine runs as its one superuser.
describe.each(testEngines().filter((e) => e === 'postgres'))('the application role on %s', (engine) => {
  let t: TestDatabase;
  const role = `ohc_app_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.db)).rows[0]?.s as string;
    await sql.raw(`create role ${role}`).execute(t.db);
    await sql.raw(auditAppRoleSql(role, schema)).execute(t.db);
  });
  afterAll(async () => {
    await sql.raw(`drop owned by ${role}; drop role ${role}`).execute(t.db);
    await t.dispose();
  });

  const asApp = <T>(work: Parameters<typeof transaction<T>>[1]) =>
    transaction(t.db, async (trx) => {
      await sql.raw(`set local role ${role}`).execute(trx);
      return work(trx);
    });

  it('can append and read', async () => {
    const e = await asApp((trx) => appendAudit(trx, draftFor('view', '2025-01-01T00:00:00.000Z'), { settings: { ...testSettings(), checkpointEvery: 0 } }));
    expect(e.seq).toBe(1);
    expect(await asApp((trx) => trx.selectFrom('audit_events').select('seq').execute())).toEqual([{ seq: 1 }]);
  });

  it.each([
    ['update', `update audit_events set outcome = 'denied'`],
    ['delete under the purge setting', `select set_config('ohc.audit_purge', 'on', true); delete from audit_events`],
    ['truncate', `truncate audit_events`],
    ['disable the trigger', `alter table audit_events disable trigger user`],
  ])('cannot %s (no privilege)', async (_name, statement) => {
    await expect(asApp((trx) => sql.raw(statement).execute(trx))).rejects.toMatchObject({ code: '42501' });
  });
});
