/**
 * Shared by this folder's tests and the benchmark: realistic drafts for every kind of audited act,
 * a deterministic signing key, and the superuser path that tampers with the stored log (triggers
 * off for one transaction), as an attacker with database access would.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { AUDIT_ACTIONS, checkpointKeysFromSeed, type AuditAction, type AuditEventDraft } from './chain/index.ts';
import { auditSignerFromPem, type AuditSettings } from './settings.ts';

export const TEST_KEYS = checkpointKeysFromSeed('audit-test-key', new Uint8Array(32).fill(7));

export function testSettings(checkpointEvery = 0, retentionDays = 365): AuditSettings {
  return { checkpointEvery, retentionDays, signer: auditSignerFromPem(TEST_KEYS.privateKeyPem, TEST_KEYS.keyId) };
}

export const PERSON_A = '6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e';
export const PERSON_B = '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d';

const CLINICIAN = { kind: 'user', id: 'u-clin-1', organisationOds: 'RX1', role: 'clinician' } as const;

/** What each kind of act records, as the modules that call appendAudit would write it. */
export function draftFor(action: AuditAction, time: string): AuditEventDraft {
  const base = { time, actor: CLINICIAN, outcome: 'success' as const };
  switch (action) {
    case 'sign-in': return { ...base, action, details: { method: 'password', mfa: true } };
    case 'sign-in-failed': return { ...base, action, outcome: 'failure', details: { method: 'password', reason: 'wrong password' } };
    case 'sign-out': return { ...base, action, details: {} };
    case 'token-issued': return { ...base, action, details: { subject: 'feed:rje-pas', ttlSeconds: 3600 } };
    case 'search': return { ...base, action, purpose: 'direct-care', details: { terms: { family: 'Example', birthDate: '1970-01-01' }, results: 2 } };
    case 'view': return { ...base, action, personId: PERSON_A, purpose: 'direct-care', details: { resources: ['Condition/c-1', 'AllergyIntolerance/a-9'], view: 'summary' } };
    case 'export': return { ...base, action, personId: PERSON_A, purpose: 'rights-request', details: { resources: ['Patient/' + PERSON_A], format: 'fhir-bundle' } };
    case 'declare-relationship': return { ...base, action, personId: PERSON_A, purpose: 'direct-care', details: { reason: 'Attending the ward round' } };
    case 'access-override': return { ...base, action, personId: PERSON_A, purpose: 'emergency-care', details: { reason: 'Unconscious in ED' } };
    case 'access-denied': return { ...base, action, personId: PERSON_B, outcome: 'denied', purpose: 'direct-care', details: { reason: 'objection', rule: 'objection-recorded' } };
    case 'objection-recorded': return { ...base, action, personId: PERSON_B, purpose: 'rights-request', details: { channel: 'pals' } };
    case 'objection-withdrawn': return { ...base, action, personId: PERSON_B, purpose: 'rights-request', details: { channel: 'gp' } };
    case 'restriction-changed': return { ...base, action, personId: PERSON_A, purpose: 'rights-request', details: { scope: 'entry', entry: 'Condition/c-1', change: 'added' } };
    case 'rights-case-changed': return { ...base, action, personId: PERSON_A, purpose: 'rights-request', details: { case: 'RC-1', status: 'routed' } };
    case 'alert-raised': return { time, actor: { kind: 'system', id: 'privacy-monitor' }, action, personId: PERSON_A, outcome: 'success', details: { rule: 'same-surname', user: 'u-clin-1' } };
    case 'alert-concluded': return { ...base, actor: { kind: 'user', id: 'u-ig-1', organisationOds: 'RX1', role: 'ig-officer' }, action, purpose: 'information-governance', details: { alert: 17, conclusion: 'appropriate' } };
    case 'user-changed': return { ...base, actor: { kind: 'user', id: 'u-admin', role: 'system-admin' }, action, purpose: 'administration', details: { user: 'u-clin-2', change: 'suspended' } };
    case 'feed-changed': return { ...base, actor: { kind: 'user', id: 'u-admin', role: 'system-admin' }, action, purpose: 'administration', details: { feed: 'rje-pas', change: 'added' } };
    case 'organisation-changed': return { ...base, actor: { kind: 'user', id: 'u-admin', role: 'system-admin' }, action, purpose: 'administration', details: { organisation: 'RX1', change: 'isa-renewed' } };
    case 'mpi-link-changed': return { time, actor: { kind: 'feed', id: 'rje-pas', organisationOds: 'RX1' }, action, personId: PERSON_A, outcome: 'success', details: { sourceRecord: 'rje-pas/123', how: 'nhs-number', from: null, to: PERSON_A } };
    case 'dead-letter-replayed': return { ...base, actor: { kind: 'user', id: 'u-admin', role: 'system-admin' }, action, purpose: 'administration', details: { deadLetter: 42, result: 'accepted' } };
    case 'audit-viewed': return { ...base, actor: { kind: 'user', id: 'u-ig-1', organisationOds: 'RX1', role: 'ig-officer' }, action, personId: PERSON_A, purpose: 'information-governance', details: { query: 'patient' } };
    case 'statistics-viewed': return { ...base, actor: { kind: 'user', id: 'u-analyst', organisationOds: 'RX1', role: 'analyst' }, action, purpose: 'administration', details: { route: 'statistics', excludesObjections: true } };
    case 'audit-purged': return { time, actor: { kind: 'system', id: 'audit-retention' }, action, outcome: 'success', purpose: 'information-governance', details: { purged: 0 } };
    case 'checkpoint': return { time, actor: { kind: 'system', id: 'audit-checkpoint' }, action, outcome: 'success', details: {} };
  }
}

/** One draft of every action, a second apart from `start`. */
export function oneOfEach(start = Date.UTC(2025, 0, 15, 9)): AuditEventDraft[] {
  return AUDIT_ACTIONS.filter((a) => a !== 'checkpoint').map((a, i) => draftFor(a, new Date(start + i * 1000).toISOString()));
}

/** Runs `work` with the immutability triggers off (superuser only): how an attacker with the database would tamper. */
export async function tamper(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await work(trx);
  });
}
