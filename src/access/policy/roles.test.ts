import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLES, PURPOSES, ROLES, isPurpose, isRole, rolePermits, rolesFor, type Purpose, type Role } from './roles.ts';

describe('roles', () => {
  it.each<[Role, Purpose[]]>([
    ['clinician', ['direct-care-view', 'search', 'declare-relationship']],
    ['social-care-practitioner', ['direct-care-view', 'search', 'declare-relationship']],
    ['pals-officer', ['record-objection', 'log-rights-request']],
    ['gp-practice-staff', ['record-objection', 'log-rights-request']],
    ['access-to-records', ['handle-rights-case', 'export']],
    ['ig-officer', ['audit-read']],
    ['caldicott-guardian', ['audit-read']],
    ['siro', ['audit-read']],
    ['system-admin', ['admin']],
    ['analyst', ['statistics']],
  ])('%s may do exactly %j', (role, purposes) => {
    expect(PURPOSES.filter((p) => rolePermits(role, p))).toEqual(purposes);
  });

  it('only the direct-care roles see clinical content or need a registration', () => {
    expect(ROLES.filter((r) => DEFAULT_ROLES[r].seesClinicalContent)).toEqual(['clinician', 'social-care-practitioner']);
    expect(ROLES.filter((r) => DEFAULT_ROLES[r].requiresRegistration)).toEqual(['clinician', 'social-care-practitioner']);
  });

  it.each([
    ['direct-care-view', ['clinician', 'social-care-practitioner']],
    ['audit-read', ['ig-officer', 'caldicott-guardian', 'siro']],
    ['statistics', ['analyst']],
  ] as const)('%s is for %j', (purpose, roles) => expect(rolesFor(purpose)).toEqual(roles));

  it.each([['clinician', true], ['doctor', false], ['', false]] as const)('isRole(%j) is %s', (v, ok) => expect(isRole(v)).toBe(ok));
  it.each([['export', true], ['view', false]] as const)('isPurpose(%j) is %s', (v, ok) => expect(isPurpose(v)).toBe(ok));
});
