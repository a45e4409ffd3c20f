/**
 * Audit events of the system's own changes (registry, feeds, replays, links made by ingestion),
 * appended in the caller's transaction like every other event.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { appendAudit, appendAuditMany } from './log.ts';
import type { AuditAction, AuditActor, JsonObject } from './chain/index.ts';

export const CLI: AuditActor = { kind: 'system', id: 'ohc-cli' };

export async function auditChange(trx: Kysely<Tables>, actor: AuditActor, action: AuditAction, details: JsonObject, now: Date, personId?: string): Promise<void> {
  await appendAudit(trx, { time: now.toISOString(), actor, action, outcome: 'success', details, ...(personId ? { personId } : {}) });
}

/** Person-index link changes made while applying a feed's data: the feed is the actor. */
export async function auditLinkChanges(trx: Kysely<Tables>, feedId: string, organisationOds: string, changes: Array<{ feedId: string; localId: string; from: string; to: string }>, now: Date): Promise<void> {
  if (changes.length === 0) return;
  await appendAuditMany(trx, changes.map((c) => ({
    time: now.toISOString(), actor: { kind: 'feed', id: feedId, organisationOds }, action: 'mpi-link-changed' as const, outcome: 'success' as const,
    personId: c.to, details: { feedId: c.feedId, localId: c.localId, fromPersonId: c.from, toPersonId: c.to, reason: 'source data' },
  })));
}
