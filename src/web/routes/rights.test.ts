import { describe, expect, it } from 'vitest';
import { testRangeNhsNumber } from '../../nhs/nhsNumber.ts';
import { checkLogForm, clockTag, entryKind } from './rights.ts';

const NHS = testRangeNhsNumber(7400);
const TODAY = '2026-09-03';
const form = (o: Partial<{ nhs: string; kind: string; description: string; day: string; month: string; year: string }> = {}) => ({
  nhs: NHS, kind: 'access', description: '', day: '1', month: '9', year: '2026', ...o,
});

describe('the rights request form', () => {
  it.each([
    ['a complete request', form(), []],
    ['an NHS number typed with spaces', form({ nhs: `${NHS.slice(0, 3)} ${NHS.slice(3, 6)} ${NHS.slice(6)}` }), []],
    ['no NHS number', form({ nhs: '' }), ['nhs-number']],
    ['a mistyped NHS number', form({ nhs: `${NHS.slice(0, 9)}${(Number(NHS[9]) + 1) % 10}` }), ['nhs-number']],
    ['no kind', form({ kind: '' }), ['kind']],
    ['an unknown kind', form({ kind: 'erasure' }), ['kind']],
    ['no date', form({ day: '', month: '', year: '' }), ['received']],
    ['half a date', form({ day: '1', month: '', year: '2026' }), ['received']],
    ['an impossible date', form({ day: '31', month: '9', year: '2026' }), ['received']],
    ['a date in the future', form({ day: '4', month: '9', year: '2026' }), ['received']],
    ['a two-digit year', form({ year: '26' }), ['received']],
    ['a description that is too long', form({ description: 'x'.repeat(2001) }), ['description']],
    ['everything missing', form({ nhs: '', kind: '', day: '', month: '', year: '' }), ['nhs-number', 'kind', 'received']],
  ] as const)('%s', (_name, f, fields) => {
    const r = checkLogForm(f, TODAY);
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(fields);
  });

  it('gives the values to log', () => {
    expect(checkLogForm(form({ description: '  wrong allergy  ' }), TODAY)).toEqual({ ok: true, nhs: NHS, kind: 'access', receivedOn: '2026-09-01', description: 'wrong allergy' });
  });
});

describe('deadline tags', () => {
  it.each([
    [{ state: 'done', dueOn: TODAY, daysLeft: 3 }, 'Done', 'green'],
    [{ state: 'overdue', dueOn: TODAY, daysLeft: -1 }, 'Overdue by 1 day', 'red'],
    [{ state: 'overdue', dueOn: TODAY, daysLeft: -12 }, 'Overdue by 12 days', 'red'],
    [{ state: 'due-today', dueOn: TODAY, daysLeft: 0 }, 'Due today', 'red'],
    [{ state: 'due-soon', dueOn: TODAY, daysLeft: 1 }, 'Due in 1 day', 'orange'],
    [{ state: 'due-soon', dueOn: TODAY, daysLeft: 6 }, 'Due in 6 days', 'orange'],
    [{ state: 'open', dueOn: TODAY, daysLeft: 20 }, '20 days left', 'blue'],
  ] as const)('%o is shown as "%s"', (clock, text, colour) => {
    const h = clockTag(clock).toString();
    expect(h).toContain(`>${text}<`);
    expect(h).toContain(`nhsuk-tag--${colour}`);
  });

  it.each([['Condition', 'Conditions and diagnoses'], ['DocumentReference', 'Letters and documents'], ['Basic', 'Basic']] as const)('names %s as %s', (type, words) => {
    expect(entryKind(type)).toBe(words);
  });
});
