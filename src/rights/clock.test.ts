import { describe, expect, it } from 'vitest';
import { addCalendarMonths, checkExtension, checkReceivedOn, clockOf, daysBetween, dueDate, isCalendarDay } from './clock.ts';

describe('the legal clock', () => {
  it.each([
    // received, extension, due
    ['2026-09-03', 0, '2026-10-03'],
    ['2026-01-31', 0, '2026-02-28'],
    ['2028-01-31', 0, '2028-02-29'],
    ['2026-03-31', 0, '2026-04-30'],
    ['2026-12-15', 0, '2027-01-15'],
    ['2026-12-31', 0, '2027-01-31'],
    ['2026-01-31', 1, '2026-03-31'],
    ['2026-01-31', 2, '2026-04-30'],
    ['2026-11-30', 2, '2027-02-28'],
    ['2026-02-28', 0, '2026-03-28'],
  ] as const)('received %s, extended by %i: due %s', (received, ext, due) => {
    expect(dueDate(received, ext)).toBe(due);
  });

  it.each([
    ['2026-01-31', -1], ['2026-01-31', 3], ['2026-01-31', 1.5],
  ] as const)('refuses an extension of %s by %s months', (received, ext) => {
    expect(() => dueDate(received, ext)).toThrow(RangeError);
  });

  it.each([
    ['2026-02-29', false], ['2028-02-29', true], ['2026-13-01', false], ['2026-1-01', false], ['2026-04-30', true], ['2026-04-31', false],
  ] as const)('%s is a calendar day: %s', (day, ok) => {
    expect(isCalendarDay(day)).toBe(ok);
  });

  it.each([
    ['2026-01-15', 0, '2026-01-15'], ['2026-01-15', 11, '2026-12-15'], ['2026-05-31', 9, '2027-02-28'], ['2026-10-31', 16, '2028-02-29'],
  ] as const)('%s plus %i months is %s', (day, months, expected) => {
    expect(addCalendarMonths(day, months)).toBe(expected);
  });

  it.each([
    ['2026-03-01', '2026-03-31', 30], ['2026-03-31', '2026-03-01', -30], ['2026-03-28', '2026-03-30', 2], ['2026-10-24', '2026-10-26', 2],
  ] as const)('from %s to %s is %i days (daylight saving does not matter)', (a, b, n) => {
    expect(daysBetween(a, b)).toBe(n);
  });

  it.each([
    // received, extension, done, today, state, days left
    ['2026-09-03', 0, false, '2026-09-10', 'open', 23],
    ['2026-09-03', 0, false, '2026-09-26', 'due-soon', 7],
    ['2026-09-03', 0, false, '2026-10-02', 'due-soon', 1],
    ['2026-09-03', 0, false, '2026-10-03', 'due-today', 0],
    ['2026-09-03', 0, false, '2026-10-04', 'overdue', -1],
    ['2026-09-03', 0, true, '2026-12-01', 'done', -59],
    ['2026-09-03', 2, false, '2026-10-04', 'open', 60],
    ['2026-09-03', 1, false, '2026-11-03', 'due-today', 0],
  ] as const)('received %s, extended %i, done %s, on %s: %s (%i days left)', (receivedOn, extensionMonths, done, today, state, daysLeft) => {
    const c = clockOf({ receivedOn, extensionMonths, done }, today);
    expect(c.state).toBe(state);
    expect(c.daysLeft).toBe(daysLeft);
  });

  it.each([
    // extension so far, done, asked months, reason, today, result
    [0, false, 1, 'many sources', '2026-09-20', 'ok'],
    [0, false, 2, 'many sources', '2026-10-03', 'ok'],
    [1, false, 2, 'still more', '2026-10-01', 'ok'],
    [0, false, 1, 'late', '2026-10-04', 'first-month-over'],
    [0, true, 1, 'done already', '2026-09-20', 'part-done'],
    [0, false, 3, 'too long', '2026-09-20', 'too-many-months'],
    [0, false, 0, 'nothing', '2026-09-20', 'too-many-months'],
    [2, false, 1, 'shorter', '2026-09-20', 'not-longer'],
    [1, false, 1, 'same', '2026-09-20', 'not-longer'],
    [0, false, 1, '   ', '2026-09-20', 'reason-required'],
  ] as const)('extended %i, done %s: asking for %i months (%s) on %s is %s', (ext, done, months, reason, today, expected) => {
    const r = checkExtension({ receivedOn: '2026-09-03', extensionMonths: ext, done }, months, reason, today);
    expect(r.ok ? 'ok' : r.refusal).toBe(expected);
  });

  it.each([
    ['2026-09-03', '2026-09-03', true], ['2026-09-04', '2026-09-03', false], ['2025-09-01', '2026-09-03', false],
    ['2025-09-03', '2026-09-03', true], ['2026-02-30', '2026-09-03', false],
  ] as const)('a request received on %s may be logged on %s: %s', (day, today, ok) => {
    expect(checkReceivedOn(day, today).ok).toBe(ok);
  });
});
