/**
 * Blocking: the keys under which a record is filed, so that a new record is compared only with
 * records sharing at least one key. Several passes, each tolerant of a different fault, keep
 * candidates few (about constant per record, so total cost grows linearly) yet let a record
 * with a typo in one field still meet its twin through the others.
 *
 * A pair meeting only in one name block is not compared (see worthComparing): those blocks grow
 * with the county, and reading and scoring their members is what made matching slow down as the
 * index grew.
 */
import { nicknameKey } from './nicknames.ts';
import { nysiis } from './nysiis.ts';
import type { PreparedRecord } from './sourceRecord.ts';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function blockingKeys(r: PreparedRecord): string[] {
  const keys: string[] = [];
  // Valid or not: a mistyped number still finds the record it was copied from only by other keys,
  // but an unchecked ten-digit identifier that agrees is worth comparing.
  if (r.nhsDigits !== null) keys.push(`n:${r.nhsDigits}`);
  const dob = r.birthDate;
  const familyCode = r.family?.code ?? '';
  const first = r.given[0];
  const givenCode = first ? nysiis(nicknameKey(first.key)) : '';
  if (dob) {
    // Day and month in sorted order, so a record with them exchanged shares the key.
    const lo = Math.min(dob.day, dob.month);
    const hi = Math.max(dob.day, dob.month);
    keys.push(`d:${dob.year}${pad2(lo)}${pad2(hi)}`);
    if (familyCode !== '') keys.push(`fy:${familyCode}:${dob.year}`);
    if (givenCode !== '') keys.push(`gmd:${givenCode}:${pad2(dob.month)}${pad2(dob.day)}`);
  }
  if (familyCode !== '' && givenCode !== '') {
    // Unordered, so given and family written the wrong way round meet too.
    const [p, q] = familyCode <= givenCode ? [familyCode, givenCode] : [givenCode, familyCode];
    keys.push(`nm:${p}:${q}`);
  }
  if (r.postcode) keys.push(`pc:${r.postcode.unit}`);
  // A telephone number is shared by a household, a care home's switchboard, or (in synthetic data)
  // the few thousand numbers reserved for drama: alone it makes blocks that grow with the county.
  // With the year of birth it still finds a person whose name and address both changed.
  if (r.phone !== null) keys.push(dob ? `ph:${r.phone}:${dob.year}` : `ph:${r.phone}`);
  if (r.email !== null) keys.push(`em:${r.email}`);
  return keys;
}

/**
 * Kinds of key worth a comparison on their own: an identifier (an NHS number, valid or mistyped;
 * an e-mail address), a household (a postcode unit; a telephone number with the year of birth),
 * and the date of birth — the one field a record keeps through a new name, a move and a typo in
 * a name (without it, a quarter of the linked pairs of the messy Splink demo file are lost).
 */
export const BOUNDED_KEY_KINDS: readonly string[] = ['n', 'em', 'pc', 'ph', 'd'];

/**
 * Whether two records filed under the given shared (usable, distinct) keys are compared. The name
 * blocks (family name and year, given name and birthday, the name pair) grow with the county, and
 * a pair that shares one of them and nothing else — a different date of birth, address, phone and
 * NHS number — is almost never one person: at 100,000 persons such pairs were most of what was
 * read and scored, and none of them linked. They are left out unless a second key is shared.
 * Depends only on the pair, so it cannot make the result depend on arrival order.
 */
export function worthComparing(shared: readonly string[]): boolean {
  if (shared.length >= 2) return true;
  return shared.some((k) => BOUNDED_KEY_KINDS.includes(k.slice(0, k.indexOf(':'))));
}
