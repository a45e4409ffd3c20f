import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import type { Tables } from '../store/tables.ts';
import { chainMany, checkpointKeysFromSeed, signCheckpoint, type AuditEvent, type ChainProblem } from './chain/index.ts';
import { appendAuditMany, checkpointNow, writeEvents } from './log.ts';
import { queryAudit } from './query.ts';
import { readCheckpoints, verifyStoredAudit } from './verifyStored.ts';
import { draftFor, oneOfEach, tamper, TEST_KEYS, testSettings } from './testSupport.ts';

const settings = testSettings();
const PAGE = 4; // small pages, so every case also crosses page boundaries

async function allEvents(db: Kysely<Tables>): Promise<AuditEvent[]> {
  return (await queryAudit(db, { limit: 1000, order: 'oldest-first' })).events;
}

type Case = [string, (trx: Kysely<Tables>, log: AuditEvent[]) => Promise<void>, number, ChainProblem];

const cases: Case[] = [
  ['an edited detail', async (trx) => void (await sql`update audit_events set details = '{"resources":["Condition/other"]}' where seq = 5`.execute(trx)), 5, 'edited'],
  ['an edited actor', async (trx) => void (await sql`update audit_events set actor_id = 'u-someone-else' where seq = 7`.execute(trx)), 7, 'edited'],
  ['an edited time', async (trx) => void (await sql`update audit_events set time = time + interval '1 hour' where seq = 3`.execute(trx)), 3, 'edited'],
  ['a removed person', async (trx) => void (await sql`update audit_events set person_id = null where seq = 6`.execute(trx)), 6, 'edited'],
  ['an edited outcome on the last event', async (trx) => void (await sql`update audit_events set outcome = 'denied' where seq = 25`.execute(trx)), 25, 'edited'],
  ['a deleted event', async (trx) => void (await sql`delete from audit_events where seq = 8`.execute(trx)), 8, 'deleted'],
  ['deleted events spanning several pages', async (trx) => void (await sql`delete from audit_events where seq between 5 and 17`.execute(trx)), 5, 'deleted'],
  ['deleted events with the rest renumbered', async (trx) => {
    await sql`delete from audit_events where seq in (8, 9)`.execute(trx);
    await sql`update audit_events set seq = seq - 2 where seq > 9`.execute(trx);
  }, 8, 'deleted'],
  ['an inserted event beside a genuine one', async (trx, log) => {
    const forged = chainMany(log[7] as AuditEvent, [draftFor('view', '2025-01-15T09:00:08.500Z')]);
    await insertRaw(trx, forged);
  }, 9, 'inserted'],
  ['two events with their seqs swapped', async (trx) => {
    await sql`update audit_events set seq = -1 where seq = 12`.execute(trx);
    await sql`update audit_events set seq = 12 where seq = 13`.execute(trx);
    await sql`update audit_events set seq = 13 where seq = -1`.execute(trx);
  }, 12, 'reordered'],
  ['a cut tail (head left)', async (trx) => void (await sql`delete from audit_events where seq >= 23`.execute(trx)), 23, 'truncated'],
  ['a cut tail with the head wound back, past a signed checkpoint', async (trx) => {
    await sql`delete from audit_events where seq >= 19`.execute(trx);
    await sql`update audit_chain_head set seq = 18, hash = (select hash from audit_events where seq = 18)`.execute(trx);
  }, 19, 'truncated'],
  ['history rewritten and re-hashed end to end', async (trx, log) => {
    // A changed event 4 with every later hash recomputed and the head moved: only the signed checkpoint of seq 20 disagrees.
    const from = log[2] as AuditEvent;
    const redone = chainMany(from, log.slice(3).map((e, i) => (i === 0 ? { ...e, details: { resources: ['Condition/other'] } } : e)));
    await sql`delete from audit_events where seq >= 4`.execute(trx);
    await writeEvents(trx, redone);
  }, 20, 'hash-mismatch'],
  ['a forged checkpoint signature', async (trx) => {
    const forger = checkpointKeysFromSeed(TEST_KEYS.keyId, new Uint8Array(32).fill(9));
    const row = await trx.selectFrom('audit_checkpoints').select(['seq', 'hash', 'time']).executeTakeFirstOrThrow();
    const cp = signCheckpoint({ seq: row.seq, hash: row.hash }, row.time.toISOString(), { keyId: TEST_KEYS.keyId, privateKey: forger.privateKeyPem });
    await sql`update audit_checkpoints set signature = ${cp.signature}`.execute(trx);
  }, 20, 'bad-checkpoint-signature'],
];

