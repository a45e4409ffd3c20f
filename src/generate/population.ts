/**
 * One synthetic resident: demographics drawn for Staffordshire and Stoke-on-Trent (age pyramid
 * like the 2021 census, names by sex and birth cohort, an address in a real town), the GP practice
 * they are registered with, and which other services know them. Person i always gets the same
 * data for the same seed, whatever else is generated.
 */
import { createRng, cumulative, type Rng } from './random.ts';
import { FAMILY_NAMES, GIVEN_NAMES, cohortOf, rankWeights } from './names.ts';
import { TOWNS, TOWN_WEIGHTS, addressIn, dramaPhone, type Address, type Town } from './places.ts';
import { dayParts } from './dates.ts';
import { makeHistory, type History, type Sex } from './clinical.ts';
import type { GpPractice } from './partners.ts';
import { testRangeCapacity, testRangeNhsNumber } from '../nhs/nhsNumber.ts';

/** Five-year bands to 90+, shares of the population (per mille), close to the county's census profile. */
const AGE_BANDS: readonly [number, number, number][] = [
  [0, 4, 53], [5, 9, 57], [10, 14, 59], [15, 19, 55], [20, 24, 57], [25, 29, 60], [30, 34, 61], [35, 39, 59],
  [40, 44, 57], [45, 49, 62], [50, 54, 70], [55, 59, 70], [60, 64, 63], [65, 69, 56], [70, 74, 58], [75, 79, 43],
  [80, 84, 28], [85, 89, 17], [90, 101, 9],
];
const AGE_WEIGHTS = cumulative(AGE_BANDS.map((b) => b[2]));
const FAMILY_WEIGHTS = cumulative(rankWeights(FAMILY_NAMES.length));
const GIVEN_WEIGHTS = new Map<readonly string[], number[]>();
function givenWeights(list: readonly string[]): number[] {
  let w = GIVEN_WEIGHTS.get(list);
  if (!w) { w = cumulative(rankWeights(list.length)); GIVEN_WEIGHTS.set(list, w); }
  return w;
}

export interface Person {
  index: number;
  /** Stable key of the real person, as written to truth.csv. */
  key: string;
  /** Null beyond the ~909,000 valid numbers of the 999 test range. */
  nhsNumber: string | null;
  sex: Sex;
  title: string;
  family: string;
  given: string[];
  birthDay: number;
  age: number;
  town: Town;
  address: Address;
  phone: string;
  practice: GpPractice;
  gpRegisteredDay: number;
  history: History;
  /** The random stream for this person's source records, after demographics and history. */
  rng: Rng;
}

function pickGiven(rng: Rng, sex: Sex, birthYear: number): string {
  const s = sex === 'male' || sex === 'female' ? sex : rng.chance(0.5) ? 'female' : 'male';
  const list = GIVEN_NAMES[s][cohortOf(birthYear)];
  return list[rng.pickCumulative(givenWeights(list))] ?? 'Alex';
}

export function practiceFor(rng: Rng, town: Town, practices: readonly GpPractice[]): GpPractice {
  const local = practices.filter((p) => p.town === town);
  if (local.length > 0) return rng.pick(local);
  const near = practices.filter((p) => p.town.locality === town.locality);
  return rng.pick(near.length > 0 ? near : practices);
}

export function makePerson(seed: string, index: number, asOfDay: number, practices: readonly GpPractice[]): Person {
  const rng = createRng(`${seed}/person/${index}`);
  const bandIx = rng.pickCumulative(AGE_WEIGHTS);
  const bandDef = AGE_BANDS[bandIx] ?? [40, 44, 57];
  const age = rng.int(bandDef[0], bandDef[1]);
  // Born between exactly `age` and `age + 1` years before asOf.
  const birthDay = asOfDay - Math.floor(age * 365.25) - rng.int(1, 364);
  const r = rng.next();
  const sex: Sex = r < 0.494 ? 'male' : r < 0.997 ? 'female' : r < 0.999 ? 'other' : 'unknown';
  const birthYear = dayParts(birthDay).year;
  const given = [pickGiven(rng, sex, birthYear)];
  if (rng.chance(0.55)) {
    const middle = pickGiven(rng, sex, birthYear);
    if (middle !== given[0]) given.push(middle);
  }
  const family = FAMILY_NAMES[rng.pickCumulative(FAMILY_WEIGHTS)] ?? 'Smith';
  const town = TOWNS[rng.pickCumulative(TOWN_WEIGHTS)] ?? TOWNS[0]!;
  const address = addressIn(rng, town);
  const phone = dramaPhone(rng);
  const practice = practiceFor(rng, town, practices);
  const gpRegisteredDay = Math.max(birthDay + rng.int(3, 40), asOfDay - rng.int(30, 365 * 25));
  const history = makeHistory(rng, birthDay, age, sex, asOfDay);
  const title = age < 16 ? '' : sex === 'male' ? 'Mr' : sex === 'female' ? rng.pick(['Mrs', 'Ms', 'Miss']) : 'Mx';
  return {
    index,
    key: `P${String(index + 1).padStart(7, '0')}`,
    nhsNumber: index < testRangeCapacity() ? testRangeNhsNumber(index) : null,
    sex,
    title,
    family,
    given,
    birthDay,
    age,
    town,
    address,
    phone,
    practice,
    gpRegisteredDay: Math.min(gpRegisteredDay, asOfDay - 1),
    history,
    rng,
  };
}

/** An earlier address for someone who moved: elsewhere in the county. */
export function previousAddress(rng: Rng, person: Person): Address {
  const town = rng.chance(0.6) ? person.town : TOWNS[rng.pickCumulative(TOWN_WEIGHTS)] ?? person.town;
  let a = addressIn(rng, town);
  if (a.line1 === person.address.line1) a = { ...a, line1: `${a.line1.split(' ')[0] ?? '1'}A ${a.line1.split(' ').slice(1).join(' ')}` };
  return a;
}
