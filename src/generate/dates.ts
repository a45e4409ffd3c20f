/**
 * Calendar arithmetic for the generator, in whole days and minutes counted from 1970-01-01 UTC.
 * Every date the generator writes is derived from the caller's `asOf`, never from the clock.
 */

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a YYYY-MM-DD string; throws on anything else. */
export function parseDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError('asOf must be a date written YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError('asOf is not a calendar date');
  }
  return ms / DAY_MS;
}

function parts(day: number): { y: number; m: number; d: number } {
  const dt = new Date(day * DAY_MS);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** YYYY-MM-DD */
export function isoDay(day: number): string {
  const { y, m, d } = parts(day);
  return `${y}-${p2(m)}-${p2(d)}`;
}

/** YYYYMMDD (HL7 DT) */
export function hl7Day(day: number): string {
  const { y, m, d } = parts(day);
  return `${y}${p2(m)}${p2(d)}`;
}

/** A moment: day plus minutes into that day. */
export interface Moment { day: number; minute: number }

export function momentAt(day: number, minute: number): Moment {
  return { day: day + Math.floor(minute / 1440), minute: ((minute % 1440) + 1440) % 1440 };
}

export function addMinutes(t: Moment, minutes: number): Moment {
  return momentAt(t.day, t.minute + minutes);
}

export function compareMoments(a: Moment, b: Moment): number {
  return a.day - b.day || a.minute - b.minute;
}

/** YYYYMMDDHHMMSS (HL7 TS, local time as UK trusts send it) */
export function hl7Time(t: Moment): string {
  return `${hl7Day(t.day)}${p2(Math.floor(t.minute / 60))}${p2(t.minute % 60)}00`;
}

/** FHIR dateTime/instant with an explicit UTC offset. */
export function fhirTime(t: Moment): string {
  return `${isoDay(t.day)}T${p2(Math.floor(t.minute / 60))}:${p2(t.minute % 60)}:00+00:00`;
}

/** Whole years between two days (age on `day` of someone born on `birthDay`). */
export function yearsBetween(birthDay: number, day: number): number {
  const b = parts(birthDay);
  const t = parts(day);
  let years = t.y - b.y;
  if (t.m < b.m || (t.m === b.m && t.d < b.d)) years--;
  return years;
}

export function dayParts(day: number): { year: number; month: number; dayOfMonth: number } {
  const { y, m, d } = parts(day);
  return { year: y, month: m, dayOfMonth: d };
}
