/**
 * Checks for the demographic values partners send (postcode, phone, calendar date, NHS number):
 * each either gives the normalised value the person index may match on, or says why it cannot.
 * Shared by the CSV and FHIR mappers so that both trust exactly the same values.
 */
import { isValidNhsNumber, normaliseNhsNumber } from '../../../nhs/nhsNumber.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

// Outward code (area, district, optional sub-district) and inward code (sector digit, unit letters),
// per the Royal Mail format; inward letters never include C, I, K, M, O or V. GIR 0AA is the one exception.
const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][ABD-HJLNP-UW-Z]{2})$/;

/** "LS17 7DF" from "ls177df", or why the text is not a UK postcode. */
export function checkUkPostcode(input: string): Checked<string> {
  const s = input.trim().toUpperCase().replace(/\s+/g, ' ');
  if (s === 'GIR 0AA' || s === 'GIR0AA') return { ok: true, value: 'GIR 0AA' };
  const m = POSTCODE.exec(s);
  if (!m) return { ok: false, reason: 'is not a UK postcode' };
  return { ok: true, value: `${m[1]} ${m[2]}` };
}

/** National format ("01131231234") from the usual layouts, or why it is not a UK phone number. */
export function checkUkPhone(input: string): Checked<string> {
  let s = input.trim().replace(/[\s\-().]/g, '');
  // "+44 (0)113 …": the bracketed trunk zero is written by people but is not dialled after +44.
  if (/^\+44/.test(input.trim())) s = s.replace(/^\+440?/, '0');
  else if (s.startsWith('0044')) s = s.replace(/^00440?/, '0');
  if (!/^0\d+$/.test(s)) return { ok: false, reason: 'is not a UK phone number' };
  // UK numbers are 0 plus 10 digits, except a few areas still on 0 plus 9 (e.g. 016977).
  if (s.length !== 11 && !(s.length === 10 && s.startsWith('01'))) return { ok: false, reason: 'is not a UK phone number (wrong length)' };
  if (s.startsWith('00')) return { ok: false, reason: 'is not a UK phone number' };
  return { ok: true, value: s };
}

/** The same YYYY-MM-DD when it is a real calendar date, or why not. */
export function checkCalendarDate(input: string): Checked<string> {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.trim());
  if (!m) return { ok: false, reason: 'is not a date in the form YYYY-MM-DD' };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1800 || month < 1 || month > 12 || day < 1) return { ok: false, reason: 'is not a possible date' };
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return { ok: false, reason: 'is not a possible date' };
  return { ok: true, value: `${m[1]}-${m[2]}-${m[3]}` };
}

/** A date of birth: a real date that is not after `today` (YYYY-MM-DD in the same calendar). */
export function checkBirthDate(input: string, today: string): Checked<string> {
  const d = checkCalendarDate(input);
  if (!d.ok) return d;
  if (d.value > today) return { ok: false, reason: 'is in the future' };
  return d;
}

/** Ten digits passing the modulus-11 check, or why the text is not an NHS number. */
export function checkNhsNumber(input: string): Checked<string> {
  const digits = normaliseNhsNumber(input);
  if (!digits) return { ok: false, reason: 'is not ten digits' };
  if (!isValidNhsNumber(digits)) return { ok: false, reason: 'fails the NHS number check digit' };
  return { ok: true, value: digits };
}

/** YYYY-MM-DD of an instant, in UTC (how injected clocks are compared with dates). */
export function isoDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}
