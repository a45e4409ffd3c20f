import { describe, expect, it } from 'vitest';
import { ageOn, clinicalDate, dateTime, longDate } from './format.ts';

describe('dates and times as the screens write them (UK time)', () => {
  it.each([
    ['a winter afternoon (GMT)', '2025-01-15T14:05:00Z', '15 January 2025 at 14:05'],
    ['a summer afternoon (BST, an hour ahead)', '2025-07-15T14:05:00Z', '15 July 2025 at 15:05'],
    ['just after midnight in the UK, still the day before in UTC', '2025-06-01T23:05:00Z', '2 June 2025 at 00:05'],
    ['midnight exactly, never "24:00"', '2025-06-30T23:00:00.000Z', '1 July 2025 at 00:00'],
    ['the last minute of the year', '2025-12-31T23:59:00Z', '31 December 2025 at 23:59'],
    ['the hour the clocks go back, second time round', '2025-10-26T01:30:00Z', '26 October 2025 at 01:30'],
    ['a Date', new Date('2025-03-03T09:00:00Z'), '3 March 2025 at 09:00'],
    ['never', null, 'Never'],
    ['nonsense', 'not a time', 'Not known'],
  ] as const)('dateTime: %s', (_name, at, words) => {
    expect(dateTime(at)).toBe(words);
  });

  it('dateTime gives the same answer however many times it is asked', () => {
    const times = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2025, 5, 30, 22, 0) + i * 7 * 60_000).toISOString());
    expect(times.map(dateTime)).toEqual(times.map(dateTime));
    expect(dateTime(times[49])).toBe('1 July 2025 at 04:43');
  });

  it.each([
    ['a date', '2025-03-03', '3 March 2025'],
    ['a date-time late in the UK evening of the 1st in summer', '2025-07-01T23:30:00Z', '2 July 2025'],
    ['a date-time in winter', '2025-01-01T23:30:00Z', '1 January 2025'],
    ['nothing', undefined, 'Not known'],
    ['an impossible month', '2025-13-01', 'Not known'],
  ] as const)('longDate: %s', (_name, iso, words) => {
    expect(longDate(iso)).toBe(words);
  });

  it.each([
    ['a year', '2019', '2019'],
    ['a month', '2019-04', 'April 2019'],
    ['a day', '2019-04-02', '2 April 2019'],
    ['nothing', null, 'Date not recorded'],
  ] as const)('clinicalDate: %s', (_name, iso, words) => {
    expect(clinicalDate(iso)).toBe(words);
  });

  it.each([
    ['the day before the birthday', '1980-03-31', '2025-03-30T12:00:00Z', 44],
    ['on the birthday', '1980-03-31', '2025-03-31T12:00:00Z', 45],
    ['the birthday begins in the UK before it does in UTC', '1980-07-01', '2025-06-30T23:30:00Z', 45],
    ['not yet born', '2030-01-01', '2025-01-01T00:00:00Z', null],
  ] as const)('ageOn: %s', (_name, dob, now, age) => {
    expect(ageOn(dob, new Date(now))).toBe(age);
  });
});
