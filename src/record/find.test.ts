import { describe, it, expect } from 'vitest';
import { nameMatches } from './find.ts';

describe('nameMatches (tolerant name search)', () => {
  it.each<[string, string | undefined, boolean]>([
    ['Smith', 'Smith', true],
    ['smith', 'SMITH', true],
    ['Ozturk', 'Öztürk', true],
    ["O'Brien", 'OBrien', true],
    ['McDonald', 'MacDonald', true],
    ['Smyth', 'Smith', true],
    ['Jonhson', 'Johnson', true],
    ['Smi', 'Smith', true],
    ['Smith-Jones', 'Smith Jones', true],
    ['Smith', 'Jones', false],
    ['Brown', 'Green', false],
    ['Smith', undefined, false],
    ['', 'Smith', false],
  ])('%s ~ %s → %s', (wanted, actual, expected) => {
    expect(nameMatches(wanted, actual)).toBe(expected);
  });
});
