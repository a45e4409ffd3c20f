/**
 * Throughput of decide(): a script, not a test (timings do not belong in a shared test run).
 * Run: npx tsx src/access/policy/measure.ts [calls]
 */
import { decide, type DecisionPerson, type DecisionUser } from './decide.ts';

const calls = Number(process.argv[2] ?? 1_000_000);
const now = new Date('2025-06-15T10:00:00Z');
const user: DecisionUser = {
  id: 'u1', organisation: { ods: 'RJE', kind: 'acute', isaMemberships: [{ from: '2020-01-01' }] }, role: 'clinician',
  status: 'active', trainingValidUntil: '2025-12-31', registration: { body: 'GMC', number: '1234567' }, mfaSatisfied: true,
};
// A realistic mix: allowed via an admission, allowed via a declaration, refused for no relationship, opted out.
const persons: DecisionPerson[] = [
  { exists: true, optedOut: false, restriction: { wholeRecord: false, entryIds: ['e1'] }, facts: {
    gpRegistrations: [{ ods: 'M83001', from: '2001-01-01' }],
    involvements: [{ kind: 'encounter', ods: 'RTG', start: '2025-01-01', end: '2025-01-02' }, { kind: 'admission', ods: 'RJE', start: '2025-06-10' }],
  } },
  { exists: true, optedOut: false, facts: { declarations: [{ userId: 'u1', ods: 'RJE', reason: 'emergency', detail: 'ED', declaredAt: '2025-06-15T09:00:00Z' }] } },
  { exists: true, optedOut: false, facts: { involvements: [{ kind: 'referral', ods: 'RTG', start: '2025-05-01' }] } },
  { exists: true, optedOut: true },
];

let allowed = 0;
for (let i = 0; i < 10_000; i++) decide(user, persons[i % 4] ?? null, 'direct-care-view', now);
const t0 = process.hrtime.bigint();
for (let i = 0; i < calls; i++) if (decide(user, persons[i & 3] ?? null, 'direct-care-view', now).allow) allowed++;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const result = { calls, seconds: Number(seconds.toFixed(3)), decisionsPerSecond: Math.round(calls / seconds), allowed };
console.error(`decide(): ${calls} calls in ${result.seconds} s = ${result.decisionsPerSecond.toLocaleString('en-GB')} decisions/s`);
console.log(JSON.stringify(result));
