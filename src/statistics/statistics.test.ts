import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { addUser, CLI_ACTOR, loadDecisionUser, recordObjection, type AuditSink } from '../access/index.ts';
import { seedPartners, seedResource, TEST_SCRYPT } from '../access/testing.ts';
import { appendAudit } from '../audit/index.ts';
import { anonymisedStatistics, discloseCounts, displayCount, StatisticsRefused, type StatisticsActor } from './index.ts';

const NOW = new Date('2026-09-03T10:00:00.000Z');
const audit: AuditSink = async (trx, d) => { await appendAudit(trx, d); };

describe.each(testEngines())('anonymised statistics on %s', (engine) => {
  let t: TestDatabase;
  let nhsIndex = 7200;
  const women: string[] = [];

  /** A person with one source record at `ods`, registered with `gp`; returns the NHS number. */
  const person = async (o: { ods: string; gp: string; birthDate: string; sex: string; conditions: number }) => {
    const nhs = testRangeNhsNumber(nhsIndex++);
    const p = await t.db.insertInto('persons').defaultValues().returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('source_records').values({
      feed_id: `feed-${o.ods.toLowerCase()}`, local_id: randomUUID(), person_id: p.id, nhs_number: nhs,
      demographics: JSON.stringify({ birthDate: o.birthDate, sex: o.sex, gpPracticeOds: o.gp }), data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
    }).execute();
    for (let i = 0; i < o.conditions; i++) await seedResource(t.db, p.id, o.ods, { resourceType: 'Condition' }, { receivedAt: new Date('2026-08-10T12:00:00Z') });
    return nhs;
  };
  const actorFor = async (username: string): Promise<StatisticsActor> => {
    const u = await t.db.selectFrom('users').select(['id', 'role', 'organisation_ods']).where('username', '=', username).executeTakeFirstOrThrow();
    const du = await loadDecisionUser(t.db, u.id, { mfaSatisfied: true }, NOW);
    return { id: u.id, role: u.role, organisationOds: u.organisation_ods, decisionUser: du! };
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
    for (const [username, role] of [['analyst.one', 'analyst'], ['pals.one', 'pals-officer']] as const) {
      await addUser(t.db, { username, name: username, organisationOds: 'RJE', role, trainingValidUntil: '2099-01-01', password: 'a long test passphrase 1234' }, NOW, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    }
    // 12 women aged 30 to 44 registered at M83001, each with one condition from RJE.
    for (let i = 0; i < 12; i++) women.push(await person({ ods: 'RJE', gp: 'M83001', birthDate: '1990-01-15', sex: 'female', conditions: 1 }));
    // 3 men aged 85 and over at M83001 (a small cell).
    for (let i = 0; i < 3; i++) await person({ ods: 'RJE', gp: 'M83001', birthDate: '1930-01-15', sex: 'male', conditions: 0 });
    // 9 people registered at M83002 who object, each with a condition from RTG: they must vanish entirely.
    for (let i = 0; i < 9; i++) {
      const nhs = await person({ ods: 'RTG', gp: 'M83002', birthDate: '1990-02-01', sex: 'female', conditions: 1 });
      await recordObjection(t.db, { nhsNumber: nhs, channel: 'pals', byUsername: 'pals.one' }, NOW, audit);
    }
  });
  afterAll(async () => t.dispose());

  it('counts only people who have not objected, suppressed and rounded', async () => {
    const s = await anonymisedStatistics(t.db, await actorFor('analyst.one'), NOW, audit);
    // 15 people counted (12 + 3); with the objectors it would have been 24.
    expect(displayCount(s.persons)).toBe('15');
    const band = (label: string) => s.ageSex.find((r) => r.band === label)!;
    expect(displayCount(band('30 to 44').bySex.female)).toBe('10');
    expect(displayCount(band('30 to 44').bySex.male)).toBe('0');
    expect(displayCount(band('85 and over').bySex.male)).toBe('<8');
    expect(displayCount(band('85 and over').total)).toBe('<8');
    expect(s.gpPractices.map((p) => [p.code, displayCount(p.count)])).toEqual([['M83001', '15']]);
    expect(s.entries.map((e) => [e.ods, e.resourceType, displayCount(e.count)])).toEqual([['RJE', 'Condition', '10']]);
    expect(s.organisationKinds.map((k) => [k.code, displayCount(k.count)])).toEqual([['acute', '10']]);
    expect(s.months.map((m) => [m.month, m.organisationKind, displayCount(m.count)])).toEqual([['2026-08', 'Acute hospital trusts', '10']]);
    // Nothing record-level: no person id or NHS number anywhere in the answer.
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(text).not.toMatch(/999\d{7}/);
  });

  it('audits each production of the statistics', async () => {
    const before = (await sql<{ n: number }>`select count(*)::int8 as n from audit_events where details ->> 'route' = 'statistics'`.execute(t.db)).rows[0]!.n;
    await anonymisedStatistics(t.db, await actorFor('analyst.one'), NOW, audit);
    const rows = (await sql<{ action: string; outcome: string; person_id: string | null; n: number }>`
      select action, outcome, person_id, count(*) over ()::int8 as n from audit_events where details ->> 'route' = 'statistics' order by seq desc limit 1`.execute(t.db)).rows;
    expect(Number(rows[0]!.n)).toBe(Number(before) + 1);
    expect(rows[0]).toMatchObject({ action: 'statistics-viewed', outcome: 'success', person_id: null });
  });

  it('reuses counts for an hour, but an objection takes effect at once', async () => {
    const analyst = await actorFor('analyst.one');
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    expect((await anonymisedStatistics(t.db, analyst, at(10), audit)).computedAt).toBe(NOW.toISOString());
    expect((await anonymisedStatistics(t.db, analyst, at(61), audit)).computedAt).toBe(at(61).toISOString());
    for (const nhs of women.slice(0, 5)) await recordObjection(t.db, { nhsNumber: nhs, channel: 'pals', byUsername: 'pals.one' }, at(62), audit);
    const after = await anonymisedStatistics(t.db, analyst, at(63), audit);
    expect(after.computedAt).toBe(at(63).toISOString());
    // 12 women less the 5 who now object: 7, a small number.
    expect(displayCount(after.ageSex.find((r) => r.band === '30 to 44')!.bySex.female)).toBe('<8');
  });

  it('refuses a role without the statistics purpose, and audits the refusal', async () => {
    await expect(anonymisedStatistics(t.db, await actorFor('pals.one'), NOW, audit)).rejects.toBeInstanceOf(StatisticsRefused);
    const last = (await sql<{ action: string; outcome: string }>`select action, outcome from audit_events order by seq desc limit 1`.execute(t.db)).rows[0];
    expect(last).toEqual({ action: 'access-denied', outcome: 'denied' });
  });
});

