import { describe, expect, it } from 'vitest';
import { hl7Time, isoDay, momentAt, parseDay, yearsBetween } from './dates.ts';

describe('dates', () => {
  it.each([['2024-02-29', '2024-02-29'], ['1970-01-01', '1970-01-01']])('round-trips %s', (iso, back) => {
    expect(isoDay(parseDay(iso))).toBe(back);
  });
  it('formats HL7 timestamps and computes ages', () => {
    expect(hl7Time(momentAt(parseDay('2025-06-30'), 13 * 60 + 5))).toBe('20250630130500');
    expect(yearsBetween(parseDay('2000-07-01'), parseDay('2025-06-30'))).toBe(24);
    expect(yearsBetween(parseDay('2000-06-30'), parseDay('2025-06-30'))).toBe(25);
  });
});
