/**
 * Throughput of chaining and verifying (not a test): builds a realistic log in memory, then times
 * verifyChain over it as a sync array and as an async stream. Run: npx tsx src/audit/chain/measure.ts [events]
 */
import { performance } from 'node:perf_hooks';
import { GENESIS_HEAD, type AuditEvent, type AuditEventDraft } from './event.ts';
import { chainMany } from './hash.ts';
import { verifyChain } from './verify.ts';

const n = Number(process.argv[2] ?? 300_000);

function draft(i: number): AuditEventDraft {
  const t = new Date(Date.UTC(2025, 0, 1) + i * 250).toISOString();
  return i % 5 === 0
    ? {
        time: t,
        actor: { kind: 'user', id: `user-${i % 997}`, organisationOds: 'RX1', role: 'clinician' },
        action: 'search',
        purpose: 'direct-care',
        outcome: 'success',
        details: { terms: { family: 'Smith', birthDate: '1970-01-01' }, results: 3 },
      }
    : {
        time: t,
        actor: { kind: 'user', id: `user-${i % 997}`, organisationOds: 'RX1', role: 'clinician' },
        action: 'view',
        personId: `person-${i % 50_000}`,
        purpose: 'direct-care',
        outcome: 'success',
        details: { resources: [`Condition/c-${i}`, `MedicationStatement/m-${i}`], view: 'summary' },
      };
}

const drafts = Array.from({ length: n }, (_, i) => draft(i));
// CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
let t0 = performance.now();
let c0 = process.cpuUsage();
const events = chainMany(GENESIS_HEAD, drafts);
const chainMs = performance.now() - t0;
const chainCpu = cpuMs(c0);

async function* stream(list: readonly AuditEvent[]): AsyncGenerator<AuditEvent> {
  // Pages of 1000, like a database cursor would deliver.
  for (let i = 0; i < list.length; i += 1000) {
    const page = list.slice(i, i + 1000);
    await Promise.resolve();
    yield* page;
  }
}

t0 = performance.now();
c0 = process.cpuUsage();
const syncResult = await verifyChain(events);
const syncMs = performance.now() - t0;
const syncCpu = cpuMs(c0);
t0 = performance.now();
c0 = process.cpuUsage();
const asyncResult = await verifyChain(stream(events));
const asyncMs = performance.now() - t0;
const asyncCpu = cpuMs(c0);

const rate = (ms: number): number => Math.round(n / (ms / 1000));
const rows = [
  { step: 'chainMany', events: n, ms: Math.round(chainMs), perSecond: rate(chainMs), perCpuSecond: rate(chainCpu) },
  { step: 'verifyChain (array)', events: n, ms: Math.round(syncMs), perSecond: rate(syncMs), perCpuSecond: rate(syncCpu), ok: syncResult.ok },
  { step: 'verifyChain (async stream)', events: n, ms: Math.round(asyncMs), perSecond: rate(asyncMs), perCpuSecond: rate(asyncCpu), ok: asyncResult.ok },
];
console.table(rows);
console.log(JSON.stringify({ bytesPerEventApprox: JSON.stringify(events[1]).length, rows }));
