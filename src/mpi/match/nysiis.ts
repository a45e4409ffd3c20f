/**
 * NYSIIS phonetic code (New York State Identification and Intelligence System, 1970).
 *
 * Chosen over Soundex because it keeps vowel position information (Soundex drops vowels, so
 * "Mitchell"/"Mahaley" collide) and was designed for surnames in person registers, where it
 * measured better than Soundex; chosen over Double Metaphone because it yields one code per name,
 * which makes a blocking key and a comparison level without guessing which alternative to use.
 * The code is not truncated to six characters (the original limit was for card fields), so that
 * long names stay distinct in blocking.
 */

const VOWELS = new Set(['A', 'E', 'I', 'O', 'U']);

function isVowel(c: string | undefined): boolean {
  return c !== undefined && VOWELS.has(c);
}

/** The NYSIIS code of a name; '' when the name has no letters A–Z. */
export function nysiis(name: string): string {
  let s = name.toUpperCase().replace(/[^A-Z]/g, '');
  if (s.length === 0) return '';

  // Leading sequences that are spelled differently but said the same.
  if (s.startsWith('MAC')) s = 'MCC' + s.slice(3);
  else if (s.startsWith('KN')) s = 'NN' + s.slice(2);
  else if (s.startsWith('K')) s = 'C' + s.slice(1);
  else if (s.startsWith('PH') || s.startsWith('PF')) s = 'FF' + s.slice(2);
  else if (s.startsWith('SCH')) s = 'SSS' + s.slice(3);

  // Trailing sequences.
  if (s.endsWith('EE') || s.endsWith('IE')) s = s.slice(0, -2) + 'Y';
  else if (/(DT|RT|RD|NT|ND)$/.test(s)) s = s.slice(0, -2) + 'D';

  const chars = s.split('');
  const first = chars[0] ?? '';
  let key = first;
  for (let i = 1; i < chars.length; i++) {
    const c = chars[i] ?? '';
    const next = chars[i + 1];
    let out: string[];
    if (c === 'E' && next === 'V') {
      out = ['A', 'F'];
    } else if (isVowel(c)) {
      out = ['A'];
    } else if (c === 'Q') {
      out = ['G'];
    } else if (c === 'Z') {
      out = ['S'];
    } else if (c === 'M') {
      out = ['N'];
    } else if (c === 'K') {
      out = next === 'N' ? ['N'] : ['C'];
    } else if (c === 'S' && next === 'C' && chars[i + 2] === 'H') {
      out = ['S', 'S', 'S'];
    } else if (c === 'P' && next === 'H') {
      out = ['F', 'F'];
    } else if (c === 'H' && (!isVowel(chars[i - 1]) || !isVowel(next))) {
      out = [chars[i - 1] ?? c];
    } else if (c === 'W' && isVowel(chars[i - 1])) {
      out = [chars[i - 1] ?? c];
    } else {
      out = [c];
    }
    // The translation rewrites the name in place, so later rules see the translated letters.
    for (let k = 0; k < out.length && i + k < chars.length; k++) chars[i + k] = out[k] ?? '';
    const translated = chars[i] ?? '';
    if (translated !== key[key.length - 1]) key += translated;
  }

  if (key.length > 1 && key.endsWith('S')) key = key.slice(0, -1);
  if (key.length > 2 && key.endsWith('AY')) key = key.slice(0, -2) + 'Y';
  if (key.length > 1 && key.endsWith('A')) key = key.slice(0, -1);
  return key;
}