describe('disclosing the raw counts', () => {
  it('groups ages into bands and sexes before suppressing, and suppresses and rounds every table', () => {
    const s = discloseCounts({
      ageSex: [{ age: 31, sex: 'female', n: 6 }, { age: 40, sex: 'female', n: 6 }, { age: 50, sex: null, n: 3 }, { age: null, sex: 'male', n: 9 }, { age: 70, sex: 'weird', n: 2 }],
      practices: [{ ods: 'M83001', name: 'A Practice', n: 7 }, { ods: 'M83002', name: null, n: 23 }],
      kinds: [{ kind: 'acute', n: 8 }, { kind: 'unheard-of', n: 1 }],
      entries: [{ ods: 'RJE', name: 'Trust', resource_type: 'Condition', n: 0 }],
      months: [{ month: '2026-08', kind: 'gp-practice', n: 1000 }],
    }, '2026-09-03', '2026-09-03T10:00:00.000Z');
    const row = (band: string) => s.ageSex.find((r) => r.band === band)!;
    expect(s.ageSex.map((r) => r.band)).toEqual(['30 to 44', '45 to 64', '65 to 74', 'Not known']);
    // Two cells of 6 in one band make 12, shown as 10: suppression comes after grouping.
    expect(displayCount(row('30 to 44').bySex.female)).toBe('10');
    expect(displayCount(row('45 to 64').bySex.unknown)).toBe('<8');
    expect(displayCount(row('65 to 74').bySex.unknown)).toBe('<8');
    expect(displayCount(row('Not known').bySex.male)).toBe('10');
    expect(displayCount(s.persons)).toBe('25');
    expect(s.gpPractices.map((p) => [p.label, displayCount(p.count)])).toEqual([['A Practice', '<8'], ['Practice not registered with the shared record', '25']]);
    expect(s.organisationKinds.map((k) => [k.label, displayCount(k.count)])).toEqual([['Acute hospital trusts', '10'], ['Other organisations', '<8']]);
    expect(displayCount(s.entries[0]!.count)).toBe('0');
    expect(s.months.map((m) => [m.organisationKind, displayCount(m.count)])).toEqual([['GP practices', '1,000']]);
  });
});
