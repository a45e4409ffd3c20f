import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { canonicalJsonWithout, chainNext, type AuditEvent, type AuditEventDraft, type ChainHead } from './chain/index.ts';
import { appendAudit, appendAuditMany, AuditUnavailableError } from './log.ts';
import { queryAudit } from './query.ts';
import { CANONICAL_AROUND_DETAILS_SQL, canonicalFromStored } from './rows.ts';
import { verifyStoredAudit } from './verifyStored.ts';
import { draftFor, oneOfEach, PERSON_A, tamper, testSettings } from './testSupport.ts';

const T = '2025-01-15T09:00:00.000Z';
const settings = testSettings();

/** Text the database and JavaScript could quote differently, if either got JSON escaping wrong. */
const awkward: AuditEventDraft[] = [
  { ...draftFor('view', T), actor: { kind: 'user', id: 'u-"quoted"\\back\nline\ttab', organisationOds: 'café ✓ 😀 \u2028\u2029', role: 'r\u0001\u001f\u007f' } },
  { ...draftFor('search', T), actor: { kind: 'feed', id: '</script>&\'' }, details: { é: 1, B: [1.5, -0, 1e21, 'x"y\\z'], a: { z: null, y: true }, '': 'Ω', '😀': 2, '\uffff': 3 } },
  { ...draftFor('export', T), purpose: undefined, personId: PERSON_A.toUpperCase(), details: { nested: [[[{ k: 'v' }]]], big: 2 ** 70, small: 1e-7 } },
  { time: T, actor: { kind: 'system', id: 'job' }, action: 'audit-purged', outcome: 'failure', details: {} },
];

describe.each(testEngines())('stored events in canonical form on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  const head = async (): Promise<ChainHead> => {
    const r = await t.db.selectFrom('audit_chain_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
    return { seq: Number(r.seq), hash: r.hash };
  };

  it('appends one event in one statement, hashed by the database exactly as chainNext hashes it', async () => {
    for (const d of [...awkward, ...oneOfEach()]) {
      const before = await head();
      const e = await transaction(t.db, (trx) => appendAudit(trx, d, { settings }));
      expect(e).toEqual(chainNext(before, d.personId ? { ...d, personId: d.personId.toLowerCase() } : d));
      expect(await head()).toEqual({ seq: e.seq, hash: e.hash });
    }
  });

  it('appends batches with the same text, and the log verifies', async () => {
    const batch = await transaction(t.db, (trx) => appendAuditMany(trx, awkward, { settings }));
    expect(batch).toHaveLength(awkward.length);
    expect(await verifyStoredAudit(t.db, { pageSize: 3 })).toMatchObject({ ok: true, lastSeq: batch[batch.length - 1]?.seq });
  });

  it('serialises every stored event, around its details, as the canonical text it was hashed as', async () => {
    const events: AuditEvent[] = (await queryAudit(t.db, { limit: 1000, order: 'oldest-first' })).events;
    const rows = await t.db
      .selectFrom('audit_events')
      .select(['seq', sql<string>`${sql.raw(CANONICAL_AROUND_DETAILS_SQL)}`.as('around'), 'details'])
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.seq)).toEqual(events.map((e) => e.seq));
    rows.forEach((r, i) => {
      expect(canonicalFromStored(r.around, r.details)).toBe(canonicalJsonWithout(events[i] as AuditEvent, 'hash'));
    });
  });

  it('fails closed, appending nothing, when the chain head it locked is malformed', async () => {
    const good = await head();
    await tamper(t.db, async (trx) => void (await sql`update audit_chain_head set hash = 'not-a-hash'`.execute(trx)));
    try {
      const err = await transaction(t.db, (trx) => appendAudit(trx, draftFor('view', T), { settings })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditUnavailableError);
      expect(err).toMatchObject({ code: 'write-failed', where: 'chain-head' });
      expect((await head()).seq).toBe(good.seq);
    } finally {
      await tamper(t.db, async (trx) => void (await sql`update audit_chain_head set seq = ${good.seq}, hash = ${good.hash}`.execute(trx)));
    }
    expect((await verifyStoredAudit(t.db)).ok).toBe(true);
  });
});
