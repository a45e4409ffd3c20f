/**
 * Full-snapshot semantics: a record absent from a full extract was removed at source and leaves
 * view. An extract that would remove more than a set share of what the feed had is held for a
 * person to confirm, since a truncated or wrong file looks exactly like mass deletion.
 */

export interface SnapshotRemovals {
  /** Source ids present before and absent now, sorted. */
  remove: string[];
  /** remove.length / previous count (0 when there was nothing before). */
  share: number;
  needsConfirmation: boolean;
}

export function snapshotRemovals(previousSourceIds: ReadonlySet<string>, currentSourceIds: ReadonlySet<string>, maxShare: number): SnapshotRemovals {
  if (!(maxShare >= 0 && maxShare <= 1)) throw new RangeError('maxShare must be between 0 and 1');
  const remove = [...previousSourceIds].filter((id) => !currentSourceIds.has(id)).sort();
  const share = previousSourceIds.size === 0 ? 0 : remove.length / previousSourceIds.size;
  return { remove, share, needsConfirmation: share > maxShare };
}
