/**
 * A process of inbox workers on PostgreSQL, started by the server (see workerProcesses.ts). Mapping
 * and matching then run apart from the event loop that answers senders, so an ACK never waits
 * behind a worker's CPU work, and at a lower scheduling priority, so that when the machine is
 * short of CPU, acknowledging senders comes first and the workers take what is left — never
 * nothing, so the backlog still drains while senders send.
 *
 * Nothing is lost if this process dies at any moment: the inbox is the truth, a batch is one
 * transaction, and PostgreSQL rolls back the batch of a connection that went away; the server
 * starts another process. It ends itself when the server goes away (the IPC channel closes).
 *
 * Messages from the server: wake (something was stored), drained (answer once every worker here
 * found its share empty), go (the answer to give-way), stop. To the server: ready, drained,
 * give-way (a worker asks before each claim, so that senders come first: see givingWayTo), error.
 */
import os from 'node:os';
import { openPostgres } from '../store/db.ts';
import { startWorkers } from './worker.ts';
import { mapStored } from './mapStored.ts';
import { auditBatchLinks } from './auditLinks.ts';
import { categoriseResource } from '../access/policy/index.ts';
import { SPEC_VARIABLE, type FromWorkerProcess, type ToWorkerProcess, type WorkerProcessSpec } from './workerProcesses.ts';

async function main(spec: WorkerProcessSpec): Promise<void> {
  // The channel may close between the check and the write (the server went away): not an error here.
  const send = (m: FromWorkerProcess) => {
    if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
  };
  if (spec.nice > 0) {
    try {
      os.setPriority(Math.min(19, os.getPriority() + spec.nice));
    } catch {
      // Not allowed here (some containers): the workers run at the server's priority.
    }
  }
  if (!process.connected) process.exit(0);
  const database = await openPostgres({ ...spec.postgres, poolSize: spec.workers + 1 });
  const now = () => new Date();
  // Workers waiting for the server's go, by question; all let go should the server go away.
  const waiting = new Map<number, () => void>();
  let asked = 0;
  const giveWay = () => new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    const id = asked++;
    waiting.set(id, resolve);
    send({ type: 'give-way', id });
  });
  const letGo = (id: number) => {
    waiting.get(id)?.();
    waiting.delete(id);
  };
  const workers = startWorkers({
    db: database.db, mapStored, now,
    categorise: (r) => categoriseResource(r as never),
    onBatch: auditBatchLinks(now),
  }, spec.workers, (err) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }), { share: spec.share, ...(spec.giveWay ? { giveWay } : {}) });
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    await workers.stop();
    await database.close();
    if (process.connected) process.disconnect();
    process.exit(0);
  })());
  process.on('message', (m: ToWorkerProcess) => {
    if (m.type === 'wake') workers.wake();
    else if (m.type === 'go') letGo(m.id);
    else if (m.type === 'drained') void workers.drained().then(() => send({ type: 'drained', id: m.id }));
    else if (m.type === 'stop') void stop();
  });
  // The server went away (even by SIGKILL): finish the batch in hand and end. It may have gone
  // while this process was still loading, before anyone listened for the channel closing.
  process.on('disconnect', () => {
    for (const id of [...waiting.keys()]) letGo(id);
    void stop();
  });
  if (!process.connected) void stop();
  // Ctrl-C reaches the whole process group: the server decides when its workers stop (and if it
  // is gone, the channel closing says so). A service manager's SIGTERM stops them cleanly.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready' });
}

const raw = process.env[SPEC_VARIABLE];
if (raw) {
  main(JSON.parse(raw) as WorkerProcessSpec).catch((err: unknown) => {
    process.stderr.write(`ingest worker process: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
