/**
 * NHS number: normalisation, the modulus-11 check of the NHS Data Dictionary, display as 3 3 4,
 * and the synthetic test range (999…) that every generated person must come from.
 */

/** Ten digits, or null when the input is not an NHS number in any accepted layout. */
export function normaliseNhsNumber(input: string): string | null {
  const s = input.trim();
  // Accept the plain form and the two 3-3-4 layouts real feeds use; refuse mixed or odd groupings,
  // since a number typed as "01 2345 6789" is more likely a different identifier than an NHS number.
  const m = /^(\d{10})$/.exec(s) ?? /^(\d{3}) (\d{3}) (\d{4})$/.exec(s) ?? /^(\d{3})-(\d{3})-(\d{4})$/.exec(s);
  if (!m) return null;
  return m.slice(1).join('');
}

/** The check digit for nine digits, or null when the weighted sum gives 10 (no valid number). */
export function nhsCheckDigit(nineDigits: string): number | null {
  if (!/^\d{9}$/.test(nineDigits)) return null;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

/** True when the ten digits pass the modulus-11 check. */
export function isValidNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  const check = nhsCheckDigit(digits.slice(0, 9));
  return check !== null && check === Number(digits[9]);
}

/** Numbers starting 999 are issued for testing and can never belong to a real person. */
export function isTestRangeNhsNumber(digits: string): boolean {
  return /^999\d{7}$/.test(digits);
}

/** "999 123 4567": how NHS numbers are shown to people (NHS.UK design system). */
export function formatNhsNumber(digits: string): string {
  return /^\d{10}$/.test(digits) ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : digits;
}

let validTestStems: Int32Array | null = null;

/** How many valid NHS numbers the test range holds (about 909,000). */
export function testRangeCapacity(): number {
  return testStems().length;
}

/**
 * The n-th valid number of the test range, in a fixed scrambled order (0 ≤ n < testRangeCapacity()).
 * Scrambled so that consecutive persons do not get numbers one digit apart, which would make
 * "one digit off" typos in the synthetic county land on a real neighbour too often.
 */
export function testRangeNhsNumber(n: number): string {
  const stems = testStems();
  const stem = stems[n];
  if (!Number.isInteger(n) || n < 0 || stem === undefined) {
    throw new RangeError(`test-range NHS number index ${n} is outside 0..${stems.length - 1}`);
  }
  const nine = `999${stem.toString().padStart(6, '0')}`;
  return nine + String(nhsCheckDigit(nine));
}

function testStems(): Int32Array {
  if (validTestStems) return validTestStems;
  const space = 1_000_000;
  const out = new Int32Array(space);
  let count = 0;
  for (let j = 0; j < space; j++) {
    // 738677 is coprime with 10^6, so j -> j*738677 mod 10^6 is a permutation of the stems.
    const stem = (j * 738_677) % space;
    if (nhsCheckDigit(`999${stem.toString().padStart(6, '0')}`) !== null) out[count++] = stem;
  }
  validTestStems = out.slice(0, count);
  return validTestStems;
}
