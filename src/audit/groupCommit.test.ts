import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { AuditGroupCommit } from './groupCommit.ts';
import { AuditUnavailableError } from './log.ts';
import { verifyStoredAudit } from './verifyStored.ts';
import { draftFor, PERSON_A, tamper, testSettings } from './testSupport.ts';
import type { AuditEventDraft } from './chain/index.ts';

const T0 = Date.UTC(2025, 2, 1, 9);
const view = (i: number): AuditEventDraft => ({ ...draftFor('view', new Date(T0 + i).toISOString()), details: { resources: [`Condition/c-${i}`] } });

describe.each(testEngines())('audit group commit on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  const stored = async () => (await sql<{ seq: number; details: { resources?: string[] } }>`select seq, details from audit_events order by seq`.execute(t.db)).rows;

  it('appends many concurrent reads in fewer transactions, one gapless valid chain, each settled after commit', async () => {
    const writer = new AuditGroupCommit(t.db, { settings: testSettings(25) });
    const txids = new Set<string>();
    // Record which transaction wrote each event: xmin of the inserted row.
    const events = await Promise.all(Array.from({ length: 60 }, (_, i) => writer.append(view(i)).then(async (e) => {
      // Settled only once committed: the event is already visible to any reader.
      const r = await sql<{ xmin: string }>`select xmin::text as xmin from audit_events where seq = ${e.seq}`.execute(t.db);
      expect(r.rows).toHaveLength(1);
      txids.add(r.rows[0]!.xmin);
      return e;
    })));
    expect(new Set(events.map((e) => e.seq)).size).toBe(60);
    // Each caller got its own event back.
    events.forEach((e, i) => expect(e.details).toEqual({ resources: [`Condition/c-${i}`] }));
    // Group commit: the 60 events went in far fewer transactions than 60.
    expect(txids.size).toBeLessThan(10);
    const rows = await stored();
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    // Checkpoints fell due (every 25 events; one a batch however many boundaries it crosses) and were chained in.
    const checkpoints = rows.length - 60;
    expect(checkpoints).toBeGreaterThan(0);
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: rows.length, checkpoints });
  });

  it('a lone read is appended at once, in a transaction of its own', async () => {
    const writer = new AuditGroupCommit(t.db, { settings: testSettings() });
    const before = (await stored()).length;
    const e = await writer.append(view(1000));
    expect(e.seq).toBe(before + 1);
    await writer.idle();
    expect((await stored()).length).toBe(before + 1);
  });

  it('refuses an invalid draft at once without failing the others of its batch', async () => {
    const writer = new AuditGroupCommit(t.db, { settings: testSettings() });
    const bad = { ...view(2000), personId: 'not-a-uuid' };
    const results = await Promise.allSettled([writer.append(view(2001)), writer.append(bad), writer.append(view(2002))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const reason = (results[1] as PromiseRejectedResult).reason as AuditUnavailableError;
    expect(reason).toBeInstanceOf(AuditUnavailableError);
    expect(reason).toMatchObject({ code: 'invalid-event', where: 'drafts[0].personId' });
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true });
  });

  it('when the log cannot be written every caller of the batch is refused and nothing is appended', async () => {
    const writer = new AuditGroupCommit(t.db, { settings: testSettings() });
    const before = (await stored()).length;
    const head = (await sql<{ seq: number; hash: string }>`select seq, hash from audit_chain_head`.execute(t.db)).rows[0]!;
    await tamper(t.db, async (trx) => void (await sql`delete from audit_chain_head`.execute(trx)));
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => writer.append({ ...view(3000 + i), personId: PERSON_A })));
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ name: 'AuditUnavailableError', code: 'write-failed' });
      expect((await stored()).length).toBe(before);
    } finally {
      await tamper(t.db, async (trx) => void (await sql`insert into audit_chain_head (id, seq, hash) values (true, ${head.seq}, ${head.hash})`.execute(trx)));
    }
    // The writer recovers once the log can be written again.
    const e = await writer.append(view(3100));
    expect(e.seq).toBe(before + 1);
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true });
  });
});
