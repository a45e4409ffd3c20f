/**
 * Durable before acknowledged: a server killed with SIGKILL at random moments while a sender
 * streams messages loses no acknowledged message and duplicates none. The sender behaves as a real
 * one: a message without an ACK is sent again after the restart.
 */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { testEngines } from '../../src/store/testing.ts';
import { openMigrated, openPGlite, openPostgres, type Database } from '../../src/store/db.ts';
import { ensureOrganisations } from '../../src/registry/organisations.ts';
import { addFeed } from '../../src/ingest/feeds.ts';
import { MllpClient, ackCode } from '../../src/mllp/client.ts';
import { testRangeNhsNumber } from '../../src/nhs/nhsNumber.ts';
import { drainInbox } from '../../src/ingest/ingestFiles.ts';

const TOTAL = 120;

function a28(i: number): string {
  const id = `CR${String(i).padStart(5, '0')}`;
  return [
    `MSH|^~\\&|PAS|RJE|OHC|OHC|2024010110${String(i % 60).padStart(2, '0')}00||ADT^A28^ADT_A05|MSG${id}|P|2.4`,
    'EVN|A28|20240101100000',
    `PID|1||${testRangeNhsNumber(5000 + i)}^^^NHS^NH~${id}^^^RJE^PI||Crashtest^Person${i}||19700101|F|||1 High Street^^Stoke-on-Trent^^ST4 1AA`,
  ].join('\r');
}

function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/support/crashChild.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err.slice(0, 500)}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.each(testEngines())('crash safety on %s', (engine) => {
  it('keeps every acknowledged message exactly once across SIGKILLs', async () => {
    let args: string[];
    let open: () => Promise<Database>;
    let cleanup: () => Promise<void>;
    if (engine === 'pglite') {
      const dir = mkdtempSync(path.join(tmpdir(), 'ohc-crash-'));
      args = ['pglite', dir];
      open = () => openMigrated(() => openPGlite(dir));
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const url = process.env.TEST_DATABASE_URL!;
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`create schema ${schema}`);
      await c.end();
      args = ['postgres', url, schema];
      open = () => openMigrated(() => openPostgres({ url, schema }));
      cleanup = async () => {
        const d = new pg.Client({ connectionString: url });
        await d.connect();
        await d.query(`drop schema ${schema} cascade`);
        await d.end();
      };
    }
    // Register the sender (the embedded folder may be opened by one process at a time).
    const setup = await open();
    await ensureOrganisations(setup.db, [{ odsCode: 'RJE', name: 'UHNM', kind: 'acute', isaFrom: '2020-01-01' }]);
    await addFeed(setup.db, { id: 'rje-pas', organisationOds: 'RJE', format: 'hl7v2' });
    await setup.close();

    const acked = new Set<number>();
    let next = 0;
    let kills = 0;
    let rng = 12345;
    const random = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    while (acked.size < TOTAL) {
      const { child, port } = await startChild(args);
      const client = await MllpClient.connect('127.0.0.1', port);
      const killAfter = kills < 3 ? 10 + Math.floor(random() * 30) : Infinity;
      let sentHere = 0;
      const killer = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (sentHere >= killAfter) {
            clearInterval(check);
            kills++;
            void kill(child).then(resolve);
          }
        }, 1);
      });
      try {
        // After a restart the sender repeats the last acknowledged message too, as real senders do
        // when they are unsure: it must change nothing.
        if (next > 0) expect(ackCode(await client.send(a28(next - 1)))).toBe('AA');
        while (next < TOTAL) {
          sentHere++;
          const ack = await client.send(a28(next));
          expect(ackCode(ack)).toBe('AA');
          acked.add(next);
          next++;
        }
      } catch (e) {
        // Killed mid-message: that message had no ACK, so it is sent again. Anything else is a failure.
        if (!(e instanceof Error) || !/closed|ECONNRESET|EPIPE|no ACK/.test(e.message)) throw e;
      }
      if (next >= TOTAL) {
        await client.close();
        await kill(child);
        void killer;
        break;
      }
      await killer;
      await client.close().catch(() => undefined);
    }
    expect(kills).toBeGreaterThanOrEqual(1);

    const db = await open();
    try {
      await drainInbox(db.db, () => new Date());
      const inbox = await sql<{ n: number; distinct_ids: number }>`select count(*)::int8 as n, count(distinct message_id)::int8 as distinct_ids from inbox`.execute(db.db);
      expect(inbox.rows[0]).toEqual({ n: TOTAL, distinct_ids: TOTAL });
      const patients = await sql<{ n: number }>`select count(*)::int8 as n from resources where resource_type = 'Patient'`.execute(db.db);
      expect(patients.rows[0]!.n).toBe(TOTAL);
      const persons = await sql<{ n: number }>`select count(distinct person_id)::int8 as n from source_records`.execute(db.db);
      expect(persons.rows[0]!.n).toBe(TOTAL);
      const notDone = await sql<{ n: number }>`select count(*)::int8 as n from inbox where status <> 'done'`.execute(db.db);
      expect(notDone.rows[0]!.n).toBe(0);
    } finally {
      await db.close();
      await cleanup();
    }
  }, 120_000);
});
