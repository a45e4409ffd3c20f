/**
 * Blocking: the keys under which a record is filed, so that a new record is compared only with
 * records sharing at least one key. Several passes, each tolerant of a different fault, keep
 * candidates few (about constant per record, so total cost grows linearly) yet let a record
 * with a typo in one field still meet its twin through the others.
 *
 * Names are filed only together with part of the date of birth (the name pair with the year, and
 * with the birthday). Blocks of a name alone (a family name and year, a given name and birthday, a
 * name pair) grow with the county; a pair meeting in only one of them was never compared, and a
 * pair meeting in two of them always shares one of the two combined blocks (see worthComparing).
 * Reading those big blocks whole, to find the few records in two of them, was most of the cost of
 * finding candidates at 100,000 persons (migration 0016 refiled the records filed before).
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
    if (familyCode !== '' && givenCode !== '') {
      // The name pair unordered, so given and family written the wrong way round meet too; with the
      // year (a typo in the day or month) and with the birthday (a typo in the year).
      const [p, q] = familyCode <= givenCode ? [familyCode, givenCode] : [givenCode, familyCode];
      keys.push(`nmy:${p}:${q}:${dob.year}`);
      keys.push(`nmd:${p}:${q}:${pad2(dob.month)}${pad2(dob.day)}`);
    }
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
 * the date of birth — the one field a record keeps through a new name, a move and a typo in a
 * name (without it, a quarter of the linked pairs of the messy Splink demo file are lost) — and
 * the name pair with the year or the birthday of birth.
 */
export const BOUNDED_KEY_KINDS: readonly string[] = ['n', 'em', 'pc', 'ph', 'd', 'nmy', 'nmd'];

/**
 * Whether two records filed under the given shared (usable, distinct) keys are compared. Blocks of
 * a name alone (fy: family name and year of birth, gmd: given name and birthday, nm: the name
 * pair; filed before migration 0016) grow with the county, and a pair that shares one of them and
 * nothing else is almost never one person: such a pair is left out unless a second key is shared.
 * Every pair that shared two of them shares nmy or nmd, which are filed instead (fy and nm: the
 * pair and the year; gmd and nm: the pair and the birthday; fy and gmd imply nm).
 * Depends only on the pair, so it cannot make the result depend on arrival order.
 */
export function worthComparing(shared: readonly string[]): boolean {
  if (shared.length >= 2) return true;
  return shared.some((k) => BOUNDED_KEY_KINDS.includes(k.slice(0, k.indexOf(':'))));
}
