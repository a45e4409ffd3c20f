/**
 * The comparison vector of two prepared records: one level per field (or null when either side
 * lacks the value), plus the NHS-number facts the safety rules need. Pure and symmetric.
 */
import { compareAddresses, ADDRESS_LEVELS } from './address.ts';
import { compareDates, DOB_LEVELS } from './dateOfBirth.ts';
import { jaroWinkler } from './jaroWinkler.ts';
import { compareNames, FAMILY_LEVELS, GIVEN_LEVELS } from './names.ts';
import { comparePostcodes, POSTCODE_LEVELS } from './postcode.ts';
import type { PreparedRecord } from './sourceRecord.ts';

export const NHS_LEVELS = ['exact', 'near', 'different'] as const;
export const SEX_LEVELS = ['agree', 'different'] as const;
export const PHONE_LEVELS = ['exact', 'different'] as const;
export const EMAIL_LEVELS = ['exact', 'fuzzy', 'different'] as const;

/** The compared fields, in the order of a comparison vector. */
export const FIELDS = ['nhsNumber', 'family', 'given', 'birthDate', 'sex', 'postcode', 'address', 'phone', 'email'] as const;
export type Field = (typeof FIELDS)[number];

export const FIELD_LEVELS: Record<Field, readonly string[]> = {
  nhsNumber: NHS_LEVELS,
  family: FAMILY_LEVELS,
  given: GIVEN_LEVELS,
  birthDate: DOB_LEVELS,
  sex: SEX_LEVELS,
  postcode: POSTCODE_LEVELS,
  address: ADDRESS_LEVELS,
  phone: PHONE_LEVELS,
  email: EMAIL_LEVELS,
};

export const FIELD_INDEX: Record<Field, number> = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>;

export interface ComparisonVector {
  /** Level index per field (see FIELD_LEVELS), -1 when either record lacks the value. */
  levels: Int8Array;
  /** Both NHS numbers valid and equal / valid and different / anything else. */
  nhs: 'agree' | 'conflict' | 'none';
  /** Given and family names were read exchanged. */
  swapped: boolean;
}

function levelIndex(field: Field, level: string): number {
  return FIELD_LEVELS[field].indexOf(level);
}

/** One edit apart (substitution) or two neighbouring digits exchanged. */
function nearDigits(a: string, b: string): boolean {
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      if (count === 0) first = i;
      count++;
      if (count > 2) return false;
    }
  }
  if (count === 1) return true;
  return count === 2 && a[first] === b[first + 1] && a[first + 1] === b[first];
}

export function compareRecords(a: PreparedRecord, b: PreparedRecord): ComparisonVector {
  const levels = new Int8Array(FIELDS.length).fill(-1);
  let nhs: ComparisonVector['nhs'] = 'none';
  if (a.nhsNumber !== null && b.nhsNumber !== null) nhs = a.nhsNumber === b.nhsNumber ? 'agree' : 'conflict';
  if (a.nhsDigits !== null && b.nhsDigits !== null) {
    levels[0] = a.nhsDigits === b.nhsDigits ? 0 : nhs !== 'conflict' && nearDigits(a.nhsDigits, b.nhsDigits) ? 1 : 2;
  }

  const names = compareNames(a.family, a.given, b.family, b.given);
  if (names.family !== null) levels[1] = levelIndex('family', names.family);
  if (names.given !== null) levels[2] = levelIndex('given', names.given);

  if (a.birthDate && b.birthDate) levels[3] = levelIndex('birthDate', compareDates(a.birthDate, b.birthDate));
  if (a.sex !== null && b.sex !== null) levels[4] = a.sex === b.sex ? 0 : 1;
  if (a.postcode && b.postcode) levels[5] = levelIndex('postcode', comparePostcodes(a.postcode, b.postcode));
  if (a.address.length > 0 && b.address.length > 0) levels[6] = levelIndex('address', compareAddresses(a.address, b.address));
  if (a.phone !== null && b.phone !== null) levels[7] = a.phone === b.phone ? 0 : 1;
  if (a.email !== null && b.email !== null) {
    levels[8] = a.email === b.email ? 0 : jaroWinkler(a.email, b.email) >= 0.88 ? 1 : 2;
  }
  return { levels, nhs, swapped: names.swapped };
}

/** The level name of a field in a vector, or null when missing. */
export function levelName(vector: ComparisonVector, field: Field): string | null {
  const i = vector.levels[FIELD_INDEX[field]] ?? -1;
  return i < 0 ? null : (FIELD_LEVELS[field][i] ?? null);
}
