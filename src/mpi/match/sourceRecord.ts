/**
 * A source record as the person index sees it (feed, local id, demographics as sent) and its
 * prepared form: every value normalised once, so that each of the many comparisons is cheap.
 */
import type { SourceDemographics } from '../../ingest/sourceAction.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../../nhs/nhsNumber.ts';
import { addressTokens } from './address.ts';
import { prepareDate, type PreparedDate } from './dateOfBirth.ts';
import { prepareName, type PreparedName } from './names.ts';
import { normalisePhone } from './phone.ts';
import { parsePostcode, type Postcode } from './postcode.ts';

/** Demographics plus the weak identifiers some sources send that the ingest contract does not name. */
export type MatchDemographics = SourceDemographics & { email?: string | undefined };

export interface SourceRecordInput {
  feedId: string;
  localId: string;
  demographics: MatchDemographics;
  /** When the source last sent these demographics (ISO timestamp): decides recency in derived demographics. */
  recordedAt?: string | undefined;
  /** The feed is the person's GP practice registration: its demographics take precedence. */
  gpRegistration?: boolean | undefined;
}

export interface PreparedRecord {
  key: string;
  feedId: string;
  localId: string;
  /** Ten digits that pass modulus 11, in an accepted layout; otherwise null. */
  nhsNumber: string | null;
  nhsNumberVerified: boolean;
  /** Ten digits once spaces and hyphens are removed, valid or not (mistyped numbers are still evidence). */
  nhsDigits: string | null;
  family: PreparedName | null;
  given: PreparedName[];
  birthDate: PreparedDate | null;
  sex: 'male' | 'female' | 'other' | null;
  postcode: Postcode | null;
  address: string[];
  phone: string | null;
  email: string | null;
}

/** The identity of a source record: feed and local id (a tab cannot occur in either). */
export function sourceRecordKey(feedId: string, localId: string): string {
  return `${feedId}\t${localId}`;
}

export function splitSourceRecordKey(key: string): { feedId: string; localId: string } {
  const i = key.indexOf('\t');
  return { feedId: key.slice(0, i), localId: key.slice(i + 1) };
}

export function nhsNumberOf(raw: string | undefined): { valid: string | null; digits: string | null } {
  if (!raw) return { valid: null, digits: null };
  const normalised = normaliseNhsNumber(raw);
  const valid = normalised !== null && isValidNhsNumber(normalised) ? normalised : null;
  const stripped = raw.replace(/[\s-]/g, '');
  return { valid, digits: /^\d{10}$/.test(stripped) ? stripped : null };
}

export function prepareRecord(input: SourceRecordInput): PreparedRecord {
  const d = input.demographics;
  const nhs = nhsNumberOf(d.nhsNumber);
  const given: PreparedName[] = [];
  for (const g of d.given ?? []) {
    // A given-name field may hold several names ("Mary Anne"): each is a given name.
    for (const part of g.split(/\s+/)) {
      const p = prepareName(part);
      if (p) given.push(p);
    }
  }
  const email = d.email?.trim().toLowerCase() ?? '';
  return {
    key: sourceRecordKey(input.feedId, input.localId),
    feedId: input.feedId,
    localId: input.localId,
    nhsNumber: nhs.valid,
    nhsNumberVerified: nhs.valid !== null && d.nhsNumberVerified === true,
    nhsDigits: nhs.digits,
    family: prepareName(d.family),
    given,
    birthDate: prepareDate(d.birthDate),
    sex: d.sex === 'male' || d.sex === 'female' || d.sex === 'other' ? d.sex : null,
    postcode: parsePostcode(d.postcode),
    address: addressTokens(d.addressLines),
    phone: normalisePhone(d.phone),
    email: email === '' ? null : email,
  };
}
