import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { seedRecord } from '../record/testing.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';
import { appendAudit } from '../audit/index.ts';
import type { AuditSink } from '../access/index.ts';
import { anonymisedStatistics, displayCount } from '../statistics/index.ts';
import { casesForOrganisation, rightsActor } from '../rights/index.ts';
import { ensureDemoUsers } from './demoUsers.ts';

const NOW = new Date('2026-09-03T10:00:00.000Z');
const audit: AuditSink = async (trx, d) => { await appendAudit(trx, d); };

describe.each(testEngines())('demo users on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedRecord(t.db, {
      organisations: [
        { ods: 'RJE', name: 'University Hospitals of North Midlands', kind: 'acute', isaFrom: '2020-01-01' },
        { ods: 'SYNSTF', name: 'Staffordshire County Council', kind: 'social-care', isaFrom: '2020-01-01' },
        { ods: 'M83001', name: 'Demo Practice', kind: 'gp-practice', isaFrom: '2020-01-01' },
      ],
      feeds: [{ id: 'rje-pas', ods: 'RJE', format: 'hl7v2' }],
      persons: [0, 1, 2].map((i) => ({
        sourceRecords: [{ feedId: 'rje-pas', localId: `D${i}`, nhsNumber: testRangeNhsNumber(7300 + i), demographics: { family: 'Demo', birthDate: '1980-01-01', sex: 'female' as const } }],
        resources: [{ feedId: 'rje-pas', resource: { resourceType: 'Encounter', id: `E${i}`, status: 'finished' } }],
      })),
    });
  });
  afterAll(async () => t.dispose());

  it('gives the access-to-records officer cases to work, one overdue, and the analyst statistics, once only', async () => {
    await ensureDemoUsers(t.db, 'M83001', NOW, audit);
    await ensureDemoUsers(t.db, 'M83001', NOW, audit);
    const cases = await casesForOrganisation(t.db, 'RJE', NOW);
    expect(cases.map((c) => [c.kind, c.clock.state])).toEqual([['rectification', 'overdue'], ['access', 'open']]);
    const analyst = await rightsActor(t.db, 'analyst', NOW);
    const stats = await anonymisedStatistics(t.db, analyst, NOW, audit);
    expect(displayCount(stats.persons)).toBe('<8');
  });
});
