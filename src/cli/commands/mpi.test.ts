import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { createTestDatabase, testEngines, type TestDatabase } from '../../store/testing.ts';
import { loadConfig } from '../../config/config.ts';
import { UserError, type CliContext } from '../context.ts';
import { registerMpi } from './mpi.ts';
import { FEEDS, link, memoryAudit, personOf, registerFixtureFeeds } from '../../mpi/testSupport.ts';

describe.each(testEngines())('ohc mpi on %s', (engine) => {
  let t: TestDatabase;
  let dir: string;
  const audit = memoryAudit();
  const run = async (...args: string[]): Promise<string> => {
    let out = '';
    const ctx: CliContext = {
      config: loadConfig({}), cwd: dir, out: (s) => { out += s; }, err: () => undefined,
      stdin: async () => '', database: async () => t, forwarded: false,
    };
    const program = new Command('ohc').exitOverride();
    registerMpi(program, ctx, { audit: audit.sink, now: () => new Date('2026-03-01T12:00:00Z') });
    await program.parseAsync(args, { from: 'user' });
    return out;
  };
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    dir = mkdtempSync(path.join(tmpdir(), 'ohc-mpi-cli-'));
    await registerFixtureFeeds(t.db);
    const base = { family: 'Pemberton', given: ['Rosa'], birthDate: '1977-08-09', sex: 'female' as const, postcode: 'TR1 1AA', addressLines: ['2 Lemon Street'] };
    await link(t.db, FEEDS.gp, { ...base, localId: 'g1', nhsNumber: '9434765919', nhsNumberVerified: true });
    await link(t.db, FEEDS.acute, { ...base, localId: 'a1', nhsNumber: '9434765919' });
    await link(t.db, FEEDS.council, { ...base, localId: 'c1', given: ['Rosalind'], birthDate: '1977-09-08', postcode: 'TR9 9ZZ', addressLines: [] });
  });
  afterAll(async () => {
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists links, evaluates them against a truth file and shows a person', async () => {
    const links = JSON.parse(await run('mpi', 'links', '--json')) as { feed_id: string; local_id: string; person_id: string }[];
    expect(links.map((l) => [l.feed_id, l.local_id])).toEqual([[FEEDS.council, 'c1'], [FEEDS.gp, 'g1'], [FEEDS.acute, 'a1']]);
    expect(links[1]!.person_id).toBe(links[2]!.person_id);
    writeFileSync(path.join(dir, 'truth.csv'), `feed_id,local_id,person_key\n${FEEDS.gp},g1,P1\n${FEEDS.acute},a1,P1\n${FEEDS.council},c1,P1\n`);
    const e = JSON.parse(await run('mpi', 'evaluate', '--truth', 'truth.csv', '--json')) as { precision: number; recall: number; unlinked: number };
    expect(e).toMatchObject({ precision: 1, recall: 1 / 3, unlinked: 0 });
    expect(await run('mpi', 'person', links[1]!.person_id)).toMatch(/family\s+Pemberton\s+gp-a81001\/g1\s+gp-registration/);
  });

  it('lists the review queue and settles an item, audited', async () => {
    const queue = JSON.parse(await run('mpi', 'review', '--json')) as { id: number; against: string[] }[];
    expect(queue).toHaveLength(1);
    expect(await run('mpi', 'review')).toMatch(/^id\s+reason\s+score/);
    expect(await run('mpi', 'review', 'accept', String(queue[0]!.id), '--by', 'reviewer-1', '--reason', 'same person, confirmed by phone')).toMatch(/^linked: person /);
    expect(await personOf(t.db, FEEDS.council, 'c1')).toBe(await personOf(t.db, FEEDS.gp, 'g1'));
    expect(audit.events.at(-1)).toMatchObject({ action: 'mpi-link-changed', actor: { kind: 'user', id: 'reviewer-1' }, details: { operation: 'review-accept' } });
    const err = await run('mpi', 'review', 'reject', '999999', '--by', 'reviewer-1').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(UserError);
  });

  it('rechecks records that were alone when filed', async () => {
    expect(await run('mpi', 'recheck')).toMatch(/^rechecked \d+ record\(s\); 0 moved to another person/);
  });

  it('estimates parameters from the stored records', async () => {
    expect(await run('mpi', 'estimate')).toMatch(/^estimated from 3 records/);
  });
});
