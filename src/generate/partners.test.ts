import { describe, expect, it } from 'vitest';
import { countyPartners, gpPractices, practiceCount } from './partners.ts';

describe('partners', () => {
  it.each([[100, 3], [21_000, 3], [70_000, 10], [1_100_000, 157]])('%i persons get %i practices', (persons, n) => {
    expect(practiceCount(persons)).toBe(n);
    expect(gpPractices(persons)).toHaveLength(n);
  });

  it('lists trusts with their real codes and marks invented codes, with complete governance details', () => {
    const partners = countyPartners({ persons: 14_000 });
    expect(partners.filter((p) => !p.syntheticCode).map((p) => p.odsCode)).toEqual(['RJE', 'RTG', 'RRE', 'RLY', 'RYA']);
    for (const p of partners) {
      expect(p.icoRegistration).toMatch(/^Z[A-Z]\d{6}$/);
      expect(p.siro.length).toBeGreaterThan(3);
      expect(p.caldicottGuardian).toMatch(/^Dr /);
      expect(p.accessToRecordsEmail).toMatch(/@nhs\.example$/);
      expect(p.isaFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (p.kind === 'gp-practice') { expect(p.odsCode).toMatch(/^Y9\d{4}$/); expect(p.name).toContain('(synthetic)'); }
    }
    expect(countyPartners({ persons: 14_000 })).toEqual(partners);
  });
});
