import { describe, it, expect } from 'vitest';
import { checkBirthDate, checkCalendarDate, checkNhsNumber, checkUkPhone, checkUkPostcode, isoDay } from './values.ts';

describe('checkUkPostcode', () => {
  it.each([
    ['LS17 7DF', 'LS17 7DF'],
    ['ls177df', 'LS17 7DF'],
    [' st4  7lp ', 'ST4 7LP'],
    ['M1 1AE', 'M1 1AE'],
    ['EC1A 1BB', 'EC1A 1BB'],
    ['W1A 0AX', 'W1A 0AX'],
    ['gir 0aa', 'GIR 0AA'],
  ])('accepts %s as %s', (input, value) => {
    expect(checkUkPostcode(input)).toEqual({ ok: true, value });
  });
  it.each([['LS1288T'], ['12345'], ['ST4 7CI'], ['ST47'], [''], ['SW1A 1AA X']])('refuses %s', (input) => {
    expect(checkUkPostcode(input).ok).toBe(false);
  });
});

describe('checkUkPhone', () => {
  it.each([
    ['01131231234', '01131231234'],
    ['0113 123 1234', '01131231234'],
    ['(01782) 123456', '01782123456'],
    ['07777-123-123', '07777123123'],
    ['+44 7777 123123', '07777123123'],
    ['+44 (0)1782 123456', '01782123456'],
    ['0044 1782 123456', '01782123456'],
    ['016977 3456', '0169773456'],
  ])('accepts %s as %s', (input, value) => {
    expect(checkUkPhone(input)).toEqual({ ok: true, value });
  });
  it.each([['123'], ['0113 123'], ['+33 1 23 45 67 89'], ['07777 123 1234 5'], ['phone me'], ['0071234567890']])('refuses %s', (input) => {
    expect(checkUkPhone(input).ok).toBe(false);
  });
});

describe('checkCalendarDate and checkBirthDate', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2023-02-30', false],
    ['2023-04-31', false],
    ['2023-13-01', false],
    ['2023-00-10', false],
    ['1970-09-11', true],
    ['11/09/1970', false],
    ['1970-9-11', false],
    ['1700-01-01', false],
  ])('%s is a calendar date: %s', (input, ok) => {
    expect(checkCalendarDate(input).ok).toBe(ok);
  });
  it.each([
    ['2024-06-01', '2024-06-01', true],
    ['2024-06-02', '2024-06-01', false],
    ['2030-01-01', '2024-06-01', false],
  ])('birth date %s against today %s: %s', (input, today, ok) => {
    expect(checkBirthDate(input, today).ok).toBe(ok);
  });
  it('gives the UTC day of an instant', () => {
    expect(isoDay(new Date('2024-06-01T23:30:00Z'))).toBe('2024-06-01');
  });
});

describe('checkNhsNumber', () => {
  it.each([
    ['9434765919', '9434765919'],
    ['943 476 5919', '9434765919'],
    ['943-476-5919', '9434765919'],
  ])('accepts %s', (input, value) => {
    expect(checkNhsNumber(input)).toEqual({ ok: true, value });
  });
  it.each([['9434765918'], ['94347659'], ['94 3476 5919'], ['abc']])('refuses %s', (input) => {
    expect(checkNhsNumber(input).ok).toBe(false);
  });
});
