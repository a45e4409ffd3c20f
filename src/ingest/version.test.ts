import { describe, expect, it } from 'vitest';
import { versionKey } from './version.ts';

describe('version keys sort as the versions they stand for', () => {
  it.each([
    ['2024-01-01T10:00:00Z', '2024-01-01T10:00:01Z'],
    ['2024-01-01T10:00:00+01:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01', '2024-01-01T00:00:01Z'],
    ['9', '10'],
    ['2', '100'],
  ])('%s is older than %s', (older, newer) => {
    expect(versionKey(older) < versionKey(newer)).toBe(true);
  });
  it('orders equal stated versions by arrival', () => {
    expect(versionKey('2024-01-01T10:00:00Z', 5) < versionKey('2024-01-01T10:00:00Z', 6)).toBe(true);
    expect(versionKey('2024-01-01T10:00:00Z', 5)).toBe(versionKey('2024-01-01T10:00:00.000Z', 5));
  });
});
