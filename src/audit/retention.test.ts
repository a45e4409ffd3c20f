import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { verifyCheckpoint } from './chain/index.ts';
import { appendAuditMany } from './log.ts';
import { ensureAuditPartitions, listAuditPartitions } from './partitions.ts';
import { queryAudit } from './query.ts';
import { AuditPurgeError, purgeAudit, retentionCutoff } from './retention.ts';
import { verifyStoredAudit } from './verifyStored.ts';
import { draftFor, tamper, TEST_KEYS, testSettings } from './testSupport.ts';

const settings = testSettings(0, 300);
const NOW = new Date('2026-01-01T00:00:00.000Z');
const days = (month: number, n: number) => Array.from({ length: n }, (_, i) => draftFor('view', new Date(Date.UTC(2025, month, 1 + i, 10)).toISOString()));

describe.each(testEngines())('retention and partitions on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    expect(await ensureAuditPartitions(t.db, { now: new Date('2025-01-20T00:00:00.000Z'), monthsAhead: 2 })).toBe(3);
  });
  afterAll(async () => t.dispose());

  const partitionOf = async (seq: number) =>
    (await sql<{ p: string }>`select tableoid::regclass::text as p from audit_events where seq = ${seq}`.execute(t.db)).rows[0]?.p;

  it('files events by month, and moves rows the default partition caught when their month is created', async () => {
    await transaction(t.db, (trx) => appendAuditMany(trx, [...days(0, 10), ...days(1, 10), ...days(2, 10), ...days(4, 3)], { settings }));
    expect(await partitionOf(1)).toBe('audit_events_y2025m01');
    expect(await partitionOf(11)).toBe('audit_events_y2025m02');
    expect(await partitionOf(31)).toBe('audit_events_default');
    expect(await ensureAuditPartitions(t.db, { now: new Date('2025-05-31T00:00:00.000Z'), monthsAhead: 0 })).toBe(1);
    expect(await partitionOf(31)).toBe('audit_events_y2025m05');
    expect(await ensureAuditPartitions(t.db, { now: new Date('2025-05-31T00:00:00.000Z'), monthsAhead: 0 })).toBe(0);
    const names = (await listAuditPartitions(t.db)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['audit_events_default', 'audit_events_y2025m01', 'audit_events_y2025m05']));
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 33 });
  });

  it('refuses a cut-off inside the retention period', async () => {
    expect(retentionCutoff(NOW, 300).toISOString()).toBe('2025-03-07T00:00:00.000Z');
    await expect(purgeAudit(t.db, { before: new Date('2025-04-01T00:00:00.000Z'), now: NOW, settings })).rejects.toBeInstanceOf(AuditPurgeError);
  });

  it('purges the old prefix, drops whole months, leaves a signed boundary, audits itself, and still verifies', async () => {
    const r = await purgeAudit(t.db, { before: new Date('2025-02-15T00:00:00.000Z'), now: NOW, settings });
    expect(r).toMatchObject({ purgedThroughSeq: 20, purged: 20, droppedPartitions: ['audit_events_y2025m01'] });
    expect(r.boundary).toMatchObject({ seq: 20, keyId: TEST_KEYS.keyId });
    expect(verifyCheckpoint(r.boundary, { [TEST_KEYS.keyId]: TEST_KEYS.publicKeyPem })).toEqual({ ok: true });
    expect(r.event).toMatchObject({ seq: 34, action: 'audit-purged', details: { purged: 20, purgedThroughSeq: 20 } });
    const kept = (await queryAudit(t.db, { limit: 100, order: 'oldest-first' })).events;
    expect(kept.map((e) => e.seq)).toEqual(Array.from({ length: 14 }, (_, i) => 21 + i));
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 14, startAfterSeq: 20, lastSeq: 34 });
  });

  it('records a run with nothing old enough, purging nothing', async () => {
    const r = await purgeAudit(t.db, { before: new Date('2025-02-15T00:00:00.000Z'), now: NOW, settings });
    expect(r).toMatchObject({ purgedThroughSeq: 20, purged: 0, boundary: null, droppedPartitions: [] });
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 15, startAfterSeq: 20 });
  });

  it('still finds tampering after a purge: the first kept event removed', async () => {
    await sql`create table kept_backup as select * from audit_events where seq = 21`.execute(t.db);
    await tamper(t.db, async (trx) => void (await sql`delete from audit_events where seq = 21`.execute(trx)));
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: false, firstBad: { seq: 21, problem: 'deleted' } });
    await tamper(t.db, async (trx) => void (await sql`insert into audit_events select * from kept_backup`.execute(trx)));
    expect((await verifyStoredAudit(t.db)).ok).toBe(true);
  });

  it('purges everything old, the chain continuing from the boundary', async () => {
    const later = new Date('2027-01-01T00:00:00.000Z');
    const r = await purgeAudit(t.db, { before: new Date('2026-12-01T00:00:00.000Z'), now: later, settings: { ...settings, retentionDays: 30 } });
    expect(r).toMatchObject({ purgedThroughSeq: 35, purged: 15 });
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 1, startAfterSeq: 35, lastSeq: 36 });
  });
});
