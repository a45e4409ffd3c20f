/**
 * A seeded synthetic population and the source records several feeds would send about it, with
 * the faults real registers have: typing errors, nicknames, given and family swapped, day and
 * month exchanged, one digit wrong, year one out, moved addresses, missing or mistyped NHS
 * numbers, households and twins. Used by the matching tests and the throughput measurement;
 * every NHS number comes from the 999 test range.
 */
import { testRangeNhsNumber } from '../../nhs/nhsNumber.ts';
import { sourceRecordKey, type SourceRecordInput } from './sourceRecord.ts';

const MALE = ['Oliver', 'George', 'Harry', 'Jack', 'Jacob', 'Noah', 'Charlie', 'Thomas', 'Oscar', 'William', 'James', 'Henry', 'Leo', 'Alfie', 'Joshua', 'Freddie', 'Archie', 'Ethan', 'Isaac', 'Alexander', 'Joseph', 'Edward', 'Samuel', 'Max', 'Daniel', 'Arthur', 'Lucas', 'Mohammed', 'Logan', 'Theo', 'David', 'John', 'Michael', 'Robert', 'Richard', 'Peter', 'Paul', 'Stephen', 'Andrew', 'Mark', 'Christopher', 'Anthony', 'Kenneth', 'Ronald', 'Frederick', 'Albert', 'Stanley', 'Leonard', 'Ernest', 'Gordon', 'Keith', 'Brian', 'Colin', 'Graham', 'Ian', 'Nigel', 'Trevor', 'Raymond', 'Dennis', 'Philip'];
const FEMALE = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Emily', 'Isabella', 'Mia', 'Poppy', 'Ella', 'Lily', 'Sophia', 'Grace', 'Evie', 'Jessica', 'Charlotte', 'Florence', 'Matilda', 'Freya', 'Ruby', 'Daisy', 'Margaret', 'Elizabeth', 'Mary', 'Patricia', 'Susan', 'Sarah', 'Catherine', 'Jennifer', 'Rebecca', 'Victoria', 'Dorothy', 'Eleanor', 'Helen', 'Joanne', 'Pamela', 'Barbara', 'Ann', 'Abigail', 'Lucy', 'Louise', 'Gillian', 'Valerie', 'Beatrice', 'Theresa', 'Caroline', 'Penelope', 'Harriet', 'Philippa', 'Christine', 'Deborah', 'Doreen', 'Irene', 'Joan', 'Brenda', 'Sheila', 'Janet', 'Maureen', 'Shirley', 'Carol', 'Julie'];
const FAMILY = ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson', 'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall', 'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Singh', 'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali', 'Hunt', 'Hussain', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills', 'Barnes', 'Knight', 'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens', 'Jenkins', 'Murray', 'Dixon', 'Harvey', "O'Brien", 'McDonald', 'MacKenzie', 'Smith-Jones', 'Ahmed', 'Nowak', 'Kowalski', 'Okafor', 'Nguyen', 'Fernández', 'Brontë', 'Ashworth', 'Sutcliffe', 'Greenwood', 'Haigh', 'Crowther', 'Ackroyd', 'Holroyd', 'Illingworth', 'Lockwood', 'Pickles', 'Rhodes', 'Schofield', 'Wadsworth', 'Whiteley', 'Hirst', 'Firth', 'Brook', 'Dyson', 'Hemingway', 'Horsfall', 'Marsden', 'Midgley', 'Naylor', 'Priestley', 'Riley', 'Senior', 'Stansfield', 'Sykes', 'Thornton', 'Womersley'];
const NICK: Record<string, string[]> = {
  William: ['Bill', 'Will', 'Billy'], John: ['Jack', 'Johnny'], Robert: ['Bob', 'Rob', 'Bobby'], Richard: ['Dick', 'Rick'], Edward: ['Ted', 'Eddie'],
  James: ['Jim', 'Jimmy'], Thomas: ['Tom', 'Tommy'], Henry: ['Harry', 'Hal'], Anthony: ['Tony'], Christopher: ['Chris'], Michael: ['Mike', 'Mick'],
  Daniel: ['Dan', 'Danny'], David: ['Dave'], Joseph: ['Joe'], Samuel: ['Sam'], Alexander: ['Alex', 'Alec'], Andrew: ['Andy'], Stephen: ['Steve'],
  Peter: ['Pete'], Frederick: ['Fred', 'Freddie'], Albert: ['Bert', 'Albie'], Kenneth: ['Ken'], Ronald: ['Ron', 'Ronnie'], Leonard: ['Len'],
  Stanley: ['Stan'], Philip: ['Phil'], Raymond: ['Ray'], Oliver: ['Ollie'], Theo: ['Theodore'], Joshua: ['Josh'],
  Margaret: ['Peggy', 'Maggie', 'Meg'], Elizabeth: ['Liz', 'Beth', 'Betty'], Mary: ['Molly', 'Polly'], Patricia: ['Pat', 'Trish'], Susan: ['Sue'],
  Catherine: ['Kate', 'Cathy'], Jennifer: ['Jenny'], Rebecca: ['Becky'], Victoria: ['Vicky'], Dorothy: ['Dot', 'Dolly'], Eleanor: ['Ellie', 'Nell'],
  Joanne: ['Jo'], Pamela: ['Pam'], Barbara: ['Babs'], Abigail: ['Abby'], Jessica: ['Jess'], Matilda: ['Tilly'], Gillian: ['Jill'], Valerie: ['Val'],
  Theresa: ['Tess'], Caroline: ['Carrie'], Penelope: ['Penny'], Harriet: ['Hattie'], Philippa: ['Pippa'], Christine: ['Chris', 'Tina'], Deborah: ['Debbie'],
  Amelia: ['Millie'], Isabella: ['Bella', 'Izzy'], Sarah: ['Sally'], Charlotte: ['Lottie'], Florence: ['Flo'], Ann: ['Annie'], Louise: ['Lou'],
};
const STREETS = ['High', 'Church', 'Station', 'Victoria', 'Park', 'Mill', 'Green', 'Manor', 'Kings', 'Queens', 'Grange', 'Chapel', 'Albert', 'Springfield', 'Moor', 'Westfield', 'Highfield', 'Woodlands', 'Beech', 'Oak', 'Ash', 'Elm', 'Cross', 'Bridge', 'Market', 'School', 'Castle', 'Hall', 'Cemetery', 'Wakefield', 'Halifax', 'Bradford', 'Otley', 'Harrogate', 'York', 'Leeds', 'Aire', 'Calder', 'Wharfe', 'Nidd', 'Moorland', 'Hillside', 'Valley', 'Meadow', 'Orchard', 'Primrose', 'Holly', 'Cherry', 'Willow', 'Rowan'];
const STREET_TYPES: [string, string][] = [['Road', 'Rd'], ['Street', 'St'], ['Lane', 'Ln'], ['Avenue', 'Ave'], ['Close', 'Cl'], ['Drive', 'Dr'], ['Crescent', 'Cres'], ['Grove', 'Gr'], ['Terrace', 'Terr'], ['Gardens', 'Gdns']];
const TOWNS = ['Leeds', 'Bradford', 'Halifax', 'Wakefield', 'Harrogate', 'York', 'Huddersfield', 'Keighley'];
const AREAS = ['LS', 'BD', 'HX', 'WF', 'HG', 'YO', 'HD'];
const UNIT_LETTERS = [...'ABDEFGHJLNPQRSTUWXYZ'];
const FEEDS: { id: string; share: number; gp: boolean }[] = [
  { id: 'gp-practices', share: 0.97, gp: true },
  { id: 'acute-trust', share: 0.6, gp: false },
  { id: 'community-trust', share: 0.35, gp: false },
  { id: 'council-social-care', share: 0.2, gp: false },
  { id: 'mental-health-trust', share: 0.12, gp: false },
];

