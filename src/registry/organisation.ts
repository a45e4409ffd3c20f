/**
 * The partner registry's rules, pure: what a valid organisation is. Every partner that shares data
 * is registered with its ODS code, kind, ICO registration and governance contacts, and the dates of
 * its Information Sharing Agreement membership; data from outside an active agreement is not shown.
 */

export const ORGANISATION_KINDS = ['gp-practice', 'acute', 'community', 'mental-health', 'social-care', 'chc', 'ambulance', 'other'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export interface Organisation {
  odsCode: string;
  name: string;
  kind: OrganisationKind;
  icoRegistration: string | null;
  siro: string | null;
  caldicottGuardian: string | null;
  accessToRecordsContact: string | null;
  isaFrom: string | null;
  isaTo: string | null;
  /** A code we made up for the synthetic county, not a real ODS code. */
  synthetic: boolean;
}

export interface OrganisationInput {
  odsCode: string;
  name: string;
  kind: string;
  icoRegistration?: string | null | undefined;
  siro?: string | null | undefined;
  caldicottGuardian?: string | null | undefined;
  accessToRecordsContact?: string | null | undefined;
  isaFrom?: string | null | undefined;
  isaTo?: string | null | undefined;
  synthetic?: boolean | undefined;
}

export interface FieldProblem { field: string; message: string }

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Validates and normalises; returns the organisation or every problem found. */
export function validateOrganisation(input: OrganisationInput): { ok: true; organisation: Organisation } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const odsCode = input.odsCode.trim().toUpperCase();
  // ODS codes are 3 (trusts), 5 (sites, councils) or 6 (GP practices) characters, letters and digits.
  if (!/^[A-Z0-9]{3,8}$/.test(odsCode)) {
    problems.push({ field: 'ods', message: `ODS code "${input.odsCode}" is not 3 to 8 letters and digits (for example RJE or M83001)` });
  }
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) problems.push({ field: 'name', message: 'name must be 1 to 200 characters' });
  const kind = input.kind.trim() as OrganisationKind;
  if (!ORGANISATION_KINDS.includes(kind)) {
    problems.push({ field: 'kind', message: `kind "${input.kind}" is not one of ${ORGANISATION_KINDS.join(', ')}` });
  }
  for (const [field, value] of [['isa-from', input.isaFrom], ['isa-to', input.isaTo]] as const) {
    if (value && !isIsoDate(value)) problems.push({ field, message: `${field} "${value}" is not a date YYYY-MM-DD` });
  }
  if (input.isaFrom && input.isaTo && isIsoDate(input.isaFrom) && isIsoDate(input.isaTo) && input.isaTo < input.isaFrom) {
    problems.push({ field: 'isa-to', message: 'isa-to is before isa-from' });
  }
  if (input.icoRegistration && !/^(Z[A-Z0-9]{7}|[A-Z]{2}\d{6}|SYN-[A-Z0-9-]+)$/.test(input.icoRegistration.trim())) {
    problems.push({ field: 'ico', message: `ICO registration "${input.icoRegistration}" is not like Z1234567 or ZA123456` });
  }
  if (problems.length > 0) return { ok: false, problems };
  const opt = (v: string | null | undefined) => (v && v.trim() !== '' ? v.trim() : null);
  return {
    ok: true,
    organisation: {
      odsCode, name, kind,
      icoRegistration: opt(input.icoRegistration),
      siro: opt(input.siro),
      caldicottGuardian: opt(input.caldicottGuardian),
      accessToRecordsContact: opt(input.accessToRecordsContact),
      isaFrom: opt(input.isaFrom),
      isaTo: opt(input.isaTo),
      synthetic: input.synthetic ?? false,
    },
  };
}

/** Is the organisation inside an active Information Sharing Agreement on `today` (YYYY-MM-DD)? */
export function inActiveAgreement(org: Pick<Organisation, 'isaFrom' | 'isaTo'>, today: string): boolean {
  return org.isaFrom !== null && org.isaFrom <= today && (org.isaTo === null || today <= org.isaTo);
}
