/**
 * Reading the dates policy data carries. A date without a time ("2025-03-31") means the whole of that
 * day in the UK, so "training valid until 31 March" still holds at 23:30 on 31 March in summer time.
 */

const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export { DAY_MS };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Last Sunday of a month at 01:00 UTC: when UK clocks change (March forward, October back). */
function lastSundayAt1Utc(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0, 1);
  const weekday = new Date(lastDay).getUTCDay();
  return lastDay - weekday * DAY_MS;
}

/** The UK offset from UTC in ms at an instant (one hour in British Summer Time). */
export function ukOffsetMs(instant: number): number {
  const year = new Date(instant).getUTCFullYear();
  return instant >= lastSundayAt1Utc(year, 2) && instant < lastSundayAt1Utc(year, 9) ? HOUR_MS : 0;
}

/** The UTC instant when a UK calendar day starts. */
function ukDayStart(y: number, m: number, d: number): number {
  const utcMidnight = Date.UTC(y, m - 1, d);
  // Clocks change at 01:00 UTC, never near midnight, so the offset at UTC midnight is the day's offset at its start.
  return utcMidnight - ukOffsetMs(utcMidnight);
}

/** The first instant a date or date-time covers, in ms; NaN when unreadable. */
export function startOf(value: string): number {
  const m = DATE_ONLY.exec(value);
  if (m) return ukDayStart(Number(m[1]), Number(m[2]), Number(m[3]));
  return Date.parse(value);
}

/** The last instant a date or date-time covers, in ms: a date means until the end of that UK day. */
export function endOf(value: string): number {
  const m = DATE_ONLY.exec(value);
  if (m) return ukDayStart(Number(m[1]), Number(m[2]), Number(m[3]) + 1) - 1;
  return Date.parse(value);
}
