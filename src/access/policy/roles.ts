/**
 * Roles and purposes: which job may ask the system for what. Expressed as data so the table itself is
 * what IG reviews, and decide() only ever looks a role up in it.
 */

export const PURPOSES = [
  'direct-care-view', 'search', 'declare-relationship', 'record-objection', 'log-rights-request',
  'handle-rights-case', 'audit-read', 'admin', 'statistics', 'export',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const ROLES = [
  'clinician', 'social-care-practitioner', 'pals-officer', 'gp-practice-staff', 'access-to-records',
  'ig-officer', 'caldicott-guardian', 'siro', 'system-admin', 'analyst',
] as const;
export type Role = (typeof ROLES)[number];

/** What a role may do, and what it may see while doing it. */
export interface RoleDefinition {
  readonly purposes: ReadonlySet<Purpose>;
  /** Only the direct-care roles ever see clinical content; every other role is refused it by construction. */
  readonly seesClinicalContent: boolean;
  /** Must hold a professional registration (PRODUCT: "only registered health and social care professionals"). */
  readonly requiresRegistration: boolean;
  /** Audit and reports are limited to the user's own organisation unless the user holds the system-wide IG flag. */
  readonly auditScope: 'none' | 'own-organisation';
}

const role = (purposes: Purpose[], rest: Omit<RoleDefinition, 'purposes'>): RoleDefinition => ({ purposes: new Set(purposes), ...rest });

const directCare = role(['direct-care-view', 'search', 'declare-relationship'], {
  seesClinicalContent: true, requiresRegistration: true, auditScope: 'none',
});
const frontDesk = role(['record-objection', 'log-rights-request'], {
  seesClinicalContent: false, requiresRegistration: false, auditScope: 'none',
});
const governance = role(['audit-read'], { seesClinicalContent: false, requiresRegistration: false, auditScope: 'own-organisation' });

export type RoleTable = Readonly<Record<Role, RoleDefinition>>;

export const DEFAULT_ROLES: RoleTable = {
  'clinician': directCare,
  'social-care-practitioner': directCare,
  'pals-officer': frontDesk,
  'gp-practice-staff': frontDesk,
  // The subject-access export is produced for the person within a case routed to this team's organisation.
  'access-to-records': role(['handle-rights-case', 'export'], {
    seesClinicalContent: false, requiresRegistration: false, auditScope: 'none',
  }),
  'ig-officer': governance,
  'caldicott-guardian': governance,
  'siro': governance,
  'system-admin': role(['admin'], { seesClinicalContent: false, requiresRegistration: false, auditScope: 'none' }),
  'analyst': role(['statistics'], { seesClinicalContent: false, requiresRegistration: false, auditScope: 'none' }),
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPurpose(value: string): value is Purpose {
  return (PURPOSES as readonly string[]).includes(value);
}

export function rolePermits(r: Role, purpose: Purpose, table: RoleTable = DEFAULT_ROLES): boolean {
  return table[r].purposes.has(purpose);
}

/** The roles that may use a purpose: what an administrator screen or an error message can list. */
export function rolesFor(purpose: Purpose, table: RoleTable = DEFAULT_ROLES): Role[] {
  return ROLES.filter((r) => table[r].purposes.has(purpose));
}
