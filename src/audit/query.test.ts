import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { fhirSchemaProblems } from '../fhir/schema.ts';
import { toFhirAuditEvent, type AuditEventDraft } from './chain/index.ts';
import { appendAuditMany } from './log.ts';
import { AuditQueryError, listAudit, personIdsForNhsNumber, queryAudit, whoViewedMyRecord, whoViewedPage, type AuditQuery } from './query.ts';
import { draftFor, PERSON_A, PERSON_B, testSettings } from './testSupport.ts';

const at = (i: number) => new Date(Date.UTC(2025, 3, 1, 9) + i * 60_000).toISOString();
const actor = (id: string, org: string, role = 'clinician') => ({ kind: 'user' as const, id, organisationOds: org, role });

// 0..9 views of A by RX1 and A81001 staff, a denied view, a feed's change, a view of B, the person's own look.
const drafts: AuditEventDraft[] = [
  ...Array.from({ length: 10 }, (_, i) => ({ ...draftFor('view', at(i)), actor: actor(i % 2 ? 'u-gp-1' : 'u-clin-1', i % 2 ? 'A81001' : 'RX1', i % 2 ? 'gp' : 'clinician') })),
  { ...draftFor('access-denied', at(10)), personId: PERSON_A },
  draftFor('mpi-link-changed', at(11)),
  { ...draftFor('view', at(12)), personId: PERSON_B },
  { ...draftFor('view', at(13)), actor: { kind: 'user', id: 'person-login-7' }, purpose: 'person-access' },
  { ...draftFor('sign-in', at(14)), actor: actor('u-clin-1', 'RX1') },
];

