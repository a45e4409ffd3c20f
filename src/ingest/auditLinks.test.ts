import { describe, expect, it } from 'vitest';
import { linkChangeRuns } from './auditLinks.ts';

const change = (localId: string) => ({ feedId: 'f', localId, from: 'p0', to: 'p1' });
const item = (feed: string, ...ids: string[]) => ({ row: { feed_id: feed }, outcome: { linkChanges: ids.map(change) } });

describe('linkChangeRuns', () => {
  it.each([
    ['nothing changed: nothing to audit', [item('a'), item('b')], []],
    ['one feed: one run, in order', [item('a', '1'), item('a'), item('a', '2', '3')], [{ feedId: 'a', changes: ['1', '2', '3'] }]],
    ['feeds alternate: a run each time the feed changes, order kept', [item('a', '1'), item('b', '2'), item('a', '3')],
      [{ feedId: 'a', changes: ['1'] }, { feedId: 'b', changes: ['2'] }, { feedId: 'a', changes: ['3'] }]],
    ['a row without changes does not split a run', [item('a', '1'), item('b'), item('a', '2')], [{ feedId: 'a', changes: ['1', '2'] }]],
  ])('%s', (_name, outcomes, expected) => {
    expect(linkChangeRuns(outcomes).map((r) => ({ feedId: r.feedId, changes: r.changes.map((c) => c.localId) }))).toEqual(expected);
  });
});
