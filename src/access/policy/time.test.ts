import { describe, expect, it } from 'vitest';
import { endOf, startOf, ukOffsetMs } from './time.ts';

describe('UK calendar dates', () => {
  it.each([
    ['2025-01-15', '2025-01-15T00:00:00.000Z', '2025-01-15T23:59:59.999Z'],
    ['2025-06-15', '2025-06-14T23:00:00.000Z', '2025-06-15T22:59:59.999Z'],
    ['2025-03-30', '2025-03-30T00:00:00.000Z', '2025-03-30T22:59:59.999Z'],
    ['2025-10-26', '2025-10-25T23:00:00.000Z', '2025-10-26T23:59:59.999Z'],
    ['2025-06-15T10:00:00Z', '2025-06-15T10:00:00.000Z', '2025-06-15T10:00:00.000Z'],
  ])('%s covers %s to %s', (value, start, end) => {
    expect(new Date(startOf(value)).toISOString()).toBe(start);
    expect(new Date(endOf(value)).toISOString()).toBe(end);
  });

  it.each([
    ['2025-03-30T00:59:59Z', 0], ['2025-03-30T01:00:00Z', 3_600_000], ['2025-10-26T00:59:59Z', 3_600_000], ['2025-10-26T01:00:00Z', 0],
  ] as const)('offset at %s is %i', (instant, offset) => expect(ukOffsetMs(Date.parse(instant))).toBe(offset));

  it('an unreadable value is NaN', () => expect(startOf('soon')).toBeNaN());
});
