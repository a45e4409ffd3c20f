/**
 * Sensitive categories: which codes put an entry into a category that only some roles and
 * organisations may see, and who is entitled to each. Both tables are configuration with defaults,
 * because every deployment's Caldicott Guardians will tune them.
 *
 * Matching is by listed concept, not by SNOMED CT subsumption: the shared record has no terminology
 * server in its pure core, so a deployment lists the descendants it wants caught (or supplies a list
 * expanded from its terminology server).
 */
import type { Role } from './roles.ts';

/**
 * Any FHIR R4 resource. Structural on purpose: the installed @types/fhir (3.0.2) has no `fhir/r4`
 * entry point, and categorising needs nothing beyond walking the JSON.
 */
export interface FhirResourceLike { readonly resourceType: string; readonly [element: string]: unknown }

export const SENSITIVE_CATEGORIES = ['sexual-health', 'gender-identity', 'fertility', 'safeguarding'] as const;
export type SensitiveCategory = (typeof SENSITIVE_CATEGORIES)[number];

export const SNOMED_CT = 'http://snomed.info/sct';
export const ICD10_SYSTEMS: readonly string[] = [
  'http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-uk', 'http://hl7.org/fhir/sid/icd-10-cm',
  'http://id.who.int/icd/release/10',
];
/** HL7 v3 information-sensitivity codes a source may put in meta.security. */
export const V3_ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** A source or a clinician may label an entry directly with one of our categories. */
export const SENSITIVE_CATEGORY_SYSTEM = 'urn:ohc:sensitive-category';

export interface CategoryCodes {
  /** SNOMED CT concept ids. */
  readonly snomed: readonly string[];
  /** ICD-10 codes or ranges of three-character categories: 'A50-A64', 'Z21', 'Z87.890', 'Z62.8'. */
  readonly icd10: readonly string[];
  /** HL7 v3 ActCode sensitivity labels (meta.security). */
  readonly securityLabels: readonly string[];
}

export type SensitiveCodeLists = Readonly<Record<SensitiveCategory, CategoryCodes>>;

export const DEFAULT_SENSITIVE_CODES: SensitiveCodeLists = {
  'sexual-health': {
    snomed: [
      '8098009', // Sexually transmitted infectious disease
      '86406008', // Human immunodeficiency virus infection
      '165816005', // HIV detected
      '62479008', // Acquired immune deficiency syndrome
      '76272004', // Syphilis
      '15628003', // Gonorrhoea
      '105629000', // Chlamydial infection
    ],
    icd10: [
      'A50-A64', // infections with a predominantly sexual mode of transmission
      'B20-B24', // HIV disease
      'Z21', // asymptomatic HIV infection status
      'R75', // inconclusive laboratory evidence of HIV
      'Z11.3', 'Z11.4', // screening for sexually transmitted infections and HIV
      'Z20.2', 'Z20.6', // contact with or exposure to STI, HIV
      'Z72.5', // high-risk sexual behaviour
    ],
    securityLabels: ['HIV', 'STD', 'SEX'],
  },
  'gender-identity': {
    snomed: [
      '93461009', // Gender dysphoria
      '407374003', // Transsexual
      '407375002', // Surgically transgendered transsexual
      '407376001', // Male-to-female transsexual
      '407377005', // Female-to-male transsexual
    ],
    icd10: ['F64', 'Z87.890'],
    securityLabels: [],
  },
  'fertility': {
    snomed: [
      '8619003', // Infertile
      '6738008', // Female infertility
    ],
    icd10: ['N46', 'N97', 'Z31'],
    securityLabels: [],
  },
  'safeguarding': {
    snomed: [
      '397940009', // Victim of child abuse
    ],
    icd10: [
      'T74', // maltreatment syndromes
      'T76', // suspected maltreatment (ICD-10-CM)
      'Y07', // perpetrator of maltreatment
      'Z04.4', 'Z04.5', // examination after alleged rape or inflicted injury
      'Z61.4', 'Z61.5', 'Z61.6', // alleged sexual or physical abuse of a child
      'Z62.8', // other problems related to upbringing
    ],
    securityLabels: ['SDV'],
  },
};

interface CompiledCategory {
  readonly snomed: ReadonlySet<string>;
  readonly icdPrefixes: readonly string[];
  readonly icdRanges: readonly (readonly [string, string])[];
  readonly labels: ReadonlySet<string>;
}

/** Code lists compiled once for fast matching; build one per configuration and reuse it. */
export interface SensitiveMatcher { readonly categories: ReadonlyMap<SensitiveCategory, CompiledCategory> }

function icdKey(code: string): string {
  return code.trim().toUpperCase().replace(/[.\s]/g, '');
}

