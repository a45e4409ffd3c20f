import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import {
  formatNhsNumber, isTestRangeNhsNumber, isValidNhsNumber, normaliseNhsNumber, nhsCheckDigit,
  testRangeCapacity, testRangeNhsNumber,
} from './nhsNumber.ts';

interface Vector { input: string; operation: string; expected_by_source: string; mod11_recomputed: string; note: string }
const vectors: Vector[] = parse(readFileSync(new URL('../../../shared/data/nhs-number/nhs_number_test_vectors.csv', import.meta.url)), {
  columns: true, trim: false,
});

describe('NHS number against the shared test vectors', () => {
  const rechecked = vectors.filter((v) => v.mod11_recomputed === 'valid' || v.mod11_recomputed.startsWith('invalid'));
  it.each(rechecked.map((v) => [v.input, v.mod11_recomputed] as const))('%s is %s by modulus 11', (input, verdict) => {
    const digits = normaliseNhsNumber(input);
    expect(digits !== null && isValidNhsNumber(digits)).toBe(verdict === 'valid');
  });
  // uk-fci pads a nine-digit input with a leading zero; we refuse to guess a missing digit, since a
  // guessed number that happens to pass the check would link the wrong person.
  const layouts = vectors.filter((v) => v.operation === 'standardise_format' && v.input.trim().length !== 9);
  it('refuses a nine-digit input rather than padding it', () => expect(normaliseNhsNumber('123456789')).toBeNull());
  it.each(layouts.map((v) => [v.input, v.expected_by_source] as const))('layout %j standardises to %s', (input, expected) => {
    expect(normaliseNhsNumber(input)).toBe(/^\d{10}$/.test(expected) ? expected : null);
  });
});

describe('NHS number rules', () => {
  it.each([
    ['943 476 5919', '9434765919', true],
    ['9434765919', '9434765919', true],
    ['943-476-5919', '9434765919', true],
    ['9434765918', '9434765918', false],
    ['943 4765919', null, false],
    ['', null, false],
    ['94347659191', null, false],
    ['abcdefghij', null, false],
  ])('%j → %s valid=%s', (input, digits, valid) => {
    expect(normaliseNhsNumber(input)).toBe(digits);
    expect(digits !== null && isValidNhsNumber(digits)).toBe(valid);
  });
  it('has no check digit where the remainder gives 10', () => {
    // 100000010: weighted sum 10+1*2=... constructed so that 11 - sum%11 = 10
    const nine = Array.from({ length: 1000 }, (_, i) => `999${String(i).padStart(6, '0')}`).find((n) => nhsCheckDigit(n) === null);
    expect(nine).toBeDefined();
  });
  it('formats as 3 3 4', () => expect(formatNhsNumber('9991234567')).toBe('999 123 4567'));
  it('generates only valid, distinct numbers of the 999 test range', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const x = testRangeNhsNumber(n);
      expect(isTestRangeNhsNumber(x) && isValidNhsNumber(x)).toBe(true);
      seen.add(x);
    }
    expect(seen.size).toBe(20_000);
    expect(testRangeCapacity()).toBeGreaterThan(900_000);
    expect(() => testRangeNhsNumber(testRangeCapacity())).toThrow(RangeError);
  });
});
