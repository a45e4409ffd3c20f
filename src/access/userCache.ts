/**
 * The users rows the read path needs (users joined to organisations, as loadDecisionUserRow reads
 * them), kept in memory while the database says nothing about them has changed, so that a request
 * with a known bearer token costs no statement to say who its user is.
 *
 * The database says so on channel ohc_users_changed: a trigger on users and on organisations
 * (migration 0017) notifies after every insert, update, delete or truncate, whoever makes it — this
 * server, another process (`ohc users suspend`), SQL typed by hand. Every notification forgets every
 * row. While nobody is listening (before the LISTEN is in place, after its connection is lost,
 * until it is back) a change could go unheard, so the cache is emptied and bypassed: every lookup
 * reads the database, exactly as without a cache.
 *
 * Rows, never decisions: the clock-dependent parts (a lock from failed sign-ins running out, the
 * training date passing) are worked out from the row on every request (decisionUserFromRow).
 *
 * The window that remains is the one there always was. The notification arrives just after the
 * commit that changed the user; a request that had already looked its user up by then is served
 * with the user as they were, exactly as a request that began just before the change would have
 * been when the row was read on every request. A lookup still reading the database when a
 * notification arrives is not kept (it may have read the row before the change).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Listen } from '../store/db.ts';
import { loadDecisionUserRow, type DecisionUserRow } from './users.ts';

export const USERS_CHANGED_CHANNEL = 'ohc_users_changed';

export type UserKey = string | { username: string };

export class UserRowCache {
  /** Each row under 'u:' + username and 'i:' + id, oldest first (a Map iterates in insertion order). */
  private readonly rows = new Map<string, DecisionUserRow>();
  /** True only while a LISTEN is in place: otherwise a change could go unheard. */
  private live = false;
  /** Counts forgettings, so that a lookup overtaken by one does not keep what it read. */
  private generation = 0;

  constructor(private readonly load: (key: UserKey) => Promise<DecisionUserRow | null>, readonly max = 10_000) {}

  static reading(db: Kysely<Tables>, max?: number): UserRowCache {
    return new UserRowCache((key) => loadDecisionUserRow(db, key), max);
  }

  get size(): number {
    return this.rows.size;
  }

  get listening(): boolean {
    return this.live;
  }

  async get(key: UserKey): Promise<DecisionUserRow | null> {
    const k = typeof key === 'string' ? `i:${key}` : `u:${key.username}`;
    if (this.live) {
      const hit = this.rows.get(k);
      if (hit) return hit;
    }
    const generation = this.generation;
    const row = await this.load(key);
    // Kept only if heard about throughout: listening when the read began and no change since.
    if (row && this.live && generation === this.generation) this.keep(row);
    return row;
  }

  /** A change was heard: forget everything. */
  changed(): void {
    this.generation++;
    this.rows.clear();
  }

  /** Whether a LISTEN is in place; either way what is kept is forgotten. */
  setListening(live: boolean): void {
    this.live = live;
    this.changed();
  }

  private keep(row: DecisionUserRow): void {
    for (const k of [`u:${row.username}`, `i:${row.id}`]) {
      this.rows.delete(k);
      // Oldest out first; two entries a row.
      while (this.rows.size >= 2 * this.max) this.rows.delete(this.rows.keys().next().value!);
      this.rows.set(k, row);
    }
  }
}

/**
 * Keeps `cache` listening on the database through `listen`: listens, and on losing the
 * connection marks the cache not listening and tries again every `retryMs` until close().
 */
export function watchUsers(
  cache: UserRowCache, listen: Listen, opts: { retryMs?: number; onError?: (err: unknown) => void } = {},
): { ready: Promise<void>; close(): Promise<void> } {
  const retryMs = opts.retryMs ?? 1000;
  let closed = false;
  let current: { close(): Promise<void> } | null = null;
  let timer: NodeJS.Timeout | null = null;
  let connecting: Promise<void> | null = null;

  const retry = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      connecting = connect();
    }, retryMs);
    timer.unref();
  };
  const connect = async (): Promise<void> => {
    let lost = false;
    try {
      const sub = await listen(USERS_CHANGED_CHANNEL, () => cache.changed(), (err) => {
        lost = true;
        current = null;
        cache.setListening(false);
        opts.onError?.(err);
        retry();
      });
      if (closed) return void (await sub.close());
      if (lost) return;
      current = sub;
      // From here every commit that changes a user is heard; what the cache reads now is current.
      cache.setListening(true);
    } catch (err) {
      cache.setListening(false);
      opts.onError?.(err);
      retry();
    }
  };
  connecting = connect();

  return {
    /** Settles when the first attempt to listen has succeeded or failed. */
    ready: connecting,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await connecting;
      cache.setListening(false);
      await current?.close();
      current = null;
    },
  };
}
