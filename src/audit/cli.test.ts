import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { Command } from 'commander';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { transaction } from '../store/db.ts';
import { loadConfig } from '../config/config.ts';
import type { CliContext } from '../cli/context.ts';
import { registerAudit } from '../cli/commands/audit.ts';
import { appendAuditMany } from './log.ts';
import { configureAudit, auditSettings, auditSettingsFromEnv } from './settings.ts';
import { oneOfEach, PERSON_A, tamper, testSettings } from './testSupport.ts';

/** One event of each kind is appended first. */
const N = oneOfEach().length;

function cli(t: TestDatabase): { run: (...args: string[]) => Promise<{ out: string; error?: Error }> } {
  return {
    async run(...args) {
      let out = '';
      const ctx: CliContext = {
        config: loadConfig({}), cwd: process.cwd(), out: (s) => void (out += s), err: (s) => void (out += s),
        stdin: async () => '', database: async () => t, forwarded: false,
      };
      const program = new Command('ohc').exitOverride();
      registerAudit(program, ctx);
      try {
        await program.parseAsync(['node', 'ohc', ...args]);
        return { out };
      } catch (error) {
        return { out, error: error as Error };
      }
    },
  };
}

describe.each(testEngines())('ohc audit on %s', (engine) => {
  let t: TestDatabase;
  const saved = auditSettings();
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    configureAudit(testSettings(0, 30));
    await transaction(t.db, (trx) => appendAuditMany(trx, oneOfEach()));
    await t.db.insertInto('organisations').values({ ods_code: 'RX1', name: 'County Hospital', kind: 'acute', synthetic: true }).execute();
    await t.db.insertInto('feeds').values({ id: 'rx1-pas', organisation_ods: 'RX1', format: 'hl7v2' }).execute();
    await t.db.insertInto('persons').values({ id: PERSON_A }).execute();
    await t.db.insertInto('source_records').values({
      feed_id: 'rx1-pas', local_id: 'L1', person_id: PERSON_A, nhs_number: '9990000018', demographics: '{}', data_quality: '[]', source_version: '1', link_how: 'nhs-number', link_score: null, retired_into: null,
    }).execute();
  });
  afterAll(async () => {
    configureAudit(saved);
    await t.dispose();
  });

  it('verify reports an intact log, in words and as JSON', async () => {
    const words = await cli(t).run('audit', 'verify');
    expect(words.error).toBeUndefined();
    expect(words.out).toMatch(new RegExp(`^audit log intact: ${N} events checked from the first event to seq ${N}`));
    const json = await cli(t).run('audit', 'verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, count: N, lastSeq: N });
  });

  it('query --nhs lists the events about that person and records the look itself', async () => {
    const r = await cli(t).run('audit', 'query', '--nhs', '999 000 0018', '--json');
    expect(r.error).toBeUndefined();
    const events = JSON.parse(r.out) as { personId?: string; action: string }[];
    expect(events.length).toBeGreaterThan(5);
    expect(events.every((e) => e.personId === PERSON_A)).toBe(true);
    const last = await t.db.selectFrom('audit_events').select(['action', 'person_id', 'actor_id']).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last).toEqual({ action: 'audit-viewed', person_id: PERSON_A, actor_id: 'ohc-cli' });
  });

  it('query --user prints a table of that user’s events', async () => {
    const r = await cli(t).run('audit', 'query', '--user', 'u-admin');
    expect(r.error).toBeUndefined();
    expect(r.out.split('\n')[0]).toMatch(/^seq\s+time\s+actor\s+org\s+role\s+action/);
    expect(r.out).toContain('user:u-admin');
    expect(r.out).toContain('feed-changed');
  });

  it.each([
    [['audit', 'query'], /exactly one of --nhs or --user/],
    [['audit', 'query', '--nhs', '12'], /not 10 digits/],
    [['audit', 'query', '--nhs', '9990000026'], /no person has that NHS number/],
    [['audit', 'query', '--user', 'x', '--from', 'soon'], /--from is not a date/],
    [['audit', 'purge', '--before', '2999-01-01'], /inside the retention period/],
  ])('refuses %j with one line', async (args, message) => {
    const r = await cli(t).run(...args);
    expect(r.error?.message).toMatch(message);
  });

  it('purge removes what is past retention and verify still passes', async () => {
    const r = await cli(t).run('audit', 'purge', '--before', '2025-01-16', '--json');
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.out)).toMatchObject({ purged: N, purgedThroughSeq: N });
    const v = await cli(t).run('audit', 'verify');
    expect(v.out).toMatch(new RegExp(`from after the purge boundary at seq ${N}`));
  });

  it('checkpoint signs the head and prints the key to publish', async () => {
    const r = await cli(t).run('audit', 'checkpoint', '--json');
    const { checkpoint, publicKeyPem } = JSON.parse(r.out) as { checkpoint: { seq: number; signature: string }; publicKeyPem: string };
    expect(checkpoint.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(publicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('verify names the first bad event and fails (exit 1)', async () => {
    await tamper(t.db, async (trx) => void (await sql`update audit_events set actor_id = 'u-other' where seq = 25`.execute(trx)));
    const r = await cli(t).run('audit', 'verify');
    expect(r.out).toMatch(/^audit log NOT intact: first bad event is seq 25 \(edited\)/);
    expect(r.error).toMatchObject({ name: 'UserError', exitCode: 1 });
  });
});

describe('audit settings from the environment', () => {
  it.each([
    [{}, { checkpointEvery: 10_000, retentionDays: 2928 }],
    [{ OHC_AUDIT_CHECKPOINT_EVERY: '500', OHC_AUDIT_RETENTION_DAYS: '3650' }, { checkpointEvery: 500, retentionDays: 3650 }],
  ])('reads %j', (env, expected) => {
    expect(auditSettingsFromEnv(env)).toEqual(expected);
  });

  it.each([
    [{ OHC_AUDIT_RETENTION_DAYS: '0' }, /OHC_AUDIT_RETENTION_DAYS: 0 is outside/],
    [{ OHC_AUDIT_CHECKPOINT_EVERY: 'often' }, /OHC_AUDIT_CHECKPOINT_EVERY: "often" is not a whole number/],
    [{ OHC_AUDIT_SIGNING_KEY_FILE: '/nonexistent/key.pem' }, /OHC_AUDIT_SIGNING_KEY_FILE: cannot be read/],
  ])('refuses %j', (env, message) => {
    expect(() => auditSettingsFromEnv(env)).toThrow(message);
  });
});
