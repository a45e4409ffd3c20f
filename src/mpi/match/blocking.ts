/**
 * Blocking: the keys under which a record is filed, so that a new record is compared only with
 * records sharing at least one key. Several passes, each tolerant of a different fault, keep
 * candidates few (about constant per record, so total cost grows linearly) yet let a record
 * with a typo in one field still meet its twin through the others.
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
