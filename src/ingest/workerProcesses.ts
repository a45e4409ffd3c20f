/**
 * The server's side of inbox workers run in their own processes (PostgreSQL only; see
 * workerProcess.ts for why). Looks to the server like in-process workers: wake, drained, stop.
 *
 * A worker process that dies is started again after a pause; what it had in hand was rolled back
 * to pending by PostgreSQL, so nothing is lost. The embedded engine has one connection, owned by
 * the server's process, so there the workers stay in-process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PostgresOptions } from '../store/db.ts';
import type { Workers } from './worker.ts';

/** What the server passes, as JSON in the environment (not argv: the URL may hold a password). */
export interface WorkerProcessSpec {
  postgres: PostgresOptions;
  workers: number;
  share: { of: number; first: number };
  /** Added to the process's niceness (0 = the server's priority). */
  nice: number;
  /** Workers ask the server (give-way) before each claim; without, they never ask. */
  giveWay: boolean;
}

export const SPEC_VARIABLE = 'OHC_WORKER_PROCESS_SPEC';

export type ToWorkerProcess = { type: 'wake' } | { type: 'drained'; id: number } | { type: 'go'; id: number } | { type: 'stop' };
export type FromWorkerProcess = { type: 'ready' } | { type: 'drained'; id: number } | { type: 'give-way'; id: number } | { type: 'error'; message: string };

/**
 * Niceness added to worker processes. At 10 the kernel gives a busy worker about a tenth of the
 * share of a busy server when both want the same core, and everything spare when the server is
 * idle: the backlog drains at full speed between bursts and still moves during them.
 */
export const WORKER_NICE = 10; // the default of OHC_INGEST_WORKER_NICE
const RESTART_DELAY_MS = 1000;
/** Least time between two wakes sent to the worker processes. */
const WAKE_GAP_MS = 10;
const STOP_GRACE_MS = 30_000;

export interface WorkerProcessOptions {
  processes: number;
  /** Workers in each process. */
  workersEach: number;
  postgres: PostgresOptions;
  nice?: number;
  /**
   * Asked by a worker before each claim; the worker goes on when it resolves (the server's inbox
   * writer giving way to senders: see givingWayTo in worker.ts). Default: at once.
   */
  giveWay?: () => Promise<void>;
  onError: (err: unknown) => void;
}

/** The module to fork, and how: the TypeScript sources run through tsx, a build runs as is. */
function entry(): { file: string; execArgv: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(fromSources ? './workerProcess.ts' : './workerProcess.js', import.meta.url));
  const execArgv = fromSources ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  // A profiled server profiles its workers too.
  execArgv.push(...process.execArgv.filter((a) => a.startsWith('--cpu-prof')));
  return { file, execArgv };
}

export function startWorkerProcesses(opts: WorkerProcessOptions): Workers & { pids(): number[]; ready(): Promise<void> } {
  const { file, execArgv } = entry();
  let stopping = false;
  let nextId = 0;

  const slots = Array.from({ length: opts.processes }, (_, p) => {
    const spec: WorkerProcessSpec = {
      postgres: opts.postgres, workers: opts.workersEach, nice: opts.nice ?? WORKER_NICE, giveWay: opts.giveWay !== undefined,
      share: { of: opts.processes * opts.workersEach, first: p * opts.workersEach },
    };
    const slot = {
      child: null as ChildProcess | null,
      exited: Promise.resolve(),
      // drained questions asked of the current process; answered, or given up when it ends.
      asked: new Map<number, () => void>(),
      // Resolved when the first process has connected and its workers have started.
      ready: null as Promise<void> | null,
      start() {
        const child = fork(file, [], {
          execArgv, env: { ...process.env, [SPEC_VARIABLE]: JSON.stringify(spec) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        slot.child = child;
        let started = () => undefined as void;
        slot.ready ??= new Promise<void>((resolve) => { started = resolve; });
        child.on('message', (m: FromWorkerProcess) => {
          if (m.type === 'ready') started();
          else if (m.type === 'drained') {
            slot.asked.get(m.id)?.();
            slot.asked.delete(m.id);
          } else if (m.type === 'give-way') {
            const go = () => void slot.send({ type: 'go', id: m.id });
            if (opts.giveWay) opts.giveWay().then(go, go);
            else go();
          } else if (m.type === 'error') opts.onError(new Error(m.message));
        });
        child.on('error', (err) => opts.onError(err));
        slot.exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
          slot.child = null;
          // Whoever waited on this process asks again (drained() polls the inbox itself).
          for (const done of slot.asked.values()) done();
          slot.asked.clear();
          if (!stopping) {
            opts.onError(new Error(`ingest worker process ${p} ended (${signal ?? `exit ${code}`}); starting another`));
            setTimeout(() => { if (!stopping) slot.start(); }, RESTART_DELAY_MS).unref();
          }
          resolve();
        }));
      },
      send(m: ToWorkerProcess): boolean {
        const c = slot.child;
        if (!c?.connected) return false;
        // The process may end between the check and the write: that is handled on its exit.
        c.send(m, () => undefined);
        return true;
      },
    };
    slot.start();
    return slot;
  });

  // Every stored message wakes the workers, but an IPC message costs both processes a system call
  // and a turn of their event loops, and workers in the middle of a batch need no waking: the
  // first store after a quiet spell wakes them at once, and a steady stream at most once every
  // WAKE_GAP_MS (a worker that found nothing claims again within EMPTY_CLAIM_GAP_MS anyway).
  let wakeQueued = false;
  let lastWake = -Infinity;
  return {
    /** The processes running now (tests kill one to see nothing is lost). */
    pids: () => slots.flatMap((s) => (s.child?.pid !== undefined ? [s.child.pid] : [])),
    /** Every process has started its workers (the benchmark's clock starts here, as a server's would long before). */
    ready: () => Promise.all(slots.map((s) => s.ready ?? Promise.resolve())).then(() => undefined),
    wake() {
      if (wakeQueued || stopping) return;
      wakeQueued = true;
      const send = () => {
        wakeQueued = false;
        lastWake = performance.now();
        for (const s of slots) s.send({ type: 'wake' });
      };
      const wait = lastWake + WAKE_GAP_MS - performance.now();
      if (wait <= 0) setImmediate(send);
      else setTimeout(send, wait).unref();
    },
    drained: () => Promise.all(slots.map((s) => new Promise<void>((resolve) => {
      const id = nextId++;
      s.asked.set(id, resolve);
      // No process just now (between a crash and its restart): the caller asks the inbox and comes back.
      if (!s.send({ type: 'drained', id })) {
        s.asked.delete(id);
        setTimeout(resolve, RESTART_DELAY_MS);
      }
    }))).then(() => undefined),
    async stop() {
      stopping = true;
      await Promise.all(slots.map(async (s) => {
        const c = s.child;
        if (!c) return;
        const timer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
        if (!s.send({ type: 'stop' })) c.kill('SIGTERM');
        await s.exited;
        clearTimeout(timer);
      }));
    },
  };
}
