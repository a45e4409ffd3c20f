/**
 * How one source sees a person: the demographics it holds under its own local id, with the
 * faults of real registration desks injected (and logged) for sources other than the GP, whose
 * registration is the reference.
 */
import type { Rng } from './random.ts';
import type { Address } from './places.ts';
import type { Sex } from './clinical.ts';
import { isoDay } from './dates.ts';
import { previousAddress, type Person } from './population.ts';
import { mistypeNhsNumber, nicknameFor, transposeDob, typo, type FaultLog, type FaultRates } from './faults.ts';

export interface SourceRecord {
  feedId: string;
  localId: string;
  nhsNumber: string | null;
  title: string;
  family: string;
  given: string[];
  /** YYYY-MM-DD as the source holds it. */
  birthDate: string;
  sex: Sex;
  address: Address;
  phone: string;
}

export function faithfulRecord(person: Person, feedId: string, localId: string): SourceRecord {
  return {
    feedId, localId, nhsNumber: person.nhsNumber, title: person.title, family: person.family, given: [...person.given],
    birthDate: isoDay(person.birthDay), sex: person.sex, address: person.address, phone: person.phone,
  };
}

/** A non-GP source's record of the person, each fault drawn independently at its rate. */
export function sourceRecord(
  rng: Rng, person: Person, feedId: string, localId: string, rates: FaultRates, log: FaultLog,
  missingNhsMultiplier = 1,
): SourceRecord {
  const rec = faithfulRecord(person, feedId, localId);
  if (rec.nhsNumber !== null) {
    if (rng.chance(Math.min(1, rates.missingNhsNumber * missingNhsMultiplier))) {
      rec.nhsNumber = null;
      log.record(feedId, localId, 'missing-nhs-number', 'nhs_number');
    } else if (rng.chance(rates.mistypedNhsNumber)) {
      rec.nhsNumber = mistypeNhsNumber(rng, rec.nhsNumber);
      log.record(feedId, localId, 'mistyped-nhs-number', 'nhs_number');
    }
  }
  if (rng.chance(rates.nameTypo)) {
    if (rng.chance(0.6)) {
      rec.family = typo(rng, rec.family);
      log.record(feedId, localId, 'name-typo', 'family_name');
    } else {
      rec.given[0] = typo(rng, rec.given[0] ?? 'A');
      log.record(feedId, localId, 'name-typo', 'given_names');
    }
  }
  if (rng.chance(rates.nickname)) {
    const nick = nicknameFor(rng, rec.given[0] ?? '');
    if (nick) {
      rec.given = [nick];
      log.record(feedId, localId, 'nickname', 'given_names');
    }
  }
  // Under-ones are skipped: their swapped date could fall after asOf.
  if (person.age >= 1 && rng.chance(rates.transposedDob)) {
    const swapped = transposeDob(rec.birthDate);
    if (swapped) {
      rec.birthDate = swapped;
      log.record(feedId, localId, 'transposed-dob', 'date_of_birth');
    }
  }
  if (rng.chance(rates.movedAddress)) {
    rec.address = previousAddress(rng, person);
    log.record(feedId, localId, 'moved-address', 'address');
  }
  return rec;
}
