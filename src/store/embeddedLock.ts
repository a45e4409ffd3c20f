/**
 * One process at a time may open an embedded database folder: two PGlite instances writing one
 * folder would corrupt it. The owner writes ohc.lock (its pid, its command and, for a running
 * server, the control socket other commands can forward to). A lock whose process is gone is stale
 * and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface LockInfo { pid: number; command: string; startedAt: string; controlSocket?: string; httpUrl?: string; mllpPort?: number }

export type LockResult = { acquired: true; release: () => void; update: (info: Partial<LockInfo>) => void } | { acquired: false; heldBy: LockInfo };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'ohc.lock');
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** The live owner of the folder, if any. */
export function liveOwner(dataDir: string): LockInfo | null {
  const info = readLock(dataDir);
  return info && info.pid !== process.pid && alive(info.pid) ? info : null;
}

export function tryLock(dataDir: string, command: string): LockResult {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = readLock(dataDir);
      if (held && alive(held.pid)) return { acquired: false, heldBy: held };
      // Stale (its process died, e.g. kill -9) or half-written: take it over.
      rmSync(file, { force: true });
      continue;
    }
    let info: LockInfo = { pid: process.pid, command, startedAt: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const now = readLock(dataDir);
      if (now?.pid === process.pid) rmSync(file, { force: true });
    };
    const update = (more: Partial<LockInfo>) => {
      info = { ...info, ...more };
      const tmp = `${file}.${process.pid}`;
      const fd2 = openSync(tmp, 'w', 0o600);
      writeSync(fd2, JSON.stringify(info));
      closeSync(fd2);
      // rename over the old file is atomic: a reader never sees a half-written or missing lock.
      renameSync(tmp, file);
    };
    return { acquired: true, release, update };
  }
  throw new Error(`could not take the lock ${file}`);
}
