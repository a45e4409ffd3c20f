import { describe, it, expect } from 'vitest';
import { nysiis } from './nysiis.ts';

describe('nysiis', () => {
  it.each([
    ['Smith', 'SNAT'],
    ['Smyth', 'SNYT'],
    ['Knight', 'NAGT'],
    ['Night', 'NAGT'],
    ['Phillips', 'FALAP'],
    ['Macdonald', 'MCDANALD'],
    ['Schmidt', 'SNAD'],
    ['Bishop', 'BASAP'],
    ['Evans', 'EVAN'],
    ['Stevens', 'STAFAN'],
    ['Watson', 'WATSAN'],
    ['', ''],
    ["O'Brien", 'OBRAN'],
  ])('nysiis(%s) = %s', (name, code) => {
    expect(nysiis(name)).toBe(code);
  });

  it.each([
    ['Brown', 'Browne'],
    ['Catherine', 'Katherine'],
    ['Philips', 'Phillips'],
    ['Jonson', 'Johnson'],
    ['Knight', 'Night'],
  ])('%s and %s sound alike', (a, b) => {
    expect(nysiis(a)).toBe(nysiis(b));
  });

  it.each([
    ['Smith', 'Jones'],
    ['Taylor', 'Turner'],
  ])('%s and %s do not', (a, b) => {
    expect(nysiis(a)).not.toBe(nysiis(b));
  });
});
