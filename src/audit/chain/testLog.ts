/**
 * Synthetic audit logs for this folder's tests and measurements: varied actions, actors and details,
 * fixed times, no real people.
 */
import { AUDIT_ACTIONS, GENESIS_HEAD, type AuditEvent, type AuditEventDraft } from './event.ts';
import { chainMany } from './hash.ts';

export function sampleDraft(i: number): AuditEventDraft {
  const action = AUDIT_ACTIONS[i % AUDIT_ACTIONS.length] ?? 'view';
  const draft: AuditEventDraft = {
    time: new Date(Date.UTC(2025, 0, 1, 9) + i * 1000).toISOString(),
    actor: { kind: 'user', id: `user-${i % 7}`, organisationOds: i % 2 === 0 ? 'RX1' : 'A81001', role: 'clinician' },
    action,
    outcome: 'success',
    details: { n: i, resources: [`Condition/c-${i}`] },
  };
  if (i % 3 !== 0) draft.personId = `person-${i % 4}`;
  if (i % 2 === 0) draft.purpose = 'direct-care';
  return draft;
}

/** A valid log of n events starting at seq 1. */
export function sampleLog(n: number): AuditEvent[] {
  return chainMany(GENESIS_HEAD, Array.from({ length: n }, (_, i) => sampleDraft(i)));
}
