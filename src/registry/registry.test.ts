import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inActiveAgreement, validateOrganisation } from './organisation.ts';
import { addOrganisation, ensureOrganisations, getOrganisation, listOrganisations, RegistryError } from './organisations.ts';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { countyPartners } from '../generate/index.ts';

describe('organisation rules', () => {
  it.each([
    [{ odsCode: 'rje', name: 'UHNM', kind: 'acute' }, null],
    [{ odsCode: 'M83001', name: 'A practice', kind: 'gp-practice', isaFrom: '2024-04-01', isaTo: '2027-03-31' }, null],
    [{ odsCode: 'R J', name: 'x', kind: 'acute' }, 'ODS code "R J" is not 3 to 8 letters and digits'],
    [{ odsCode: 'AB', name: 'x', kind: 'acute' }, 'ODS code "AB" is not 3 to 8 letters and digits'],
    [{ odsCode: 'RJE', name: '', kind: 'acute' }, 'name must be 1 to 200 characters'],
    [{ odsCode: 'RJE', name: 'x', kind: 'hospital' }, 'kind "hospital" is not one of gp-practice, acute'],
    [{ odsCode: 'RJE', name: 'x', kind: 'acute', isaFrom: '2024-02-30' }, 'isa-from "2024-02-30" is not a date'],
    [{ odsCode: 'RJE', name: 'x', kind: 'acute', isaFrom: '2024-04-01', isaTo: '2023-01-01' }, 'isa-to is before isa-from'],
    [{ odsCode: 'RJE', name: 'x', kind: 'acute', icoRegistration: '12345' }, 'ICO registration "12345" is not like'],
  ])('%j → %s', (input, problem) => {
    const v = validateOrganisation(input);
    if (problem === null) expect(v.ok).toBe(true);
    else expect(v.ok ? '' : v.problems.map((p) => p.message).join('; ')).toContain(problem);
  });
  it.each([
    [{ isaFrom: '2024-04-01', isaTo: null }, '2024-03-31', false],
    [{ isaFrom: '2024-04-01', isaTo: null }, '2024-04-01', true],
    [{ isaFrom: '2024-04-01', isaTo: '2025-03-31' }, '2025-03-31', true],
    [{ isaFrom: '2024-04-01', isaTo: '2025-03-31' }, '2025-04-01', false],
    [{ isaFrom: null, isaTo: null }, '2025-01-01', false],
  ])('agreement %j on %s is active: %s', (org, day, active) => {
    expect(inActiveAgreement(org, day)).toBe(active);
  });
});

describe.each(testEngines())('partner registry on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(async () => t.dispose());

  it('registers, refuses a duplicate and lists', async () => {
    await addOrganisation(t.db, { odsCode: 'rje', name: 'University Hospitals of North Midlands NHS Trust', kind: 'acute', isaFrom: '2024-04-01' });
    await expect(addOrganisation(t.db, { odsCode: 'RJE', name: 'again', kind: 'acute' })).rejects.toThrow(new RegistryError('organisation RJE is already registered', 'duplicate'));
    await expect(addOrganisation(t.db, { odsCode: 'RJE', name: 'x', kind: 'spaceship' })).rejects.toThrow(RegistryError);
    expect((await getOrganisation(t.db, 'rje'))?.name).toBe('University Hospitals of North Midlands NHS Trust');
  });

  it('seeds the reference deployment: real trust codes, synthetic codes marked', async () => {
    await ensureOrganisations(t.db, countyPartners({ persons: 1_100_000 }).map((p) => ({ odsCode: p.odsCode, name: p.name, kind: p.kind, isaFrom: p.isaFrom, synthetic: p.syntheticCode, icoRegistration: p.icoRegistration })));
    const all = await listOrganisations(t.db);
    for (const code of ['RJE', 'RTG', 'RRE', 'RLY', 'RYA']) expect(all.find((o) => o.odsCode === code)?.synthetic ?? true, code).toBe(false);
    const gps = all.filter((o) => o.kind === 'gp-practice');
    expect(gps.length).toBeGreaterThanOrEqual(150);
    expect(gps.every((o) => o.synthetic)).toBe(true);
    expect(all.filter((o) => o.kind === 'social-care').every((o) => o.synthetic)).toBe(true);
  });
});
