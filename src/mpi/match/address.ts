/**
 * Address token overlap: house numbers and street words, with the usual abbreviations spelled
 * out, compared as sets (Jaccard) so word order and punctuation do not matter.
 */

export const ADDRESS_LEVELS = ['same', 'most', 'some', 'different'] as const;
export type AddressLevel = (typeof ADDRESS_LEVELS)[number];

const EXPANSIONS: Record<string, string> = {
  rd: 'road',
  st: 'street',
  ave: 'avenue',
  av: 'avenue',
  ln: 'lane',
  dr: 'drive',
  cl: 'close',
  ct: 'court',
  cres: 'crescent',
  gdns: 'gardens',
  gr: 'grove',
  pl: 'place',
  sq: 'square',
  ter: 'terrace',
  terr: 'terrace',
  pk: 'park',
  hse: 'house',
  apt: 'flat',
  apartment: 'flat',
};

// Words that say nothing about which address it is.
const IGNORED = new Set(['flat', 'the', 'of', 'and']);

/** Sorted distinct tokens of the address lines (town included when the source put it there). */
export function addressTokens(lines: readonly string[] | undefined): string[] {
  if (!lines) return [];
  const out = new Set<string>();
  for (const line of lines) {
    const words = line
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/['’]/g, '')
      .split(/[^a-z0-9]+/);
    for (const w of words) {
      if (w === '') continue;
      const word = EXPANSIONS[w] ?? w;
      if (!IGNORED.has(word)) out.add(word);
    }
  }
  return [...out].sort();
}

/** Jaccard overlap of two sorted token lists. */
export function tokenOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? '';
    const y = b[j] ?? '';
    if (x === y) {
      shared++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return shared / (a.length + b.length - shared);
}

export function compareAddresses(a: readonly string[], b: readonly string[]): AddressLevel {
  const overlap = tokenOverlap(a, b);
  if (overlap >= 0.999) return 'same';
  if (overlap >= 0.6) return 'most';
  if (overlap >= 0.3) return 'some';
  return 'different';
}
