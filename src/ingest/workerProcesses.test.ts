/**
 * Inbox workers in a process of their own (PostgreSQL): they drain the inbox, answer drained(),
 * and a worker process killed with SIGKILL mid-way loses nothing and applies nothing twice — the
 * server starts another, which takes up the rows the dead one had in hand.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase } from '../store/testing.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from './feeds.ts';
import { pendingCount, storeInInbox } from './inbox.ts';
import { startWorkerProcesses } from './workerProcesses.ts';
import { testRangeNhsNumber } from '../nhs/nhsNumber.ts';

const TOTAL = 400;

function a28(i: number): string {
  const id = `WP${String(i).padStart(5, '0')}`;
  return [
    `MSH|^~\\&|PAS|RJE|OHC|OHC|20240101100000||ADT^A28^ADT_A05|MSG${id}|P|2.4`,
    'EVN|A28|20240101100000',
    `PID|1||${testRangeNhsNumber(7000 + i)}^^^NHS^NH~${id}^^^RJE^PI||Processtest^Person${i}||19700101|F|||1 High Street^^Stoke-on-Trent^^ST4 1AA`,
  ].join('\r');
}

const until = async (check: () => Promise<boolean>, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.skipIf(!process.env.TEST_DATABASE_URL)('inbox workers in a process of their own (PostgreSQL)', () => {
  it('drain the inbox, and one killed with SIGKILL mid-way loses nothing and duplicates nothing', async () => {
    const t = await createTestDatabase('postgres');
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.db)).rows[0]!.s;
    const errors: string[] = [];
    const workers = startWorkerProcesses({
      processes: 1, workersEach: 2, postgres: { url: process.env.TEST_DATABASE_URL!, schema },
      onError: (e) => errors.push(e instanceof Error ? e.message : String(e)),
    });
    try {
      await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
      await addFeed(t.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
      for (let i = 0; i < TOTAL; i++) await storeInInbox(t.db, { feedId: 'rje-pas', messageId: `MSGWP${i}`, kind: 'hl7v2', content: a28(i), units: 1 }, new Date());
      await until(async () => workers.pids().length === 1);
      const first = workers.pids()[0]!;
      workers.wake();
      // Killed once some, not all, of the work is done.
      const done = async () => Number((await sql<{ n: number }>`select count(*)::int8 as n from inbox where status = 'done'`.execute(t.db)).rows[0]!.n);
      await until(async () => (await done()) > 0);
      process.kill(first, 'SIGKILL');
      await until(async () => workers.pids().length === 1 && workers.pids()[0] !== first);
      do await workers.drained();
      while ((await pendingCount(t.db)) > 0);

      expect(await done()).toBe(TOTAL);
      const patients = await sql<{ n: number }>`select count(*)::int8 as n from resources where resource_type = 'Patient'`.execute(t.db);
      expect(patients.rows[0]!.n).toBe(TOTAL);
      const persons = await sql<{ n: number }>`select count(distinct person_id)::int8 as n from source_records`.execute(t.db);
      expect(persons.rows[0]!.n).toBe(TOTAL);
      expect(errors.some((e) => /ingest worker process 0 ended/.test(e))).toBe(true);
    } finally {
      await workers.stop();
      await t.dispose();
    }
    expect(workers.pids()).toEqual([]);
  }, 60_000);

  it('take no batch while the server holds them back (giving way to senders), and go on when it lets them', async () => {
    const t = await createTestDatabase('postgres');
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(t.db)).rows[0]!.s;
    let holding = true;
    let asked = 0;
    const held: Array<() => void> = [];
    const workers = startWorkerProcesses({
      processes: 1, workersEach: 2, postgres: { url: process.env.TEST_DATABASE_URL!, schema },
      giveWay: () => {
        asked++;
        return holding ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve();
      },
      onError: () => undefined,
    });
    try {
      await ensureOrganisations(t.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
      await addFeed(t.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
      for (let i = 0; i < 20; i++) await storeInInbox(t.db, { feedId: 'rje-pas', messageId: `MSGGW${i}`, kind: 'hl7v2', content: a28(500 + i), units: 1 }, new Date());
      await workers.ready();
      workers.wake();
      // Both workers have asked, and are still waiting.
      await until(async () => held.length === 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(await pendingCount(t.db)).toBe(20);
      holding = false;
      held.splice(0).forEach((go) => go());
      do await workers.drained();
      while ((await pendingCount(t.db)) > 0);
      expect(asked).toBeGreaterThan(2);
    } finally {
      await workers.stop();
      await t.dispose();
    }
  }, 60_000);
});
