import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatHl7Timestamp, parseHl7DateTime, ukOffsetMinutes } from './datetime.ts';

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
    ['20230908110000.', 'malformed'],
    ['20230908110000.12345', 'malformed'],
    ['2023090811000', 'malformed'],
    ['202309081100+01', 'malformed'],
    ['202+0100', 'malformed'],
    ['20230908+1500', 'impossible'],
    ['20230908+0160', 'impossible'],
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

describe('parseHl7DateTime, any valid timestamp', () => {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = fc.record({
    y: fc.integer({ min: 1, max: 9998 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }),
    frac: fc.option(fc.stringMatching(/^\d{1,4}$/), { nil: undefined }),
    zone: fc.option(fc.integer({ min: -(14 * 60), max: 14 * 60 }), { nil: undefined }),
  });

  it('reads the instant written, in the offset given or in UK time, and writes it back as FHIR dateTime', () => {
    fc.assert(fc.property(stamp, ({ y, mo, d, h, mi, s, frac, zone }) => {
      const zoneText = zone === undefined ? '' : `${zone < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(zone) / 60))}${pad(Math.abs(zone) % 60)}`;
      const raw = `${pad(y, 4)}${pad(mo)}${pad(d)}${pad(h)}${pad(mi)}${pad(s)}${frac === undefined ? '' : `.${frac}`}${zoneText}`;
      const t = parseHl7DateTime(raw);
      if (!t.ok) return false;
      // Independently: the wall time as if UTC, less the offset (UK's from the GMT/BST rule).
      const wall = new Date(0);
      wall.setUTCFullYear(y, mo - 1, d);
      wall.setUTCHours(h, mi, s, frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000));
      const offset = zone ?? ukOffsetMinutes(y, mo, d, h, mi);
      const instant = wall.getTime() - offset * 60000;
      if (instant < -62135596800000) return true; // before year 1 in UTC: refused as impossible, checked below
      expect(t.utc).toBe(new Date(instant).toISOString());
      expect(t.date).toBe(`${pad(y, 4)}-${pad(mo)}-${pad(d)}`);
      expect(t.dateTime.startsWith(`${t.date}T${pad(h)}:${pad(mi)}:${pad(s)}`)).toBe(true);
      // Date.parse reads milliseconds only (a fourth digit of fraction is rounded here, cut there).
      if (y >= 1000 && (frac ?? '').length <= 3) expect(Date.parse(t.dateTime)).toBe(instant);
      return t.hasTime;
    }), { numRuns: 2000 });
  });

  it('reads every shorter precision as the start of its period, without a time', () => {
    fc.assert(fc.property(stamp, fc.integer({ min: 1, max: 3 }), ({ y, mo, d }, parts) => {
      const raw = [pad(y, 4), pad(mo), pad(d)].slice(0, parts).join('');
      const t = parseHl7DateTime(raw);
      const expected = [pad(y, 4), pad(mo), pad(d)].slice(0, parts).join('-');
      expect(t).toEqual({ ok: true, date: expected, dateTime: expected, utc: `${pad(y, 4)}-${parts > 1 ? pad(mo) : '01'}-${parts > 2 ? pad(d) : '01'}T00:00:00.000Z`, hasTime: false });
    }), { numRuns: 500 });
  });

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789+-. x'.split('')), maxLength: 30 }), (raw) => {
      const t = parseHl7DateTime(raw);
      if (t.ok) expect(Number.isNaN(Date.parse(t.utc))).toBe(false);
    }), { numRuns: 3000 });
  });
});

describe('formatHl7Timestamp', () => {
  it('writes UTC with an explicit offset', () => {
    expect(formatHl7Timestamp(new Date('2024-03-05T06:07:08Z'))).toBe('20240305060708+0000');
  });
});
