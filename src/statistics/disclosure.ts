/**
 * Statistical disclosure control for the anonymised statistics: pure rules, applied to every count
 * before it leaves this capability.
 *
 * The rule is the one NHS England uses for Hospital Episode Statistics: a count from 1 to 7 is
 * suppressed (shown as "<8"), and every other count — totals included — is rounded to the nearest 5
 * (halves up). A true zero stays 0: it says no one, which is not about anyone. Rounding every
 * published count, totals too, is what stops a suppressed cell being recovered by subtracting the
 * others from a total: each published number is only known to within ±2.
 */

/** Counts below this (and above 0) are suppressed. */
export const SUPPRESS_BELOW = 8;
/** Every count that is shown is rounded to a multiple of this. */
export const ROUND_TO = 5;
export const SUPPRESSED_TEXT = '<8';
export const DISCLOSURE_RULE = `Counts from 1 to ${SUPPRESS_BELOW - 1} are shown as "${SUPPRESSED_TEXT}"; all other counts, totals included, are rounded to the nearest ${ROUND_TO}.`;

export type Disclosed = { readonly kind: 'count'; readonly value: number } | { readonly kind: 'suppressed' };

/** `n` rounded to the nearest multiple of `base`, halves up (12.5 → 15 for base 5). */
export function roundToNearest(n: number, base: number = ROUND_TO): number {
  if (!Number.isInteger(base) || base < 1) throw new RangeError('the rounding base must be a whole number of at least 1');
  return Math.floor(n / base + 0.5) * base;
}

/** What may be published for a raw count. */
export function disclose(raw: number): Disclosed {
  if (!Number.isInteger(raw) || raw < 0) throw new RangeError('a count must be a whole number of at least 0');
  if (raw > 0 && raw < SUPPRESS_BELOW) return { kind: 'suppressed' };
  return { kind: 'count', value: roundToNearest(raw) };
}

/** "<8", "0", "1,235" (thousands separated, as the NHS.UK style writes numbers). */
export function displayCount(d: Disclosed): string {
  return d.kind === 'suppressed' ? SUPPRESSED_TEXT : d.value.toLocaleString('en-GB');
}

export interface AgeBand { readonly label: string; readonly from: number; readonly to: number | null }

/** Bands commonly used for service planning; wide enough to keep cells from being small. */
export const AGE_BANDS: readonly AgeBand[] = [
  { label: '0 to 4', from: 0, to: 4 },
  { label: '5 to 17', from: 5, to: 17 },
  { label: '18 to 29', from: 18, to: 29 },
  { label: '30 to 44', from: 30, to: 44 },
  { label: '45 to 64', from: 45, to: 64 },
  { label: '65 to 74', from: 65, to: 74 },
  { label: '75 to 84', from: 75, to: 84 },
  { label: '85 and over', from: 85, to: null },
];
export const AGE_NOT_KNOWN = 'Not known';

/** The band of an age in whole years; "Not known" for no age or an impossible one. */
export function ageBand(age: number | null): string {
  if (age === null || !Number.isInteger(age) || age < 0 || age > 130) return AGE_NOT_KNOWN;
  return AGE_BANDS.find((b) => age >= b.from && (b.to === null || age <= b.to))?.label ?? AGE_NOT_KNOWN;
}

/**
 * Adds raw counts up by a key, so that cells are disclosed only after grouping (suppressing the
 * parts and then adding them would both lose information and leak it).
 */
export function sumBy<T>(rows: readonly T[], key: (row: T) => string, count: (row: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + count(r));
  return out;
}
