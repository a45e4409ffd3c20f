/**
 * How the screens write dates, ages, NHS numbers and times: the NHS.UK content style ("3 March 2025",
 * NHS numbers as 3 3 4 digits), in UK local time. Pure: the clock is passed in.
 */
import { formatNhsNumber, isValidNhsNumber, normaliseNhsNumber } from '../nhs/nhsNumber.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "3 March 2025" from YYYY-MM-DD, or the start of an ISO date-time (its UK calendar day). */
export function longDate(iso: string | null | undefined): string {
  if (!iso) return 'Not known';
  const day = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : ukParts(new Date(iso))?.date;
  if (!day) return 'Not known';
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  if (!MONTHS[m - 1]) return 'Not known';
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

/** Partial dates (YYYY or YYYY-MM) as sources send them. */
export function clinicalDate(iso: string | null | undefined): string {
  if (!iso) return 'Date not recorded';
  if (/^\d{4}$/.test(iso)) return iso;
  const ym = /^(\d{4})-(\d{2})$/.exec(iso);
  if (ym) return `${MONTHS[Number(ym[2]) - 1] ?? ''} ${ym[1]}`.trim();
  return longDate(iso);
}

// Built once: constructing an Intl.DateTimeFormat (locale and time zone data) costs far more than
// formatting with one, and a record or audit page formats a date-time for every row it shows.
const UK_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

// The same instants recur on a page (every item from one source carries its last update): each is
// formatted once. Bounded: cleared when full, so a long-running server does not grow it.
const UK_PARTS_SEEN = new Map<number, { date: string; time: string }>();
const UK_PARTS_MAX = 4096;

function ukParts(d: Date): { date: string; time: string } | null {
  const ms = d.getTime();
  if (Number.isNaN(ms)) return null;
  const seen = UK_PARTS_SEEN.get(ms);
  if (seen) return seen;
  let year = '', month = '', day = '', hour = '', minute = '';
  for (const p of UK_TIME.formatToParts(d)) {
    if (p.type === 'year') year = p.value;
    else if (p.type === 'month') month = p.value;
    else if (p.type === 'day') day = p.value;
    else if (p.type === 'hour') hour = p.value;
    else if (p.type === 'minute') minute = p.value;
  }
  const parts = { date: `${year}-${month}-${day}`, time: `${hour}:${minute}` };
  if (UK_PARTS_SEEN.size >= UK_PARTS_MAX) UK_PARTS_SEEN.clear();
  UK_PARTS_SEEN.set(ms, parts);
  return parts;
}

/** "3 March 2025 at 14:05" in UK time. */
export function dateTime(at: Date | string | null | undefined): string {
  if (!at) return 'Never';
  const p = ukParts(at instanceof Date ? at : new Date(at));
  return p ? `${longDate(p.date)} at ${p.time}` : 'Not known';
}

/** Whole years between a birth date and today (UK day of `now`). */
export function ageOn(birthDate: string, now: Date): number | null {
  const today = ukParts(now)?.date;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || !today) return null;
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  const age = ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
  return age >= 0 ? age : null;
}

/** "485 777 3456" (3 3 4), or the value as given when it is not 10 digits. */
export function nhsNumber(value: string | null | undefined): string {
  if (!value) return 'Not known';
  const n = normaliseNhsNumber(value);
  return n ? formatNhsNumber(n) : value;
}

export type NhsNumberProblem = 'missing' | 'not-ten-digits' | 'check-digit';

/** Checks what a user typed as an NHS number (spaces and dashes allowed), modulus 11 included. */
export function parseNhsNumberInput(input: string | undefined): { ok: true; value: string } | { ok: false; problem: NhsNumberProblem; message: string } {
  const text = (input ?? '').trim();
  if (text === '') return { ok: false, problem: 'missing', message: 'Enter an NHS number' };
  const n = normaliseNhsNumber(text);
  if (!n) return { ok: false, problem: 'not-ten-digits', message: 'NHS number must be 10 digits' };
  if (!isValidNhsNumber(n)) return { ok: false, problem: 'check-digit', message: 'Enter a valid NHS number. Check you have typed it correctly' };
  return { ok: true, value: n };
}

/** A date typed as day, month and year boxes. */
export function parseDateInput(day: string | undefined, month: string | undefined, year: string | undefined, now: Date): { ok: true; value: string } | { ok: false; message: string } {
  const [d, m, y] = [day, month, year].map((s) => (s ?? '').trim());
  if (!d && !m && !y) return { ok: false, message: 'Enter their date of birth' };
  if (!d || !m || !y) return { ok: false, message: 'Date of birth must include a day, month and year' };
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return { ok: false, message: 'Date of birth must be a real date' };
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const t = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== iso) return { ok: false, message: 'Date of birth must be a real date' };
  if (t.getTime() > now.getTime()) return { ok: false, message: 'Date of birth must be in the past' };
  return { ok: true, value: iso };
}

/** The day after a YYYY-MM-DD date. */
export function nextDay(iso: string): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
