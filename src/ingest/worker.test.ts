import { describe, expect, it } from 'vitest';
import { delayBeforeClaim } from './worker.ts';

describe('delayBeforeClaim', () => {
  it.each([
    ['a worker that last found work claims at once', null, 1000, 0],
    ['woken right after finding nothing: waits the whole gap', 1000, 1000, 100],
    ['woken part way through the gap: waits the rest', 1000, 1040, 60],
    ['woken once the gap has passed: claims at once', 1000, 1100, 0],
    ['long after: claims at once', 1000, 9000, 0],
    ['a clock that went back never waits more than the gap', 1000, 900, 100],
  ])('%s', (_name, lastEmptyAt, now, expected) => {
    expect(delayBeforeClaim(lastEmptyAt, now, 100)).toBe(expected);
  });
});
