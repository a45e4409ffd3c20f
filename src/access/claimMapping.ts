/**
 * Mapping an identity provider's role claims to our roles and organisations. NHS CIS2 says what a
 * person may do as a list of role profiles (`nhsid_nrbac_roles`), each naming an organisation
 * (`org_code`) and a national role (`role_code` like `S8000:G8000:R8000`, `role_name` like
 * `"Clinical":"Clinical Provision":"Nurse Access Role"`); `selected_roleid` says which one the
 * person chose at sign-in. Which national roles mean which of our roles is configuration.
 */
import { isRole, type Role } from './policy/index.ts';

export interface RoleRule {
  /** Matches a role_code exactly or any of its colon-separated parts (e.g. `R8000`). */
  readonly code?: string;
  /** Matches role_name, or any of its quoted parts, ignoring case. */
  readonly name?: string;
  readonly role: Role;
}

export interface ClaimMapping {
  readonly rolesClaim: string;
  readonly selectedRoleClaim: string | null;
  readonly rules: readonly RoleRule[];
}

export const DEFAULT_ROLES_CLAIM = 'nhsid_nrbac_roles';
export const DEFAULT_SELECTED_ROLE_CLAIM = 'selected_roleid';

export interface MappedRole { readonly role: Role; readonly organisationOds: string; readonly roleProfileId: string | null }

export type ClaimMappingResult =
  | { ok: true; candidates: MappedRole[] }
  | { ok: false; code: 'no-role-claim' | 'unknown-role'; message: string };

function parts(text: string): string[] {
  return text.split(':').map((p) => p.replace(/"/g, '').trim().toLowerCase()).filter((p) => p !== '');
}

function matches(rule: RoleRule, roleCode: string | null, roleName: string | null): boolean {
  if (rule.code && roleCode) {
    const want = rule.code.trim().toLowerCase();
    if (roleCode.toLowerCase() === want || parts(roleCode).includes(want)) return true;
  }
  if (rule.name && roleName) {
    const want = rule.name.replace(/"/g, '').trim().toLowerCase();
    if (roleName.replace(/"/g, '').trim().toLowerCase() === want || parts(roleName).includes(want)) return true;
  }
  return false;
}

/**
 * The (role, organisation) pairs the claims map to, the selected role profile first. Whether each
 * organisation is a registered partner is checked by the caller.
 */
export function mapRoleClaims(claims: Readonly<Record<string, unknown>>, mapping: ClaimMapping): ClaimMappingResult {
  const raw = claims[mapping.rolesClaim];
  const profiles = Array.isArray(raw) ? raw.filter((p): p is Record<string, unknown> => p !== null && typeof p === 'object') : [];
  if (profiles.length === 0) return { ok: false, code: 'no-role-claim', message: 'The identity provider did not say what role you have' };
  const selected = mapping.selectedRoleClaim ? claims[mapping.selectedRoleClaim] : undefined;
  const ordered = [...profiles].sort((a, b) => Number(b.person_roleid === selected) - Number(a.person_roleid === selected));
  const candidates: MappedRole[] = [];
  for (const p of ordered) {
    const org = typeof p.org_code === 'string' ? p.org_code.trim().toUpperCase() : '';
    if (org === '') continue;
    const code = typeof p.role_code === 'string' ? p.role_code : null;
    const name = typeof p.role_name === 'string' ? p.role_name : null;
    const rule = mapping.rules.find((r) => matches(r, code, name));
    if (rule) candidates.push({ role: rule.role, organisationOds: org, roleProfileId: typeof p.person_roleid === 'string' ? p.person_roleid : null });
    // Only the role the person chose counts when they chose one: they act in that role for this session.
    if (selected !== undefined && p.person_roleid === selected) break;
  }
  if (candidates.length === 0) return { ok: false, code: 'unknown-role', message: 'None of your roles gives access to this service' };
  return { ok: true, candidates };
}

/**
 * Reads rules from configuration text: `R8000=clinician,R8001=clinician,"Nurse Access Role"=clinician`.
 * Returns the rules or the first problem.
 */
export function parseRoleRules(text: string): { ok: true; rules: RoleRule[] } | { ok: false; message: string } {
  const rules: RoleRule[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const i = item.lastIndexOf('=');
    if (i <= 0) return { ok: false, message: `"${item}" is not CODE=ROLE` };
    const key = item.slice(0, i).trim();
    const role = item.slice(i + 1).trim();
    if (!isRole(role)) return { ok: false, message: `"${role}" is not one of our roles` };
    rules.push(key.startsWith('"') ? { name: key.replace(/"/g, ''), role } : { code: key, role });
  }
  if (rules.length === 0) return { ok: false, message: 'no role rules given' };
  return { ok: true, rules };
}
