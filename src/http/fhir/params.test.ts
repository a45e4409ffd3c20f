import { describe, it, expect } from 'vitest';
import { acceptsFhirJson } from './format.ts';
import { dateMatches, decodeCursor, encodeCursor, parseDate, parsePatientSearch, parseResourceSearch, parseToken, tokenMatches, type ParamProblem } from './params.ts';

describe('acceptsFhirJson', () => {
  it.each<[string | undefined, string | undefined, boolean]>([
    [undefined, undefined, true],
    ['application/fhir+json', undefined, true],
    ['application/json', undefined, true],
    ['*/*', undefined, true],
    ['text/html,application/xhtml+xml,*/*;q=0.8', undefined, true],
    ['application/fhir+xml', undefined, false],
    ['text/html', undefined, false],
    ['application/fhir+json;q=0', undefined, false],
    ['text/html', 'json', true],
    [undefined, 'application/fhir+json', true],
    [undefined, 'xml', false],
    ['application/fhir+json', 'application/fhir+xml', false],
  ])('Accept %s, _format %s → %s', (accept, format, ok) => {
    expect(acceptsFhirJson(accept, format)).toBe(ok);
  });
});

describe('date parameters', () => {
  it.each<[string, string, boolean]>([
    ['2024', '2024-06-01', true],
    ['2024', '2025-01-01', false],
    ['eq2024-06', '2024-06-30T23:00:00Z', true],
    ['ge2024-06-01', '2024-06-01', true],
    ['ge2024-06-01', '2024-05-31', false],
    ['gt2024-06-01', '2024-06-01T12:00:00Z', false],
    ['gt2024-06-01', '2024-06-02', true],
    ['le2024-06-01', '2024-06-01T23:59:00Z', true],
    ['lt2024-06-01', '2024-06-01', false],
    ['lt2024-06-01', '2024-05-31', true],
    ['ge2024-06-01T10:00:00Z', '2024-06-01T10:30:00Z', true],
  ])('%s against %s → %s', (param, date, expected) => {
    const problems: ParamProblem[] = [];
    const f = parseDate(param, 'date', problems);
    expect(problems).toEqual([]);
    expect(dateMatches(f!, date)).toBe(expected);
  });

  it.each(['ne2024', 'sa2024', 'ap2024'])('refuses the unsupported prefix in %s', (raw) => {
    const problems: ParamProblem[] = [];
    expect(parseDate(raw, 'date', problems)).toBeNull();
    expect(problems[0]?.code).toBe('not-supported');
  });

  it.each(['2024-13', 'yesterday', '2024-02-30', '24-01-01', '2024-01-01T10:00'])('refuses the malformed date %s', (raw) => {
    const problems: ParamProblem[] = [];
    expect(parseDate(raw, 'date', problems)).toBeNull();
    expect(problems[0]?.code).toBe('invalid');
  });

  it('an undated item matches no date filter', () => {
    expect(dateMatches(parseDate('ge2000', 'date', [])!, null)).toBe(false);
  });
});

describe('token parameters', () => {
  const codings = [{ system: 'http://snomed.info/sct', code: '44054006' }, { system: null, code: 'local' }];
  it.each<[string, boolean]>([
    ['http://snomed.info/sct|44054006', true],
    ['44054006', true],
    ['http://snomed.info/sct|', true],
    ['|local', true],
    ['|44054006', false],
    ['http://loinc.org|44054006', false],
  ])('%s → %s', (raw, expected) => {
    expect(tokenMatches(parseToken(raw), codings)).toBe(expected);
  });
});

describe('resource searches', () => {
  it('parses every supported parameter', () => {
    const r = parseResourceSearch('Condition', { patient: 'Patient/abc', date: ['ge2020', 'lt2021'], code: 'http://snomed.info/sct|1,2', category: 'problem-list-item', _count: '10', _sort: 'date' }, '/Condition');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.search).toMatchObject({ patient: 'abc', count: 10, offset: 0, sortDescending: false });
    expect(r.search.codes).toHaveLength(2);
    expect(r.search.dates).toHaveLength(2);
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['patient is required', { date: '2020' }, 'required'],
    ['unknown parameters are refused', { patient: 'x', colour: 'blue' }, 'not-supported'],
    ['category only where the type has one', { patient: 'x', category: 'y' }, 'not-supported'],
    ['_count must be 1..500', { patient: 'x', _count: '0' }, 'invalid'],
    ['_count must be a number', { patient: 'x', _count: 'ten' }, 'invalid'],
    ['_sort supports date only', { patient: 'x', _sort: 'code' }, 'not-supported'],
    ['a cursor of another search is refused', { patient: 'x', _cursor: encodeCursor(10, 'other') }, 'invalid'],
  ])('%s', (_name, q, code) => {
    const r = parseResourceSearch('Immunization', q, '/Immunization');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.code)).toContain(code);
  });

  it('a cursor is bound to its search and round-trips', () => {
    expect(decodeCursor(encodeCursor(40, 'k1'), 'k1')).toBe(40);
    expect(decodeCursor(encodeCursor(40, 'k1'), 'k2')).toBeNull();
    expect(decodeCursor('not base64 json', 'k1')).toBeNull();
  });
});

describe('Patient searches', () => {
  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    ['NHS number', { identifier: 'https://fhir.nhs.uk/Id/nhs-number|999 000 0018' }, { nhsNumber: '9990000018' }],
    ['family and birth date', { family: 'Smith', birthdate: '1950-02-03' }, { family: 'Smith', birthDate: { from: '1950-02-03', before: '1950-02-04' } }],
    ['given and a birth year range', { given: 'Ann', birthdate: 'ge1950' }, { given: 'Ann', birthDate: { from: '1950-01-01', before: '9999-12-31' } }],
    ['family and postcode', { family: 'Smith', 'address-postcode': 'st4 1aa' }, { family: 'Smith', postcode: 'st4 1aa' }],
  ])('%s', (_name, q, expected) => {
    const r = parsePatientSearch(q, '/Patient');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.search).toMatchObject(expected);
  });

  it.each<[string, Record<string, string>, string]>([
    ['another identifier system', { identifier: 'urn:other|123' }, 'not-supported'],
    ['a wrong check digit', { identifier: 'https://fhir.nhs.uk/Id/nhs-number|9990000019' }, 'invalid'],
    ['a name alone', { family: 'Smith' }, 'required'],
    ['a birth date alone', { birthdate: '1950-02-03' }, 'required'],
    ['an unsupported parameter', { identifier: 'https://fhir.nhs.uk/Id/nhs-number|9990000018', gender: 'female' }, 'not-supported'],
  ])('refuses %s', (_name, q, code) => {
    const r = parsePatientSearch(q, '/Patient');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.code)).toContain(code);
      // Problems never echo the searched value.
      expect(JSON.stringify(r.problems)).not.toMatch(/999000001|Smith/);
    }
  });
});
