/**
 * Reading one person's combined record for a caller: load, apply the access decision's
 * obligations, assemble. Runs on the handle it is given (the read's transaction).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Decision, WithheldMarker } from '../access/policy/index.ts';
import { applyAccess } from './access.ts';
import { assembleRecord } from './assemble.ts';
import { loadPerson, type LoadedPerson } from './load.ts';
import type { CombinedRecord, StoredEntry } from './types.ts';

export interface ReadRecord {
  readonly record: CombinedRecord;
  readonly loaded: LoadedPerson;
  /** Entries the caller may see (before same-fact grouping). */
  readonly shown: readonly StoredEntry[];
  readonly withheld: readonly WithheldMarker[];
}

/**
 * `loaded`: the person's rows already read (by loadPersonWithFacts, with the same `types`), so that
 * they are not read again.
 */
export async function readRecord(
  db: Kysely<Tables>, personId: string, decision: Decision, now: Date, opts: { types?: readonly string[]; loaded?: LoadedPerson | null } = {},
): Promise<ReadRecord> {
  const loaded = opts.loaded ?? await loadPerson(db, personId, opts.types ? { types: opts.types } : {});
  const { shown, withheld } = applyAccess(decision, loaded.entries, loaded.organisations, now);
  const record = assembleRecord({
    person: { id: personId }, sourceRecords: loaded.sourceRecords, entries: shown, feeds: loaded.feeds,
    organisations: loaded.organisations, withheld, now,
  });
  return { record, loaded, shown, withheld };
}