/** Rows as an attacker would write them (the append path is not used: no head move). */
async function insertRaw(trx: Kysely<Tables>, events: AuditEvent[]): Promise<void> {
  for (const e of events) {
    await trx.insertInto('audit_events').values({
      seq: e.seq, time: e.time, actor_kind: e.actor.kind, actor_id: e.actor.id, actor_org: e.actor.organisationOds ?? null, actor_role: e.actor.role ?? null,
      action: e.action, person_id: e.personId ?? null, purpose: e.purpose ?? null, outcome: e.outcome, details: JSON.stringify(e.details), prev_hash: e.prevHash, hash: e.hash,
    }).execute();
  }
}

describe.each(testEngines())('stored audit verification on %s', (engine) => {
  let t: TestDatabase;
  let log: AuditEvent[];
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    // 20 events, a signed checkpoint of seq 20 (recorded as event 21), 4 more: 25 events.
    const drafts = [...oneOfEach(), ...oneOfEach(Date.UTC(2025, 0, 16))];
    await transaction(t.db, (trx) => appendAuditMany(trx, drafts.slice(0, 20), { settings }));
    await checkpointNow(t.db, { now: new Date('2025-01-16T00:00:00.000Z'), settings });
    await transaction(t.db, (trx) => appendAuditMany(trx, drafts.slice(20, 24), { settings }));
    log = await allEvents(t.db);
    await sql`create table audit_backup as select * from audit_events`.execute(t.db);
    await sql`create table audit_checkpoints_backup as select * from audit_checkpoints`.execute(t.db);
  });
  afterAll(async () => t.dispose());
  afterEach(async () => {
    await tamper(t.db, async (trx) => {
      await sql`delete from audit_events`.execute(trx);
      await sql`insert into audit_events select * from audit_backup`.execute(trx);
      await sql`delete from audit_checkpoints`.execute(trx);
      await sql`insert into audit_checkpoints select * from audit_checkpoints_backup`.execute(trx);
      await sql`update audit_chain_head set seq = 25, hash = (select hash from audit_events where seq = 25)`.execute(trx);
    });
  });

  it('vouches for the untouched log with its head and checkpoint', async () => {
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const r = await verifyStoredAudit(t.db, { pageSize: PAGE });
    expect(r).toMatchObject({ ok: true, count: 25, lastSeq: 25, lastHash: log[24]?.hash, startAfterSeq: 0, checkpoints: 1, head: { seq: 25 } });
  });

  it.each(cases)('finds %s and names the first bad event', async (_name, change, seq, problem) => {
    await tamper(t.db, (trx) => change(trx, log));
    const r = await verifyStoredAudit(t.db, { pageSize: PAGE });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad).toMatchObject({ seq, problem });
  });

  it('trusts only the given keys when told not to trust the stored ones', async () => {
    const untrusted = await verifyStoredAudit(t.db, { trustStoredKeys: false });
    expect(untrusted).toMatchObject({ ok: false, firstBad: { seq: 20, problem: 'bad-checkpoint-signature' } });
    const trusted = await verifyStoredAudit(t.db, { trustStoredKeys: false, publicKeys: { [TEST_KEYS.keyId]: TEST_KEYS.publicKeyPem } });
    expect(trusted.ok).toBe(true);
  });

  it('holds the log to a checkpoint published elsewhere: a log cut short of it is truncated', async () => {
    const published = signCheckpoint(log[23] as AuditEvent, '2025-01-17T00:00:00.000Z', { keyId: TEST_KEYS.keyId, privateKey: TEST_KEYS.privateKeyPem });
    expect((await verifyStoredAudit(t.db, { checkpoints: [published] })).ok).toBe(true);
    await tamper(t.db, async (trx) => {
      await sql`delete from audit_events where seq >= 23`.execute(trx);
      await sql`update audit_chain_head set seq = 22, hash = (select hash from audit_events where seq = 22)`.execute(trx);
      await sql`delete from audit_checkpoints`.execute(trx);
    });
    expect(await verifyStoredAudit(t.db, { checkpoints: [published] })).toMatchObject({ ok: false, firstBad: { seq: 23, problem: 'truncated' } });
  });

  it('streams in pages without losing or repeating events at page boundaries', async () => {
    for (const pageSize of [1, 2, 3, 5, 24, 25, 26, 1000]) {
      expect(await verifyStoredAudit(t.db, { pageSize })).toMatchObject({ ok: true, count: 25 });
    }
    expect((await readCheckpoints(t.db)).others).toHaveLength(1);
  });
});
