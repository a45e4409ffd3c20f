import { describe, it, expect } from 'vitest';
import { addressTokens, compareAddresses } from './address.ts';
import { compareDates, prepareDate } from './dateOfBirth.ts';
import { compareNames, normaliseName, prepareName, compareFamily, compareGiven } from './names.ts';
import { areNicknames, nicknameKey, nicknamePairCount } from './nicknames.ts';
import { normalisePhone } from './phone.ts';
import { comparePostcodes, parsePostcode } from './postcode.ts';
import { compareRecords, levelName } from './comparison.ts';
import { prepareRecord } from './sourceRecord.ts';

const n = (s: string) => prepareName(s)!;

describe('normaliseName', () => {
  it.each([
    ['  SMITH ', 'smith'],
    ["O'Brien", 'obrien'],
    ['Smith-Jones', 'smith jones'],
    ['MacDonald', 'mcdonald'],
    ['Mc Donald', 'mcdonald'],
    ['Mack', 'mack'],
    ['Brontë', 'bronte'],
    ['Fernández', 'fernandez'],
    ['', ''],
  ])('%s → %s', (raw, expected) => expect(normaliseName(raw)).toBe(expected));
});

describe('nicknames', () => {
  it('holds about a hundred pairs', () => expect(nicknamePairCount()).toBeGreaterThanOrEqual(100));
  it.each([
    ['bill', 'william', true],
    ['peggy', 'margaret', true],
    ['jack', 'john', true],
    ['bob', 'robert', true],
    ['liz', 'elizabeth', true],
    ['alex', 'alexandra', true],
    ['john', 'james', false],
    ['william', 'william', false],
  ])('%s / %s → %s', (a, b, expected) => expect(areNicknames(a, b)).toBe(expected));
  it('gives every form of a name the same blocking key', () => {
    expect(nicknameKey('bill')).toBe(nicknameKey('william'));
    expect(nicknameKey('zebedee')).toBe('zebedee');
  });
});

describe('family name levels', () => {
  it.each([
    ['Smith', 'SMITH', 'exact'],
    ['Williams', 'Wiliams', 'fuzzy-high'],
    ['MacDonald', 'McDonald', 'exact'],
    ['Smith-Jones', 'Jones', 'part'],
    ['Philips', 'Fillips', 'phonetic'],
    ['Smith', 'Patel', 'different'],
  ])('%s / %s → %s', (a, b, level) => expect(compareFamily(n(a), n(b))).toBe(level));
});

describe('given name levels', () => {
  it.each([
    [['John'], ['john'], 'exact'],
    [['Bill'], ['William'], 'nickname'],
    [['Jonathon'], ['Jonathan'], 'fuzzy-high'],
    [['Mary', 'Anne'], ['Anne'], 'middle-name'],
    [['J'], ['John'], 'initial'],
    [['John'], ['Sarah'], 'different'],
  ])('%j / %j → %s', (a, b, level) => expect(compareGiven(a.map(n), b.map(n))).toBe(level));
});

describe('swapped given and family names', () => {
  it.each([
    [['Watson', 'Noah'], ['Noah', 'Watson'], true, 'swapped', 'exact'],
    [['Noah', 'Watson'], ['Noah', 'Watson'], false, 'exact', 'exact'],
    [['Noah', ''], ['Watson', 'Noah'], true, null, 'exact'],
    [['Smith', 'Jones'], ['Patel', 'Khan'], false, 'different', 'different'],
  ])('given/family %j vs %j', ([ga, fa], [gb, fb], swapped, family, given) => {
    const r = compareNames(prepareName(fa), ga ? [n(ga)] : [], prepareName(fb), gb ? [n(gb)] : []);
    expect(r).toEqual({ swapped, family, given });
  });
});

describe('date of birth levels', () => {
  it.each([
    ['1970-03-04', '1970-03-04', 'exact'],
    ['1970-03-04', '1970-04-03', 'transposed'],
    ['1970-03-04', '1970-03-05', 'one-digit'],
    ['1970-03-04', '1971-03-04', 'one-digit'],
    ['1969-03-04', '1970-03-04', 'year-off-by-one'],
    ['1970-03-04', '1982-11-20', 'different'],
  ])('%s / %s → %s', (a, b, level) => expect(compareDates(prepareDate(a)!, prepareDate(b)!)).toBe(level));
  it.each(['1970-02-30', '1970-13-01', '04/03/1970', ''])('%s is not a date', (raw) => expect(prepareDate(raw)).toBeNull());
});

describe('postcodes', () => {
  it.each([
    ['ls1 4ap', 'LS1 4AP'],
    ['EC1A1BB', 'EC1A 1BB'],
    ['W1J 7NT', 'W1J 7NT'],
    ['M60 1NW', 'M60 1NW'],
  ])('%s parses to %s', (raw, unit) => expect(parsePostcode(raw)?.unit).toBe(unit));
  it.each(['', 'LS1', '12345', 'LS1 4A'])('%s is not a postcode', (raw) => expect(parsePostcode(raw)).toBeNull());
  it.each([
    ['LS1 4AP', 'LS14AP', 'unit'],
    ['LS1 4AP', 'LS1 4BB', 'sector'],
    ['LS1 4AP', 'LS1 5AP', 'district'],
    ['LS1 4AP', 'LS6 2QR', 'area'],
    ['LS1 4AP', 'BD1 4AP', 'different'],
  ])('%s / %s → %s', (a, b, level) => expect(comparePostcodes(parsePostcode(a)!, parsePostcode(b)!)).toBe(level));
});

describe('addresses', () => {
  it.each([
    [['12 High St'], ['12 HIGH STREET'], 'same'],
    [['12 High Street', 'Leeds'], ['12 High Street'], 'most'],
    [['Flat 2, 12 High Street'], ['12 High Road'], 'some'],
    [['12 High Street'], ['3 Mill Lane'], 'different'],
  ])('%j / %j → %s', (a, b, level) => expect(compareAddresses(addressTokens(a), addressTokens(b))).toBe(level));
});

describe('phone numbers', () => {
  it.each([
    ['+44 7700 900123', '07700900123'],
    ['07700 900123', '07700900123'],
    ['0044 113 496 0000', '01134960000'],
    ['+44 (0)113 496 0000', '01134960000'],
    ['12345', null],
    ['', null],
  ])('%s → %s', (raw, expected) => expect(normalisePhone(raw)).toBe(expected));
});

describe('comparison vector', () => {
  const base = { localId: 'x', nhsNumber: '943 476 5919', family: 'Smith', given: ['John'], birthDate: '1970-03-04', sex: 'male' as const, postcode: 'LS1 4AP', phone: '07700 900123' };
  it.each([
    ['sex', { sex: 'female' as const }, 'different'],
    ['sex', { sex: 'unknown' as const }, null],
    ['nhsNumber', { nhsNumber: '9434765918' }, 'near'],
    ['nhsNumber', { nhsNumber: '9434765919' }, 'exact'],
    ['nhsNumber', { nhsNumber: undefined }, null],
    ['phone', { phone: '+447700900123' }, 'exact'],
  ] as const)('%s with %j → %s', (field, change, level) => {
    const a = prepareRecord({ feedId: 'f', localId: 'a', demographics: base });
    const b = prepareRecord({ feedId: 'g', localId: 'b', demographics: { ...base, ...change } });
    expect(levelName(compareRecords(a, b), field)).toBe(level);
  });
});