describe.each(testEngines())('audit queries on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await transaction(t.db, (trx) => appendAuditMany(trx, drafts, { settings: testSettings() }));
  });
  afterAll(async () => t.dispose());

  it.each([
    ['a person', { personId: PERSON_A }, [14, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
    ['a person, upper-case id', { personId: PERSON_A.toUpperCase() }, [14, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
    ['several persons', { personId: [PERSON_A, PERSON_B] }, [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]],
    ['an actor', { actorId: 'u-gp-1' }, [10, 8, 6, 4, 2]],
    ['an organisation', { organisationOds: 'A81001' }, [10, 8, 6, 4, 2]],
    ['an organisation and a person, in a time window', { organisationOds: 'RX1', personId: PERSON_A, from: at(2), to: at(8) }, [7, 5, 3]],
    ['actions', { actions: ['access-denied', 'sign-in'] as const }, [15, 11]],
    ['nothing', { actorId: 'nobody' }, []],
  ])('finds the events of %s, newest first', async (_name, q, expected) => {
    const page = await queryAudit(t.db, { ...q, limit: 100 });
    expect(page.events.map((e) => e.seq)).toEqual(expected);
    expect(page.next).toBeUndefined();
  });

  it('pages by seq in either order', async () => {
    const seen: number[] = [];
    let after: number | undefined;
    do {
      const page = await queryAudit(t.db, { personId: PERSON_A, limit: 4, ...(after !== undefined ? { after } : {}) });
      seen.push(...page.events.map((e) => e.seq));
      after = page.next;
    } while (after !== undefined);
    expect(seen).toEqual([14, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const first = await queryAudit(t.db, { personId: PERSON_A, limit: 5, order: 'oldest-first' });
    expect(first).toMatchObject({ next: 5 });
    expect((await queryAudit(t.db, { personId: PERSON_A, limit: 5, order: 'oldest-first', after: 5 })).events.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
  });

  it.each([
    ['a person', { personId: PERSON_A }],
    ['several persons, newest first', { personId: [PERSON_B, PERSON_A] }],
    ['several persons, oldest first', { personId: [PERSON_A, PERSON_B], order: 'oldest-first' as const }],
    ['an organisation and a person, in a time window', { organisationOds: 'RX1', personId: PERSON_A, from: at(2), to: at(8) }],
    ['an actor', { actorId: 'u-gp-1' }],
  ])('pages through the events of %s a few at a time, across persons too', async (_name, q) => {
    const all = (await queryAudit(t.db, { ...q, limit: 100 })).events.map((e) => e.seq);
    for (const read of [
      async (after?: number) => { const p = await queryAudit(t.db, { ...q, limit: 3, ...(after !== undefined ? { after } : {}) }); return { seqs: p.events.map((e) => e.seq), next: p.next }; },
      async (after?: number) => { const p = await listAudit(t.db, { ...q, limit: 3, detailKeys: [], ...(after !== undefined ? { after } : {}) }); return { seqs: p.entries.map((e) => e.seq), next: p.next }; },
    ]) {
      const seen: number[] = [];
      let after: number | undefined;
      do {
        const page = await read(after);
        expect(page.seqs.length).toBeLessThanOrEqual(3);
        seen.push(...page.seqs);
        after = page.next;
      } while (after !== undefined);
      expect(seen).toEqual(all);
    }
  });

  it('lists events with only the members of details asked for, and no hashes', async () => {
    const q: AuditQuery = { personId: PERSON_A, limit: 100 };
    const full = (await queryAudit(t.db, q)).events;
    const { entries } = await listAudit(t.db, { ...q, detailKeys: ['reason', 'rule', 'missing'] });
    expect(entries.map((e) => e.seq)).toEqual(full.map((e) => e.seq));
    const denied = entries.find((e) => e.action === 'access-denied');
    // The access-denied draft holds reason and rule; the views' resources are not read.
    expect(denied).toEqual({
      seq: 11, time: at(10), actor: { kind: 'user', id: 'u-clin-1', organisationOds: 'RX1', role: 'clinician' }, action: 'access-denied',
      personId: PERSON_A, purpose: 'direct-care', outcome: 'denied', details: { reason: 'objection', rule: 'objection-recorded' },
    });
    expect(entries.filter((e) => e.action === 'view').map((e) => e.details)).toEqual(Array(11).fill({}));
    expect(JSON.stringify(entries)).not.toContain('resources');
    expect(entries.every((e) => !('hash' in e) && !('prevHash' in e))).toBe(true);
  });

  it('tells who used the record a page at a time, newest first, for one organisation if asked', async () => {
    const pages = async (o: { organisationOds?: string }) => {
      const out: string[][] = [];
      let before: number | undefined;
      do {
        const page = await whoViewedPage(t.db, [PERSON_A, PERSON_B], { limit: 4, ...o, ...(before !== undefined ? { before } : {}) });
        out.push(page.entries.map((e) => `${e.time.slice(11, 16)} ${e.organisation.odsCode ?? ''}`));
        before = page.next;
      } while (before !== undefined);
      return out;
    };
    // A's ten views and B's (merged under A), without the denied attempt or the person's own look.
    expect(await pages({})).toEqual([
      ['09:12 RX1', '09:09 A81001', '09:08 RX1', '09:07 A81001'],
      ['09:06 RX1', '09:05 A81001', '09:04 RX1', '09:03 A81001'],
      ['09:02 RX1', '09:01 A81001', '09:00 RX1'],
    ]);
    // Limited to an organisation in the read itself, so every page but the last is full.
    expect(await pages({ organisationOds: 'A81001' })).toEqual([
      ['09:09 A81001', '09:07 A81001', '09:05 A81001', '09:03 A81001'],
      ['09:01 A81001'],
    ]);
    expect(await whoViewedPage(t.db, PERSON_A, { limit: 4, before: 1 })).toEqual({ entries: [] });
    await expect(whoViewedPage(t.db, PERSON_A, { limit: 0 })).rejects.toMatchObject({ where: 'limit' });
    await expect(whoViewedPage(t.db, PERSON_A, { limit: 5, before: 1.5 })).rejects.toMatchObject({ where: 'before' });
  });

  it.each([
    ['a zero limit', { limit: 0 }, 'limit'],
    ['a person id that is not a UUID', { limit: 5, personId: 'p-1' }, 'personId'],
    ['a bad date', { limit: 5, from: 'yesterday' }, 'from'],
    ['an unknown action', { limit: 5, actions: ['peek'] }, 'actions'],
  ])('refuses %s', async (_name, q, where) => {
    await expect(queryAudit(t.db, q as never)).rejects.toMatchObject({ name: 'AuditQueryError', where });
  });

  it('renders query results as valid FHIR AuditEvents', async () => {
    const { events } = await queryAudit(t.db, { personId: PERSON_A, limit: 100 });
    for (const e of events) expect(fhirSchemaProblems(toFhirAuditEvent(e, { observer: { display: 'One Health and Care', odsCode: 'X26' } }))).toEqual([]);
  });

  it('tells the person who used their record: organisation, role, time, purpose, no staff ids or names', async () => {
    const entries = await whoViewedMyRecord(t.db, PERSON_A, { organisationName: (ods) => (ods === 'RX1' ? 'County Hospital' : undefined) });
    // The ten views; the denied attempt, the feed's link change and the person's own look are not uses.
    expect(entries).toHaveLength(10);
    expect(entries[0]).toEqual({ time: at(9), activity: 'viewed', organisation: { odsCode: 'A81001' }, role: 'gp', purpose: 'Your care' });
    expect(entries[1]).toEqual({ time: at(8), activity: 'viewed', organisation: { odsCode: 'RX1', name: 'County Hospital' }, role: 'clinician', purpose: 'Your care' });
    expect(JSON.stringify(entries)).not.toContain('u-clin-1');
    const named = await whoViewedMyRecord(t.db, [PERSON_A, PERSON_B], { showStaffNames: true, staffName: (id) => (id === 'u-gp-1' ? 'Dr A Example' : undefined), limit: 3 });
    // B's view (seq 13) counts under A's record; names only where configured and known.
    expect(named.map((e) => e.staffName)).toEqual([undefined, 'Dr A Example', undefined]);
    expect(named[0]?.time).toBe(at(12));
  });

  it('finds the persons behind an NHS number through their source records', async () => {
    await t.db.insertInto('organisations').values({ ods_code: 'RX1', name: 'County Hospital', kind: 'acute', synthetic: true }).execute();
    await t.db.insertInto('feeds').values({ id: 'rx1-pas', organisation_ods: 'RX1', format: 'hl7v2' }).execute();
    await t.db.insertInto('persons').values({ id: PERSON_A }).execute();
    await t.db.insertInto('source_records').values({
      feed_id: 'rx1-pas', local_id: 'L1', person_id: PERSON_A, nhs_number: '9990000018', demographics: '{}', data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
    }).execute();
    expect(await personIdsForNhsNumber(t.db, '999 000 0018')).toEqual([PERSON_A]);
    expect(await personIdsForNhsNumber(t.db, '9990000026')).toEqual([]);
    await expect(personIdsForNhsNumber(t.db, '12345')).rejects.toBeInstanceOf(AuditQueryError);
  });
});
