/**
 * Date-of-birth comparison levels: the ways a date is commonly mistyped or misread
 * (day and month exchanged, one digit wrong, year one out) are kept apart from a different date.
 */

export const DOB_LEVELS = ['exact', 'transposed', 'one-digit', 'year-off-by-one', 'different'] as const;
export type DobLevel = (typeof DOB_LEVELS)[number];

export interface PreparedDate {
  /** YYYYMMDD */
  digits: string;
  year: number;
  month: number;
  day: number;
}

/** A YYYY-MM-DD date, or null when absent or not a real calendar date. */
export function prepareDate(raw: string | undefined): PreparedDate | null {
  if (!raw) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { digits: `${m[1]}${m[2]}${m[3]}`, year, month, day };
}

export function compareDates(a: PreparedDate, b: PreparedDate): DobLevel {
  if (a.digits === b.digits) return 'exact';
  if (a.year === b.year && a.day === b.month && a.month === b.day) return 'transposed';
  let differing = 0;
  for (let i = 0; i < 8 && differing < 2; i++) if (a.digits.charCodeAt(i) !== b.digits.charCodeAt(i)) differing++;
  if (differing === 1) return 'one-digit';
  if (Math.abs(a.year - b.year) === 1 && a.month === b.month && a.day === b.day) return 'year-off-by-one';
  return 'different';
}
