/**
 * Whether the PostgreSQL server keeps what the system promises. Senders are acknowledged only once
 * a message is stored (the inbox), and the audit trail is written with every read: both rely on a
 * commit being on disk when PostgreSQL says it is. Three server settings break that, and none of
 * them shows until a crash: the server says so at start, once, naming the setting.
 *
 * synchronous_commit is read for the server's own connections (a role or database setting applies
 * there); `local`, `remote_write` and `remote_apply` all still flush locally, only `off` does not.
 */
import { sql, type Kysely } from 'kysely';

export interface DurabilitySettings {
  fsync: string;
  synchronousCommit: string;
  fullPageWrites: string;
}

/** Warnings for settings that can lose or corrupt committed data on a crash; none when all is well. */
export function durabilityWarnings(s: DurabilitySettings): string[] {
  const out: string[] = [];
  if (s.fsync === 'off') {
    out.push('PostgreSQL runs with fsync = off: a crash can lose or corrupt committed data, including acknowledged messages and the audit trail; set fsync = on');
  }
  if (s.synchronousCommit === 'off') {
    out.push('PostgreSQL runs with synchronous_commit = off for this server\'s connections: the last moments of acknowledged messages and audit entries can be lost in a crash; set synchronous_commit = on');
  }
  if (s.fullPageWrites === 'off') {
    out.push('PostgreSQL runs with full_page_writes = off: a crash during a write can leave torn pages; set full_page_writes = on');
  }
  return out;
}

/** The three settings as this connection sees them. */
export async function readDurabilitySettings<T>(db: Kysely<T>): Promise<DurabilitySettings> {
  const r = await sql<{ fsync: string; synchronous_commit: string; full_page_writes: string }>`
    select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit,
           current_setting('full_page_writes') as full_page_writes`.execute(db);
  const row = r.rows[0]!;
  return { fsync: row.fsync, synchronousCommit: row.synchronous_commit, fullPageWrites: row.full_page_writes };
}
