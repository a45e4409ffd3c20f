/**
 * How the access capability writes to the audit log without depending on its writer: every change
 * is handed to an injected sink inside the transaction that makes the change, so the change and its
 * audit entry commit together or not at all.
 */
import type { Kysely } from 'kysely';
import type { AuditActor, AuditEventDraft } from '../audit/chain/index.ts';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';

export type AuditSink = (trx: Kysely<Tables>, draft: AuditEventDraft) => Promise<void>;

/** The administrator at the server host, acting through `ohc`. */
export const CLI_ACTOR: AuditActor = { kind: 'system', id: 'ohc-cli' };

export interface ActingUser { readonly id: string; readonly organisationOds: string; readonly role: string }

export function userActor(u: ActingUser): AuditActor {
  return { kind: 'user', id: u.id, organisationOds: u.organisationOds, role: u.role };
}

export function auditTime(now: Date): string {
  return now.toISOString();
}

/** Runs `work` in the caller's transaction when given one, otherwise in a new one. */
export function inTransaction<T>(db: Kysely<Tables>, work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : transaction(db, work);
}