export function compileSensitiveCodes(lists: SensitiveCodeLists = DEFAULT_SENSITIVE_CODES): SensitiveMatcher {
  const categories = new Map<SensitiveCategory, CompiledCategory>();
  for (const category of SENSITIVE_CATEGORIES) {
    const l = lists[category];
    const prefixes: string[] = [];
    const ranges: [string, string][] = [];
    for (const entry of l.icd10) {
      const [from, to] = entry.split('-').map(icdKey);
      if (from && to) ranges.push([from.slice(0, 3), to.slice(0, 3)]);
      else if (from) prefixes.push(from);
    }
    categories.set(category, { snomed: new Set(l.snomed), icdPrefixes: prefixes, icdRanges: ranges, labels: new Set(l.securityLabels) });
  }
  return { categories };
}

const defaultMatcher = compileSensitiveCodes();

function matchesCoding(c: CompiledCategory, category: SensitiveCategory, system: string, code: string): boolean {
  if (system === SNOMED_CT) return c.snomed.has(code.trim());
  if (ICD10_SYSTEMS.includes(system)) {
    const key = icdKey(code);
    const three = key.slice(0, 3);
    return c.icdPrefixes.some((p) => key.startsWith(p)) || c.icdRanges.some(([lo, hi]) => three >= lo && three <= hi);
  }
  if (system === V3_ACT_CODE) return c.labels.has(code.trim().toUpperCase());
  if (system === SENSITIVE_CATEGORY_SYSTEM) return code.trim() === category;
  return false;
}

/** Every Coding in a resource, wherever it sits (code, category, type, reasonCode, meta.security, contained…). */
function collectCodings(node: unknown, out: { system: string; code: string }[], depth: number): void {
  if (depth > 12 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collectCodings(item, out, depth + 1);
    return;
  }
  const o = node as Record<string, unknown>;
  if (typeof o.system === 'string' && typeof o.code === 'string') out.push({ system: o.system, code: o.code });
  for (const [key, value] of Object.entries(o)) {
    // Narrative is free text and identifiers name records, not conditions: neither can be categorised.
    if (key === 'text' || key === 'identifier' || key === 'subject' || key === 'patient') continue;
    if (value !== null && typeof value === 'object') collectCodings(value, out, depth + 1);
  }
}

/** The sensitive categories a FHIR resource belongs to, in the order of SENSITIVE_CATEGORIES. */
export function categoriseResource(resource: FhirResourceLike, matcher: SensitiveMatcher = defaultMatcher): SensitiveCategory[] {
  const codings: { system: string; code: string }[] = [];
  collectCodings(resource, codings, 0);
  const found: SensitiveCategory[] = [];
  for (const [category, compiled] of matcher.categories) {
    if (codings.some((c) => matchesCoding(compiled, category, c.system, c.code))) found.push(category);
  }
  return found;
}

/** Who may see a category: these roles, at any organisation of these kinds, or at the organisation that recorded the entry. */
export interface CategoryEntitlement {
  readonly roles: readonly Role[];
  readonly organisationKinds: readonly string[];
  readonly recordingOrganisation: boolean;
}

export type SensitiveEntitlements = Readonly<Record<SensitiveCategory, CategoryEntitlement>>;

export const DEFAULT_SENSITIVE_ENTITLEMENTS: SensitiveEntitlements = {
  'sexual-health': { roles: ['clinician'], organisationKinds: ['sexual-health'], recordingOrganisation: true },
  // Gender Recognition Act 2004 s22 makes disclosure of a gender recognition history an offence outside
  // narrow exceptions, so only the recording organisation and a gender identity service see it.
  'gender-identity': { roles: ['clinician'], organisationKinds: ['gender-identity'], recordingOrganisation: true },
  'fertility': { roles: ['clinician'], organisationKinds: ['fertility'], recordingOrganisation: true },
  'safeguarding': {
    roles: ['clinician', 'social-care-practitioner'], organisationKinds: ['social-care'], recordingOrganisation: true,
  },
};

export interface EntitlementHolder { readonly role: Role; readonly organisation: { readonly ods: string; readonly kind: string } }

/** True when the user sees this category wherever it was recorded. */
export function entitledEverywhere(user: EntitlementHolder, category: SensitiveCategory, table: SensitiveEntitlements = DEFAULT_SENSITIVE_ENTITLEMENTS): boolean {
  const rule = table[category];
  return rule.roles.includes(user.role) && rule.organisationKinds.includes(user.organisation.kind);
}

/** True when the user sees an entry of this category recorded by `recordedBy` (an ODS code). */
export function entitledTo(
  user: EntitlementHolder, category: SensitiveCategory, recordedBy: string, table: SensitiveEntitlements = DEFAULT_SENSITIVE_ENTITLEMENTS,
): boolean {
  const rule = table[category];
  if (!rule.roles.includes(user.role)) return false;
  return rule.organisationKinds.includes(user.organisation.kind) || (rule.recordingOrganisation && recordedBy === user.organisation.ods);
}
