import { describe, it, expect } from 'vitest';
import { snapshotRemovals } from './snapshot.ts';

const ids = (n: number, from = 0) => new Set(Array.from({ length: n }, (_v, i) => `P${String(i + from).padStart(3, '0')}`));

describe('snapshotRemovals', () => {
  it.each([
    ['nothing removed', ids(10), ids(10), 0.1, 0, 0, false],
    ['one of ten at a 10% limit', ids(10), ids(9), 0.1, 1, 0.1, false],
    ['two of ten at a 10% limit', ids(10), ids(8), 0.1, 2, 0.2, true],
    ['all removed (empty extract)', ids(10), new Set<string>(), 0.5, 10, 1, true],
    ['first extract ever', new Set<string>(), ids(5), 0, 0, 0, false],
    ['new rows only', ids(3), ids(6), 0, 0, 0, false],
    ['limit 1 never asks', ids(4), new Set<string>(), 1, 4, 1, false],
    ['limit 0 asks for any removal', ids(4), ids(3), 0, 1, 0.25, true],
  ])('%s', (_name, previous, current, maxShare, removed, share, needsConfirmation) => {
    const r = snapshotRemovals(previous, current, maxShare);
    expect(r.remove).toHaveLength(removed);
    expect(r.share).toBeCloseTo(share);
    expect(r.needsConfirmation).toBe(needsConfirmation);
  });

  it('lists exactly the absent ids, sorted', () => {
    expect(snapshotRemovals(new Set(['c', 'a', 'b']), new Set(['b', 'z']), 1).remove).toEqual(['a', 'c']);
  });

  it.each([[-0.1], [1.5], [Number.NaN]])('refuses a share limit of %s', (maxShare) => {
    expect(() => snapshotRemovals(new Set(), new Set(), maxShare)).toThrow(RangeError);
  });
});
