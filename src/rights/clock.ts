/**
 * The legal clock of a rights request, as pure functions of calendar days (YYYY-MM-DD, UK days):
 * UK GDPR Art. 12(3) gives one month from receipt of the request — counted, as the ICO explains it,
 * from the day enough information arrived to verify identity and locate the data, to the
 * corresponding calendar date of the next month, or the last day of that month when it has no such
 * date (31 January → 28 or 29 February). When a request is complex or one of several, the time can
 * be extended by up to two further months, provided the person is told within the first month; so
 * an extension can be granted only while the original month is still running.
 */

export const MAX_EXTENSION_MONTHS = 2;
/** A part is "due soon" from this many days before its due date: time to chase it. */
export const DUE_SOON_DAYS = 7;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(day: string): [number, number, number] {
  const m = DAY.exec(day);
  if (!m) throw new RangeError('a calendar day must be YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) throw new RangeError('a calendar day must be a real date');
  return [y, mo, d];
}

function iso(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** True for a real calendar day written YYYY-MM-DD. */
export function isCalendarDay(day: string): boolean {
  try {
    parts(day);
    return true;
  } catch {
    return false;
  }
}

/** The same day number `months` calendar months later, clamped to the last day of that month. */
export function addCalendarMonths(day: string, months: number): string {
  if (!Number.isInteger(months) || months < 0) throw new RangeError('months must be a whole number of at least 0');
  const [y, m, d] = parts(day);
  const index = (m - 1) + months;
  const ty = y + Math.floor(index / 12);
  const tm = (index % 12) + 1;
  const last = new Date(Date.UTC(ty, tm, 0)).getUTCDate();
  return iso(ty, tm, Math.min(d, last));
}

/** Whole days from `a` to `b` (negative when b is before a). */
export function daysBetween(a: string, b: string): number {
  const [ay, am, ad] = parts(a);
  const [by, bm, bd] = parts(b);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

/** The day by which the person must have their answer: receipt + 1 month (+ any extension). */
export function dueDate(receivedOn: string, extensionMonths = 0): string {
  if (!Number.isInteger(extensionMonths) || extensionMonths < 0 || extensionMonths > MAX_EXTENSION_MONTHS) {
    throw new RangeError(`an extension is 0 to ${MAX_EXTENSION_MONTHS} further months`);
  }
  return addCalendarMonths(receivedOn, 1 + extensionMonths);
}

export type ClockState = 'done' | 'overdue' | 'due-today' | 'due-soon' | 'open';

export interface ClockPart {
  readonly receivedOn: string;
  readonly extensionMonths: number;
  readonly done: boolean;
}

export interface Clock {
  readonly state: ClockState;
  readonly dueOn: string;
  /** Days left until the due date (0 on the day; negative once overdue). */
  readonly daysLeft: number;
}

/** Where a part stands on `today`. A part answered on or before its due date is simply done. */
export function clockOf(part: ClockPart, today: string): Clock {
  const dueOn = dueDate(part.receivedOn, part.extensionMonths);
  const daysLeft = daysBetween(today, dueOn);
  if (part.done) return { state: 'done', dueOn, daysLeft };
  const state: ClockState = daysLeft < 0 ? 'overdue' : daysLeft === 0 ? 'due-today' : daysLeft <= DUE_SOON_DAYS ? 'due-soon' : 'open';
  return { state, dueOn, daysLeft };
}

export type ExtensionRefusal = 'part-done' | 'too-many-months' | 'not-longer' | 'first-month-over' | 'reason-required';

/**
 * Whether a part may be extended to `months` further months in total on `today`. The total can only
 * grow (an extension already told to the person is not taken back), at most two months, only while
 * the first month runs, and always with a reason (the person must be told why).
 */
export function checkExtension(part: ClockPart, months: number, reason: string, today: string): { ok: true } | { ok: false; refusal: ExtensionRefusal } {
  if (part.done) return { ok: false, refusal: 'part-done' };
  if (!Number.isInteger(months) || months < 1 || months > MAX_EXTENSION_MONTHS) return { ok: false, refusal: 'too-many-months' };
  if (months <= part.extensionMonths) return { ok: false, refusal: 'not-longer' };
  if (daysBetween(today, dueDate(part.receivedOn, 0)) < 0) return { ok: false, refusal: 'first-month-over' };
  if (reason.trim() === '') return { ok: false, refusal: 'reason-required' };
  return { ok: true };
}

export const EXTENSION_REFUSALS: Readonly<Record<ExtensionRefusal, string>> = {
  'part-done': 'This part is already done',
  'too-many-months': 'The time limit can be extended by 1 or 2 further months only',
  'not-longer': 'The time limit is already extended by that much or more',
  'first-month-over': 'The time limit can only be extended within the first month after the request was received',
  'reason-required': 'Enter why the request needs more time: the person must be told',
};

/** Whether the day a request is logged with is acceptable: a real day, not in the future, not absurdly old. */
export function checkReceivedOn(day: string, today: string): { ok: true } | { ok: false; message: string } {
  if (!isCalendarDay(day)) return { ok: false, message: 'The date must be a real date' };
  if (daysBetween(today, day) > 0) return { ok: false, message: 'The date cannot be in the future' };
  // Older than a year is almost certainly a typing error (and long past any legal deadline).
  if (daysBetween(day, today) > 366) return { ok: false, message: 'The date must be within the last year' };
  return { ok: true };
}
