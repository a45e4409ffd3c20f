import { describe, expect, it } from 'vitest';
import { ageBand, disclose, displayCount, roundToNearest, sumBy } from './disclosure.ts';

describe('small-number suppression and rounding', () => {
  it.each([
    [0, '0'], [1, '<8'], [2, '<8'], [7, '<8'], [8, '10'], [9, '10'], [10, '10'], [12, '10'], [13, '15'], [17, '15'], [18, '20'],
    [22, '20'], [23, '25'], [100, '100'], [1234, '1,235'], [1232, '1,230'], [1_100_002, '1,100,000'],
  ] as const)('a count of %i is published as %s', (raw, shown) => {
    expect(displayCount(disclose(raw))).toBe(shown);
  });

  it.each([-1, 2.5, Number.NaN])('refuses %s as a count', (raw) => {
    expect(() => disclose(raw)).toThrow(RangeError);
  });

  it.each([
    [12.5, 5, 15], [12.4, 5, 10], [0, 5, 0], [7, 10, 10], [4, 10, 0], [5, 10, 10], [3, 1, 3],
  ] as const)('%s rounded to the nearest %i is %i', (n, base, expected) => {
    expect(roundToNearest(n, base)).toBe(expected);
  });

  it('never publishes a count from 1 to 7, and publishes every other count within 2 of the truth', () => {
    for (let raw = 0; raw <= 500; raw++) {
      const d = disclose(raw);
      if (raw >= 1 && raw <= 7) expect(d.kind).toBe('suppressed');
      else {
        expect(d.kind).toBe('count');
        if (d.kind === 'count') {
          expect(Math.abs(d.value - raw)).toBeLessThanOrEqual(2);
          expect(d.value % 5).toBe(0);
        }
      }
    }
  });
});

describe('age bands', () => {
  it.each([
    [0, '0 to 4'], [4, '0 to 4'], [5, '5 to 17'], [17, '5 to 17'], [18, '18 to 29'], [44, '30 to 44'], [45, '45 to 64'], [64, '45 to 64'],
    [65, '65 to 74'], [84, '75 to 84'], [85, '85 and over'], [104, '85 and over'], [null, 'Not known'], [-1, 'Not known'], [131, 'Not known'],
  ] as const)('age %s is in band %s', (age, band) => {
    expect(ageBand(age)).toBe(band);
  });

  it('adds raw counts up by key before anything is disclosed', () => {
    const rows = [{ age: 1, n: 3 }, { age: 3, n: 4 }, { age: 40, n: 9 }];
    const sums = sumBy(rows, (r) => ageBand(r.age), (r) => r.n);
    expect(Object.fromEntries(sums)).toEqual({ '0 to 4': 7, '30 to 44': 9 });
  });
});
