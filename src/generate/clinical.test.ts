import { describe, expect, it } from 'vitest';
import { createRng } from './random.ts';
import { parseDay } from './dates.ts';
import { makeHistory } from './clinical.ts';

describe('histories by age and sex', () => {
  it('never gives pregnancy to men or dementia under 65, and sick people grow in number with age', () => {
    const asOf = parseDay('2025-06-30');
    const r = createRng('hist');
    let young = 0;
    let old = 0;
    for (let i = 0; i < 3000; i++) {
      const man = makeHistory(r, asOf - 50 * 365, 30, 'male', asOf);
      expect(man.conditions.some((c) => c.code === '77386006')).toBe(false);
      expect(man.conditions.some((c) => c.code === '52448006')).toBe(false);
      const child = makeHistory(r, asOf - 8 * 365, 8, 'female', asOf);
      expect(child.conditions.some((c) => c.code === '77386006' || c.code === '59621000')).toBe(false);
      young += man.conditions.length;
      old += makeHistory(r, asOf - 80 * 365, 80, 'female', asOf).conditions.length;
    }
    expect(old).toBeGreaterThan(3 * young);
  });
});
