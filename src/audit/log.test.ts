import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { fhirSchemaProblems } from '../fhir/schema.ts';
import { AUDIT_ACTIONS, toFhirAuditEvent, verifyCheckpoint, type AuditCheckpoint } from './chain/index.ts';
import { appendAudit, appendAuditMany, AuditUnavailableError, checkpointNow } from './log.ts';
import { queryAudit } from './query.ts';
import { readCheckpoints, verifyStoredAudit } from './verifyStored.ts';
import { configureAudit, auditSettings, checkpointSigner, storedPublicKeys } from './settings.ts';
import { draftFor, oneOfEach, PERSON_A, TEST_KEYS, testSettings } from './testSupport.ts';

const T = '2025-01-15T09:00:00.000Z';

describe.each(testEngines())('audit log on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  const count = async () => Number((await sql<{ n: number }>`select count(*)::int8 as n from audit_events`.execute(t.db)).rows[0]?.n);

  it('appends every kind of event and reads each back exactly as chained', async () => {
    const drafts = oneOfEach();
    const written = [];
    for (const d of drafts) written.push(await transaction(t.db, (trx) => appendAudit(trx, d, { settings: testSettings() })));
    expect(written.map((e) => e.seq)).toEqual(drafts.map((_, i) => i + 1));
    const back = await queryAudit(t.db, { limit: 100, order: 'oldest-first' });
    expect(back.events).toEqual(written);
    expect(new Set(back.events.map((e) => e.action))).toEqual(new Set(AUDIT_ACTIONS.filter((a) => a !== 'checkpoint')));
    const verdict = await verifyStoredAudit(t.db);
    expect(verdict).toMatchObject({ ok: true, count: drafts.length, lastSeq: drafts.length });
  });

  it('renders every stored event as a FHIR R4 AuditEvent valid against the schema', async () => {
    const { events } = await queryAudit(t.db, { limit: 100 });
    expect(events.length).toBeGreaterThan(20);
    for (const e of events) expect(fhirSchemaProblems(toFhirAuditEvent(e))).toEqual([]);
  });

  it('lower-cases person ids before hashing, so they read back as hashed', async () => {
    const e = await transaction(t.db, (trx) => appendAudit(trx, { ...draftFor('view', T), personId: PERSON_A.toUpperCase() }, { settings: testSettings() }));
    expect(e.personId).toBe(PERSON_A);
    expect((await verifyStoredAudit(t.db)).ok).toBe(true);
  });

  it.each([
    ['an unknown action', { action: 'peek' }, 'drafts[0].action'],
    ['a time without milliseconds', { time: '2025-01-15T09:00:00Z' }, 'drafts[0].time'],
    ['a person id that is not a UUID', { personId: 'person-1' }, 'drafts[0].personId'],
    ['details that are not an object', { details: [] }, 'drafts[0].details'],
  ])('refuses %s as invalid-event, writing nothing', async (_name, change, where) => {
    const n = await count();
    const draft = { ...draftFor('view', T), ...change } as never;
    const err = await transaction(t.db, (trx) => appendAudit(trx, draft)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditUnavailableError);
    expect(err).toMatchObject({ code: 'invalid-event', where });
    expect(await count()).toBe(n);
  });

  it('fails closed: when the audit insert fails the whole transaction, the act included, rolls back', async () => {
    await sql`create function test_audit_down() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(t.db);
    await sql`create trigger test_audit_down before insert on audit_events for each row execute function test_audit_down()`.execute(t.db);
    try {
      const n = await count();
      const err = await transaction(t.db, async (trx) => {
        await trx.insertInto('organisations').values({ ods_code: 'FC1', name: 'Fail Closed Trust', kind: 'other', synthetic: true }).execute();
        await appendAudit(trx, draftFor('view', T));
        return 'the record';
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditUnavailableError);
      expect(err).toMatchObject({ code: 'write-failed', where: 'audit-events' });
      // The message carries the SQLSTATE only, never what the database said about the values.
      expect((err as Error).message).toBe('the audit event could not be written (database error P0001)');
      expect(await t.db.selectFrom('organisations').select('ods_code').where('ods_code', '=', 'FC1').execute()).toEqual([]);
      expect(await count()).toBe(n);
    } finally {
      await sql`drop trigger test_audit_down on audit_events`.execute(t.db);
      await sql`drop function test_audit_down()`.execute(t.db);
    }
    expect((await verifyStoredAudit(t.db)).ok).toBe(true);
  });

  it.each([
    ['UPDATE of an event', sql`update audit_events set actor_id = 'someone-else' where seq = 1`],
    ['UPDATE of an event through its partition', sql`update audit_events_default set outcome = 'denied' where seq = 2`],
    ['DELETE of an event', sql`delete from audit_events where seq = 3`],
    ['DELETE through a partition', sql`delete from audit_events_default where seq = 3`],
    ['TRUNCATE of the log', sql`truncate audit_events`],
    ['TRUNCATE of a partition', sql`truncate audit_events_default`],
    ['TRUNCATE of a monthly partition', sql.raw(`do $$ declare p text; begin select c.relname into p from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = to_regclass('audit_events') and c.relname like 'audit_events_y%' limit 1; execute format('truncate %I', p); end $$`)],
    ['UPDATE of a checkpoint', sql`update audit_checkpoints set seq = seq + 1`],
    ['DELETE of a checkpoint', sql`delete from audit_checkpoints`],
    ['TRUNCATE of the checkpoints', sql`truncate audit_checkpoints`],
    ['DELETE of a signing key', sql`delete from audit_keys`],
    ['winding the chain head back', sql`update audit_chain_head set seq = 1`],
    ['DELETE of the chain head', sql`delete from audit_chain_head`],
    ['TRUNCATE of the chain head', sql`truncate audit_chain_head`],
  ])('the database refuses %s', async (_name, statement) => {
    if ((await readCheckpoints(t.db)).others.length === 0) await checkpointNow(t.db, { now: new Date(T), settings: testSettings() });
    const n = await count();
    await expect(statement.execute(t.db)).rejects.toMatchObject({ code: '42501' });
    expect(await count()).toBe(n);
  });

  it('refuses UPDATE even under the purge setting', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`select set_config('ohc.audit_purge', 'on', true)`.execute(trx);
        await sql`update audit_events set details = '{}' where seq = 1`.execute(trx);
      }),
    ).rejects.toMatchObject({ code: '42501' });
  });
  it('appends a batch under one lock, in order, gapless after what is there', async () => {
    const before = (await verifyStoredAudit(t.db)).count;
    const drafts = Array.from({ length: 6_000 }, (_, i) => draftFor(i % 2 ? 'view' : 'search', new Date(Date.UTC(2025, 0, 16) + i).toISOString()));
    const events = await transaction(t.db, (trx) => appendAuditMany(trx, drafts, { settings: testSettings() }));
    expect(events[0]?.seq).toBe(before + 1);
    expect(events.at(-1)?.seq).toBe(before + drafts.length);
    // Verified after the refusals above too: they left the chain intact.
    expect(await verifyStoredAudit(t.db, { pageSize: 4000 })).toMatchObject({ ok: true, count: before + drafts.length });
  });

});

describe.each(testEngines())('checkpoints on %s', (engine) => {
  let t: TestDatabase;
  const saved = auditSettings();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => {
    configureAudit(saved);
    await t.dispose();
  });

  it('signs a checkpoint every N events, stores it and records it in the log right after the head it signs', async () => {
    const settings = testSettings(10);
    for (let i = 0; i < 25; i++) await transaction(t.db, (trx) => appendAudit(trx, draftFor('view', new Date(Date.UTC(2025, 1, 1) + i * 1000).toISOString()), { settings }));
    const { others } = await readCheckpoints(t.db);
    // Event 10 → checkpoint of seq 10 recorded as event 11; event 20 → checkpoint recorded as 21.
    expect(others.map((c) => c.seq)).toEqual([10, 20]);
    const log = (await queryAudit(t.db, { limit: 100, order: 'oldest-first' })).events;
    const cpEvents = log.filter((e) => e.action === 'checkpoint');
    expect(cpEvents.map((e) => e.seq)).toEqual([11, 21]);
    expect(cpEvents[0]?.details.checkpoint).toMatchObject({ seq: 10, hash: log[9]?.hash, keyId: TEST_KEYS.keyId });
    for (const cp of others) expect(verifyCheckpoint(cp, { [TEST_KEYS.keyId]: TEST_KEYS.publicKeyPem })).toEqual({ ok: true });
    expect(await storedPublicKeys(t.db)).toEqual({ [TEST_KEYS.keyId]: TEST_KEYS.publicKeyPem });
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 27, checkpoints: 2 });
  });

  it('generates the embedded key on first use, keeps it, and signs on-demand checkpoints with it', async () => {
    configureAudit({ checkpointEvery: 0, signer: undefined });
    const a = await checkpointSigner(t.db);
    const b = await checkpointSigner(t.db);
    expect(b.keyId).toBe(a.keyId);
    expect(a.keyId).toMatch(/^audit-[0-9a-f]{16}$/);
    const cp = (await checkpointNow(t.db, { now: new Date('2025-02-02T00:00:00.000Z') })) as AuditCheckpoint;
    expect(cp.keyId).toBe(a.keyId);
    expect(verifyCheckpoint(cp, await storedPublicKeys(t.db))).toEqual({ ok: true });
    expect(await verifyStoredAudit(t.db)).toMatchObject({ ok: true, count: 28, checkpoints: 3 });
  });
});
