import { describe, expect, it } from 'vitest';
import { createRng } from './random.ts';
import { DEFAULT_FAULTS, mistypeNhsNumber, resolveFaults, transposeDob, typo } from './faults.ts';
import { isValidNhsNumber, testRangeNhsNumber } from '../nhs/nhsNumber.ts';

describe('faults', () => {
  it('a mistyped NHS number keeps the 999 prefix and always fails modulus 11', () => {
    const r = createRng('nhs');
    for (let i = 0; i < 2000; i++) {
      const good = testRangeNhsNumber(i);
      const bad = mistypeNhsNumber(r, good);
      expect(bad).toMatch(/^999\d{7}$/);
      expect(bad).not.toBe(good);
      expect(isValidNhsNumber(bad)).toBe(false);
    }
  });

  it('a typo is one edit away, keeps the initial and never returns the name unchanged', () => {
    const r = createRng('typo');
    for (const name of ['Smith', 'Tunnicliffe', 'Lee', 'Ann', "O'Brien"]) {
      for (let i = 0; i < 200; i++) {
        const t = typo(r, name);
        expect(t).not.toBe(name);
        expect(t.charAt(0)).toBe(name.charAt(0));
        expect(Math.abs(t.length - name.length)).toBeLessThanOrEqual(1);
      }
    }
  });

  it.each([
    ['1980-05-07', '1980-07-05'],
    ['1980-05-05', null],
    ['1980-05-13', null],
    ['2001-12-01', '2001-01-12'],
  ])('transposes %s to %s', (input, expected) => {
    expect(transposeDob(input)).toBe(expected);
  });

  it('fills defaults and rejects rates outside 0..1', () => {
    expect(resolveFaults({ nameTypo: 0 })).toEqual({ ...DEFAULT_FAULTS, nameTypo: 0 });
    expect(() => resolveFaults({ repeatedMessage: -0.1 })).toThrow(/repeatedMessage/);
  });
});
