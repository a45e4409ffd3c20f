/**
 * One embedded database folder, many `ohc` commands: while `ohc serve` owns the folder, other
 * commands are forwarded to it and work; a second server stops at once with a clear message; a
 * lock left by a killed process is taken over. Runs the real `ohc` binary in child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tryLock } from '../../src/store/embeddedLock.ts';

const BIN = path.resolve('bin/ohc.js');

function ohc(dataDir: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, OHC_DATA_DIR: dataDir, PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8', input: input ?? '', timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the embedded database folder', () => {
  let dir: string;
  let server: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ohc-cli-'));
    server = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, OHC_DATA_DIR: dir, PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      server.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening')) resolve();
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a forwarded command quietly when its reader stops early (`ohc feeds | head -1`): exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [BIN, 'feeds'], { env: { ...process.env, OHC_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reading end closes before ohc has written anything, as `head` does once it has its line,
    // while the answer is still arriving from the server.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('forwards commands to the running server, which runs them on the database it owns', () => {
    const add = ohc(dir, ['orgs', 'add', '--ods', 'RJE', '--name', 'University Hospitals of North Midlands NHS Trust', '--kind', 'acute', '--isa-from', '2024-04-01']);
    expect(add).toMatchObject({ code: 0 });
    expect(add.out).toContain('registered RJE');
    const list = ohc(dir, ['orgs', 'list', '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.out) as Array<{ odsCode: string }>).map((o) => o.odsCode)).toEqual(['RJE']);
  }, 60_000);

  it('passes standard input through for --password-stdin', () => {
    const r = ohc(dir, ['users', 'add', '--username', 'pals.one', '--name', 'Pat Pals', '--org', 'RJE', '--role', 'pals-officer', '--training-until', '2030-01-01', '--password-stdin'], 'a long enough passphrase for tests\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(ohc(dir, ['users', 'list', '--json']).out).toContain('pals.one');
  }, 60_000);

  it('answers input errors with one line and a non-zero exit', () => {
    const r = ohc(dir, ['orgs', 'add', '--ods', 'R J', '--name', 'x', '--kind', 'spaceship']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^ohc: ODS code "R J" is not .*kind "spaceship" is not one of/);
  }, 60_000);

  it('refuses a second server on the same folder at once, saying what to do', () => {
    const r = ohc(dir, ['serve']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/in use by process \d+ \(ohc serve\); wait for it to finish or stop it/);
  }, 60_000);

  it('takes over a lock left by a process that died', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'ohc-lock-'));
    writeFileSync(path.join(other, 'ohc.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'serve', startedAt: new Date().toISOString() }));
    const lock = tryLock(other, 'test');
    expect(lock.acquired).toBe(true);
    const second = tryLock(other, 'test2');
    expect(second).toMatchObject({ acquired: false, heldBy: { pid: process.pid, command: 'test' } });
    if (lock.acquired) lock.release();
    expect(tryLock(other, 'test3').acquired).toBe(true);
    rmSync(other, { recursive: true, force: true });
  });

  it('refuses a bad configuration value with one line naming the variable', () => {
    const r = spawnSync(process.execPath, [BIN, 'orgs', 'list'], { env: { ...process.env, OHC_DATA_DIR: dir, PORT: 'eighty' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('ohc: PORT: "eighty" is not a whole number (for example PORT=8080)\n');
  });
});