export interface FaultRates {
  nhsMissing: number;
  nhsMistyped: number;
  nameTypo: number;
  nickname: number;
  swappedNames: number;
  dobTransposed: number;
  dobOneDigit: number;
  dobYear: number;
  moved: number;
  phoneMissing: number;
  sexMissing: number;
  twins: number;
}

export const DEFAULT_FAULTS: FaultRates = {
  nhsMissing: 0.25,
  nhsMistyped: 0.02,
  nameTypo: 0.04,
  nickname: 0.06,
  swappedNames: 0.01,
  dobTransposed: 0.01,
  dobOneDigit: 0.015,
  dobYear: 0.005,
  moved: 0.12,
  phoneMissing: 0.4,
  sexMissing: 0.03,
  twins: 0.01,
};

interface Address {
  lines: string[];
  town: string;
  postcode: string;
  phone: string;
  street: string;
  streetType: [string, string];
  number: number;
}

interface Person {
  key: string;
  nhsNumber: string;
  given: string;
  middle?: string;
  family: string;
  birthDate: string;
  sex: 'male' | 'female';
  address: Address;
  mobile?: string;
}

export interface SyntheticCounty {
  records: SourceRecordInput[];
  truth: { key: string; trueKey: string }[];
  persons: number;
}

export function generateCounty(persons: number, seed: number, faults: FaultRates = DEFAULT_FAULTS): SyntheticCounty {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(rnd() * n);
  // Zipf-like choice so that common names are common, as in a real register.
  const zipf = <T>(list: readonly T[]): T => list[Math.min(list.length - 1, Math.floor(list.length * Math.pow(rnd(), 1.6)))]!;
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const usedPostcodes = new Set<string>();

  const newAddress = (): Address => {
    let postcode = '';
    do {
      postcode = `${pick(AREAS)}${1 + int(29)} ${int(10)}${pick(UNIT_LETTERS)}${pick(UNIT_LETTERS)}`;
    } while (usedPostcodes.has(postcode) && usedPostcodes.size < 500_000);
    usedPostcodes.add(postcode);
    const street = pick(STREETS);
    const streetType = pick(STREET_TYPES);
    const number = 1 + int(180);
    const town = pick(TOWNS);
    return { lines: [`${number} ${street} ${streetType[0]}`], town, postcode, phone: `01${pad(int(1000), 3)}${pad(int(1_000_000), 6)}`, street, streetType, number };
  };
  const birth = (minYear: number, maxYear: number): string => {
    const y = minYear + int(maxYear - minYear + 1);
    const m = 1 + int(12);
    const d = 1 + int(28);
    return `${y}-${pad(m)}-${pad(d)}`;
  };

  const people: Person[] = [];
  let nhsIndex = int(1000);
  while (people.length < persons) {
    const address = newAddress();
    const family = zipf(FAMILY);
    const size = 1 + Math.min(3, Math.floor(-Math.log(1 - rnd()) * 1.2));
    for (let h = 0; h < size && people.length < persons; h++) {
      const sex: 'male' | 'female' = rnd() < 0.5 ? 'male' : 'female';
      const given = zipf(sex === 'male' ? MALE : FEMALE);
      const p: Person = {
        key: `T${people.length}`,
        nhsNumber: testRangeNhsNumber(nhsIndex++),
        given,
        family: h > 0 && rnd() < 0.15 ? zipf(FAMILY) : family,
        birthDate: birth(1930, 2023),
        sex,
        address,
      };
      if (rnd() < 0.3) p.middle = zipf(sex === 'male' ? MALE : FEMALE);
      if (rnd() < 0.6) p.mobile = `07${pad(int(1_000_000_000), 9)}`;
      people.push(p);
      if (rnd() < faults.twins && people.length < persons) {
        const twinSex: 'male' | 'female' = rnd() < 0.5 ? 'male' : 'female';
        let twinGiven = zipf(twinSex === 'male' ? MALE : FEMALE);
        while (twinGiven === given || (NICK[given] ?? []).includes(twinGiven)) twinGiven = pick(twinSex === 'male' ? MALE : FEMALE);
        people.push({ ...p, key: `T${people.length}`, nhsNumber: testRangeNhsNumber(nhsIndex++), given: twinGiven, sex: twinSex, middle: undefined, mobile: undefined });
      }
    }
  }

  const typo = (name: string): string => {
    if (name.length < 4) return name;
    const i = 1 + int(name.length - 2);
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    switch (int(4)) {
      case 0:
        return name.slice(0, i) + name.slice(i + 1);
      case 1:
        return name.slice(0, i) + pick([...letters]) + name.slice(i + 1);
      case 2:
        return name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
      default:
        return name.slice(0, i) + name[i] + name.slice(i);
    }
  };
  const faultyDob = (dob: string): string => {
    const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
    const r = rnd();
    if (r < faults.dobTransposed && d <= 12 && d !== m) return `${y}-${pad(d)}-${pad(m)}`;
    if (r < faults.dobTransposed + faults.dobOneDigit) {
      // One digit of the day or the last digit of the year, keeping a real date.
      if (rnd() < 0.5) {
        const nd = d % 10 === 8 ? d - 1 : d + 1;
        return `${y}-${pad(m)}-${pad(nd)}`;
      }
      const ny = y % 10 === 9 ? y - 1 : y + 1;
      return `${ny}-${pad(m)}-${pad(d)}`;
    }
    if (r < faults.dobTransposed + faults.dobOneDigit + faults.dobYear) return `${y + (rnd() < 0.5 ? 1 : -1)}-${pad(m)}-${pad(d)}`;
    return dob;
  };
  const mistype = (nhs: string): string => {
    const i = int(10);
    const digit = (Number(nhs[i]) + 1 + int(8)) % 10;
    return nhs.slice(0, i) + String(digit) + nhs.slice(i + 1);
  };
  const formatPostcode = (pc: string): string => {
    const r = rnd();
    if (r < 0.1) return pc.replace(' ', '');
    if (r < 0.15) return pc.toLowerCase();
    return pc;
  };

  const records: SourceRecordInput[] = [];
  const truth: { key: string; trueKey: string }[] = [];
  const localCounters = new Map<string, number>();
  for (const p of people) {
    for (const feed of FEEDS) {
      if (rnd() >= feed.share) continue;
      const n = (localCounters.get(feed.id) ?? 0) + 1;
      localCounters.set(feed.id, n);
      const localId = `${feed.id.slice(0, 2).toUpperCase()}${(n * 7919 + 13) % 10_000_000}`;
      let given = p.given;
      let family = p.family;
      const nicknames = NICK[given];
      if (!feed.gp && nicknames && rnd() < faults.nickname) given = pick(nicknames);
      if (rnd() < faults.nameTypo) given = typo(given);
      if (rnd() < faults.nameTypo) family = typo(family);
      if (rnd() < 0.03) family = family.toUpperCase();
      if (rnd() < faults.swappedNames) [given, family] = [family, given];
      const moved = rnd() < faults.moved;
      const address = moved ? newAddress() : p.address;
      const useAbbrev = rnd() < 0.3;
      const lines = [`${address.number} ${address.street} ${useAbbrev ? address.streetType[1] : address.streetType[0]}`];
      let nhsNumber: string | undefined = p.nhsNumber;
      const missingRate = feed.gp ? 0.01 : faults.nhsMissing;
      if (rnd() < missingRate) nhsNumber = undefined;
      else if (rnd() < faults.nhsMistyped) nhsNumber = mistype(p.nhsNumber);
      else if (rnd() < 0.2) nhsNumber = `${p.nhsNumber.slice(0, 3)} ${p.nhsNumber.slice(3, 6)} ${p.nhsNumber.slice(6)}`;
      const phone = rnd() < faults.phoneMissing ? undefined : p.mobile && rnd() < 0.6 ? (rnd() < 0.3 ? `+44 ${p.mobile.slice(1)}` : p.mobile) : address.phone;
      const demographics: SourceRecordInput['demographics'] = {
        localId,
        nhsNumber,
        nhsNumberVerified: feed.gp && nhsNumber === p.nhsNumber,
        family,
        given: p.middle && rnd() < 0.5 ? [given, p.middle] : [given],
        birthDate: feed.gp ? p.birthDate : faultyDob(p.birthDate),
        sex: rnd() < faults.sexMissing ? undefined : p.sex,
        postcode: formatPostcode(address.postcode),
        addressLines: rnd() < 0.5 ? [...lines, address.town] : lines,
        phone,
      };
      records.push({ feedId: feed.id, localId, demographics, gpRegistration: feed.gp, recordedAt: `2024-01-${pad(1 + int(28))}T00:00:00Z` });
      truth.push({ key: sourceRecordKey(feed.id, localId), trueKey: p.key });
    }
  }
  return { records, truth, persons: people.length };
}
