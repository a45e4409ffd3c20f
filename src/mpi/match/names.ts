/**
 * Name normalisation and the name comparison levels: family and given names, nicknames,
 * phonetic agreement, initials, middle names and given/family swapped between fields.
 */
import { jaroWinkler } from './jaroWinkler.ts';
import { areNicknames } from './nicknames.ts';
import { nysiis } from './nysiis.ts';

/**
 * Lower case, accents removed, apostrophes dropped (O'Brien = OBrien), hyphens and other
 * punctuation become spaces, "Mac" prefix written "Mc" so MacDonald = McDonald, and
 * "Mc Donald" closed up. Returns '' when nothing is left.
 */
export function normaliseName(raw: string | undefined): string {
  if (!raw) return '';
  let s = raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`‘]/g, '')
    .replace(/[^a-z]+/g, ' ')
    .trim();
  s = s.replace(/\b(mac|mc) (?=[a-z]{2})/g, '$1');
  // Only when at least three letters follow, so short names like "Mack" or "Macy" stay themselves.
  s = s.replace(/\bmac(?=[a-z]{3})/g, 'mc');
  return s;
}

/** The name with spaces removed: "Smith Jones" and "Smith-Jones" compare equal. */
export function nameKey(normalised: string): string {
  return normalised.replace(/ /g, '');
}

export const FAMILY_LEVELS = ['exact', 'fuzzy-high', 'phonetic', 'part', 'fuzzy-low', 'swapped', 'different'] as const;
export type FamilyLevel = (typeof FAMILY_LEVELS)[number];

export const GIVEN_LEVELS = [
  'exact',
  'nickname',
  'fuzzy-high',
  'phonetic',
  'middle-name',
  'initial',
  'fuzzy-low',
  'different',
] as const;
export type GivenLevel = (typeof GIVEN_LEVELS)[number];

/** A name prepared once for many comparisons. */
export interface PreparedName {
  /** Normalised, spaces kept. */
  text: string;
  /** Normalised, spaces removed. */
  key: string;
  /** Words of the name (for double-barrelled family names and several given names). */
  parts: string[];
  /** NYSIIS of the key. */
  code: string;
}

export function prepareName(raw: string | undefined): PreparedName | null {
  const text = normaliseName(raw);
  if (text === '') return null;
  const key = nameKey(text);
  return { text, key, parts: text.split(' '), code: nysiis(key) };
}

const FUZZY_HIGH = 0.92;
const FUZZY_LOW = 0.82;
// NYSIIS folds some unrelated names together (John and James both give JAN); a phonetic
// agreement counts only when the spellings are also somewhat alike.
const PHONETIC_FLOOR = 0.7;

/** Family-name level of two prepared names (both present). */
export function compareFamily(a: PreparedName, b: PreparedName): FamilyLevel {
  if (a.key === b.key) return 'exact';
  const jw = jaroWinkler(a.key, b.key);
  if (jw >= FUZZY_HIGH) return 'fuzzy-high';
  if (a.code !== '' && a.code === b.code && jw >= PHONETIC_FLOOR) return 'phonetic';
  // Double-barrelled or changed on marriage: one word in common (of at least three letters).
  if ((a.parts.length > 1 || b.parts.length > 1) && a.parts.some((p) => p.length >= 3 && b.parts.includes(p))) return 'part';
  if (jw >= FUZZY_LOW) return 'fuzzy-low';
  return 'different';
}

/** Given-name level; each side is the list of given names, first name first. */
export function compareGiven(a: PreparedName[], b: PreparedName[]): GivenLevel {
  const fa = a[0];
  const fb = b[0];
  if (!fa || !fb) return 'different';
  if (fa.key === fb.key) return 'exact';
  if (areNicknames(fa.key, fb.key)) return 'nickname';
  const jw = jaroWinkler(fa.key, fb.key);
  if (jw >= FUZZY_HIGH) return 'fuzzy-high';
  if (fa.code !== '' && fa.code === fb.code && jw >= PHONETIC_FLOOR) return 'phonetic';
  // Known by a middle name in one source: any given name of one equals any of the other.
  if (a.some((x) => b.some((y) => x.key === y.key && x.key.length > 1))) return 'middle-name';
  if ((fa.key.length === 1 || fb.key.length === 1) && fa.key[0] === fb.key[0]) return 'initial';
  if (jw >= FUZZY_LOW) return 'fuzzy-low';
  return 'different';
}

/** Levels that count as the names agreeing (used for swap detection and the safety rules). */
export function familyAgrees(level: FamilyLevel): boolean {
  return level !== 'different';
}

export function givenAgrees(level: GivenLevel): boolean {
  return level !== 'different';
}

export interface NameComparison {
  family: FamilyLevel | null;
  given: GivenLevel | null;
  swapped: boolean;
}

function strength(level: FamilyLevel | GivenLevel | null): number {
  if (level === null) return 0;
  if (level === 'exact') return 3;
  if (level === 'different') return -1;
  if (level === 'fuzzy-low' || level === 'initial') return 1;
  return 2;
}

/**
 * Compare names straight and with given and family exchanged (a source that filled the fields
 * the wrong way round); the swapped reading is taken only when it is clearly better and nothing
 * in it disagrees. Missing names give null levels (no evidence either way).
 */
export function compareNames(
  aFamily: PreparedName | null,
  aGiven: PreparedName[],
  bFamily: PreparedName | null,
  bGiven: PreparedName[],
): NameComparison {
  const family = aFamily && bFamily ? compareFamily(aFamily, bFamily) : null;
  const given = aGiven.length > 0 && bGiven.length > 0 ? compareGiven(aGiven, bGiven) : null;
  const straight = strength(family) + strength(given);
  if (straight >= 5) return { family, given, swapped: false };

  const aFirst = aGiven[0] ?? null;
  const bFirst = bGiven[0] ?? null;
  const crossFamily = aFamily && bFirst ? compareFamily(aFamily, bFirst) : null;
  const crossGiven = aFirst && bFamily ? compareFamily(aFirst, bFamily) : null;
  const cross = strength(crossFamily) + strength(crossGiven);
  const crossClean = crossFamily !== 'different' && crossGiven !== 'different';
  const crossStrong =
    crossFamily === 'exact' || crossFamily === 'fuzzy-high' || crossGiven === 'exact' || crossGiven === 'fuzzy-high';
  if (crossClean && crossStrong && cross > straight) {
    const givenLevel: GivenLevel | null =
      crossGiven === null
        ? null
        : crossGiven === 'exact' || crossGiven === 'fuzzy-high' || crossGiven === 'fuzzy-low' || crossGiven === 'phonetic'
          ? crossGiven
          : 'phonetic';
    return { family: crossFamily === null ? null : 'swapped', given: givenLevel, swapped: true };
  }
  return { family, given, swapped: false };
}
