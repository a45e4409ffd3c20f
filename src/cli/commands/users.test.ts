import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { createTestDatabase, testEngines, type TestDatabase } from '../../store/testing.ts';
import { loadConfig } from '../../config/config.ts';
import { UserError, type CliContext } from '../context.ts';
import { registerUsers } from './users.ts';
import { registerObjection } from './objection.ts';
import { recordingSink, seedPartners, TEST_SCRYPT } from '../../access/testing.ts';
import { testRangeNhsNumber } from '../../nhs/nhsNumber.ts';

describe.each(testEngines())('ohc users and ohc objection on %s', (engine) => {
  let t: TestDatabase;
  const audit = recordingSink();
  let out = '';
  let stdin = '';
  const run = async (...args: string[]) => {
    out = '';
    const ctx: CliContext = {
      config: loadConfig({}), cwd: process.cwd(), out: (s) => { out += s; }, err: () => undefined,
      stdin: async () => stdin, database: async () => t, forwarded: false,
    };
    const program = new Command('ohc').exitOverride();
    registerUsers(program, ctx, { audit: audit.sink, access: { scrypt: TEST_SCRYPT } });
    registerObjection(program, ctx, { audit: audit.sink });
    await program.parseAsync(args, { from: 'user' });
    return out;
  };
  beforeAll(async () => {
    t = await createTestDatabase(engine);
    await seedPartners(t.db);
  });
  afterAll(async () => t.dispose());

  it('adds a user with a password from standard input and a second factor, and lists it', async () => {
    stdin = 'lighthouse pepper violin meadow\n';
    const text = await run('users', 'add', '--username', 'j.smith', '--name', 'Jo Smith', '--org', 'RJE', '--role', 'clinician',
      '--registration', 'NMC:12A3456E', '--training-until', '2026-03-31', '--password-stdin', '--totp');
    expect(text).toMatch(/^added j\.smith \(clinician at RJE\)\nauthenticator app: otpauth:\/\/totp\//);
    const list = JSON.parse(await run('users', 'list', '--json')) as unknown[];
    expect(list).toEqual([{ username: 'j.smith', name: 'Jo Smith', organisation: 'RJE', role: 'clinician', registration: 'NMC:12A3456E', trainingUntil: '2026-03-31', status: 'active', secondFactor: 'totp' }]);
    expect(await run('users', 'list')).toMatch(/^username\s+name\s+organisation/);
  });

  it.each([
    [['users', 'add', '--username', 'x y', '--name', 'N', '--org', 'RJE', '--role', 'pals-officer'], /^username: /],
    [['users', 'add', '--username', 'xy', '--name', 'N', '--org', 'NOPE1', '--role', 'pals-officer'], /^org: .*ohc orgs add/],
    [['users', 'add', '--username', 'xy', '--name', 'N', '--org', 'RJE', '--role', 'clinician'], /^registration: /],
    [['users', 'add', '--username', 'xy', '--name', 'N', '--org', 'RJE', '--role', 'pals-officer', '--password-stdin'], /^password: /],
    [['users', 'suspend', '--username', 'nobody'], /^username: There is no user/],
    [['users', 'training', '--username', 'j.smith', '--until', 'soon'], /^until: /],
  ])('answers %j with a one-line error', async (args, message) => {
    stdin = args.includes('--password-stdin') ? 'password\n' : '';
    const err = await run(...args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(message);
    expect((err as UserError).message).not.toContain('\n');
  });

  it('suspends, reinstates and records training', async () => {
    expect(await run('users', 'suspend', '--username', 'j.smith')).toBe('suspended j.smith\n');
    expect(await run('users', 'reinstate', '--username', 'j.smith')).toBe('reinstated j.smith\n');
    expect(await run('users', 'training', '--username', 'j.smith', '--until', '2027-04-30')).toBe('training for j.smith valid until 2027-04-30\n');
  });

  it('records and withdraws an objection on behalf of PALS, and shows the history', async () => {
    stdin = '';
    await run('users', 'add', '--username', 'pals', '--name', 'Pat Pals', '--org', 'RJE', '--role', 'pals-officer', '--training-until', '2030-01-01');
    const nhs = testRangeNhsNumber(7);
    expect(await run('objection', 'record', '--nhs', nhs, '--channel', 'pals', '--by', 'pals')).toMatch(/^objection recorded at .* by pals \(pals\); no data has arrived/);
    const err = await run('objection', 'record', '--nhs', nhs, '--channel', 'pals', '--by', 'j.smith').catch((e: unknown) => e);
    expect((err as UserError).message).toMatch(/^by: That user may not record objections/);
    expect(JSON.parse(await run('objection', 'withdraw', '--nhs', nhs, '--channel', 'pals', '--by', 'pals', '--json'))).toMatchObject({ action: 'withdrawn', byUsername: 'pals' });
    expect((JSON.parse(await run('objection', 'history', '--nhs', nhs, '--json')) as { action: string }[]).map((e) => e.action)).toEqual(['recorded', 'withdrawn']);
  });
});
