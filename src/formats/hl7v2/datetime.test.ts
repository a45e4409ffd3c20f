import { describe, it, expect } from 'vitest';
import { formatHl7Timestamp, parseHl7DateTime } from './datetime.ts';

describe('parseHl7DateTime', () => {
  it.each([
    ['1965', '1965', '1965', '1965-01-01T00:00:00.000Z'],
    ['196512', '1965-12', '1965-12', '1965-12-01T00:00:00.000Z'],
    ['19651213', '1965-12-13', '1965-12-13', '1965-12-13T00:00:00.000Z'],
    ['196512131515', '1965-12-13', '1965-12-13T15:15:00+00:00', '1965-12-13T15:15:00.000Z'],
    ['20100802141857', '2010-08-02', '2010-08-02T14:18:57+01:00', '2010-08-02T13:18:57.000Z'],
    ['20190514102527+0200', '2019-05-14', '2019-05-14T10:25:27+02:00', '2019-05-14T08:25:27.000Z'],
    ['20230908110000.25-0500', '2023-09-08', '2023-09-08T11:00:00.25-05:00', '2023-09-08T16:00:00.250Z'],
  ])('%s', (raw, date, dateTime, utc) => {
    const t = parseHl7DateTime(raw);
    expect(t).toMatchObject({ ok: true, date, dateTime, utc });
  });

  it.each([
    ['196513121515', 'impossible'],
    ['20230230', 'impossible'],
    ['20230101250000', 'impossible'],
    ['196203520', 'malformed'],
    ['13/12/1965', 'malformed'],
    ['', 'malformed'],
  ])('%s is %s', (raw, reason) => {
    expect(parseHl7DateTime(raw)).toEqual({ ok: false, reason });
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseHl7DateTime('20240229').ok).toBe(true);
    expect(parseHl7DateTime('19000229').ok).toBe(false);
  });

  it('gives UK local times their GMT/BST offset', () => {
    expect(parseHl7DateTime('202401151200')).toMatchObject({ utc: '2024-01-15T12:00:00.000Z' });
    expect(parseHl7DateTime('202407151200')).toMatchObject({ utc: '2024-07-15T11:00:00.000Z' });
  });
});

describe('formatHl7Timestamp', () => {
  it('writes UTC with an explicit offset', () => {
    expect(formatHl7Timestamp(new Date('2024-03-05T06:07:08Z'))).toBe('20240305060708+0000');
  });
});
