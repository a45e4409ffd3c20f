/**
 * decide(): the one access decision every read of the shared record passes through. It answers
 * allow-with-obligations or deny-with-a-reason from plain data about the user, the person and the
 * purpose; the caller loads that data, writes the audit entry the decision asks for, and applies the
 * obligations (filterEntries) before anything is returned.
 *
 * The order of the checks is part of the contract: everything about the user is checked before the
 * person is looked at, and an opted-out person is refused exactly as an unknown one is, so no answer
 * ever tells a caller that a person who opted out exists.
 */
import { checkRegistration, normaliseRegisterBody, type RegisterBody, type Registration } from './registration.ts';
import {
  inferRelationship, DEFAULT_RELATIONSHIP_WINDOW_DAYS, type DeclarationValidity, type Relationship, type RelationshipFacts,
} from './relationship.ts';
import { DEFAULT_ROLES, type Purpose, type Role, type RoleTable } from './roles.ts';
import { DEFAULT_SENSITIVE_ENTITLEMENTS, SENSITIVE_CATEGORIES, type SensitiveCategory, type SensitiveEntitlements } from './sensitive.ts';
import { endOf, startOf } from './time.ts';

export interface IsaMembership { readonly from: string; readonly to?: string | null }

export interface UserOrganisation {
  readonly ods: string;
  /** Organisation kind from the partner registry: 'gp-practice', 'acute', 'social-care', 'sexual-health'… */
  readonly kind: string;
  /** Dates of the organisation's membership of the Information Sharing Agreement. */
  readonly isaMemberships: readonly IsaMembership[];
}

export interface DecisionUser {
  readonly id: string;
  readonly organisation: UserOrganisation;
  readonly role: Role;
  readonly status: 'active' | 'suspended' | 'locked';
  /** Last day the annual data security training counts; null when never recorded. */
  readonly trainingValidUntil: string | null;
  readonly registration: Registration | null;
  /** The session was established with a second factor (TOTP, or an OIDC provider's equivalent). */
  readonly mfaSatisfied: boolean;
  /** An IG officer who audits across all organisations, not just their own. */
  readonly systemWideIg?: boolean;
}

export const RIGHTS_CASE_KINDS = ['access', 'rectification', 'restriction', 'objection', 'complaint'] as const;
export type RightsCaseKind = (typeof RIGHTS_CASE_KINDS)[number];

/** A part of a rights case routed to an organisation's access-to-records team. */
export interface RightsCaseRouting { readonly ods: string; readonly kind: RightsCaseKind; readonly open: boolean }

export interface PersonRestriction {
  /** The person contests the whole record: nothing clinical is shown. */
  readonly wholeRecord: boolean;
  /** Entries the person contests. */
  readonly entryIds: readonly string[];
}

export interface DecisionPerson {
  readonly exists: boolean;
  readonly optedOut: boolean;
  readonly deceased?: boolean;
  readonly restriction?: PersonRestriction | null;
  readonly facts?: RelationshipFacts;
  readonly rightsCases?: readonly RightsCaseRouting[];
}

export const DENY_REASONS = [
  'not-authenticated', 'account-suspended', 'mfa-required', 'role-not-permitted', 'organisation-not-in-agreement',
  'training-lapsed', 'not-registered-professional', 'person-not-found', 'case-not-routed', 'relationship-required',
  'record-restricted',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export const RESTRICTED_MARKER = "Some information is restricted at the person's request";

export type ReviewReason = 'declared-relationship' | 'deceased-person';

export type Obligation =
  | { readonly type: 'audit'; readonly purpose: Purpose; readonly outcome: 'allowed' | 'denied'; readonly reason?: DenyReason; readonly relationship?: Relationship }
  | { readonly type: 'withhold-restricted-entries'; readonly entryIds: readonly string[]; readonly marker: string }
  /** Each category is withheld unless `unlessRecordedBy` is set and the entry came from that organisation. */
  | { readonly type: 'withhold-sensitive'; readonly categories: readonly { readonly category: SensitiveCategory; readonly unlessRecordedBy: string | null }[] }
  | { readonly type: 'flag-for-review'; readonly reasons: readonly ReviewReason[] }
  | { readonly type: 'demographics-only' }
  | { readonly type: 'limit-to-organisation'; readonly ods: string }
  | { readonly type: 'exclude-opted-out' };

export type Decision =
  | { readonly allow: true; readonly purpose: Purpose; readonly obligations: readonly Obligation[]; readonly relationship?: Relationship }
  | {
    readonly allow: false; readonly purpose: Purpose; readonly reason: DenyReason; readonly message: string;
    readonly httpStatus: 401 | 403 | 404; readonly obligations: readonly Obligation[];
  };

export interface DecideOptions {
  readonly roles?: RoleTable;
  readonly relationshipWindowDays?: number;
  readonly declarationValidityHours?: DeclarationValidity;
  readonly sensitiveEntitlements?: SensitiveEntitlements;
  /** true (default): every role needs a second factor; false: none; a list: those roles. */
  readonly mfaRequired?: boolean | readonly Role[];
  /** Which registers a role's registration may be on. */
  readonly registrationBodies?: Partial<Record<Role, readonly RegisterBody[]>>;
}

export const DEFAULT_REGISTRATION_BODIES: Readonly<Partial<Record<Role, readonly RegisterBody[]>>> = {
  'clinician': ['GMC', 'NMC', 'HCPC', 'GPhC', 'GDC'],
  'social-care-practitioner': ['SWE', 'HCPC', 'NMC'],
};

const MESSAGES: Readonly<Record<DenyReason, string>> = {
  'not-authenticated': 'Sign in to continue.',
  'account-suspended': 'Your account is suspended. Contact your administrator.',
  'mfa-required': 'Confirm it is you with the code from your authenticator app to continue.',
  'role-not-permitted': 'Your role does not allow this.',
  'organisation-not-in-agreement': 'Your organisation is not currently part of the information sharing agreement, so the shared record is not available to you. Contact your information governance lead.',
  'training-lapsed': 'Your annual data security training has expired. Complete your data security awareness training, then ask your administrator to update your training date.',
  'not-registered-professional': 'Only registered health and social care professionals can use the shared record. Ask your administrator to record your professional registration.',
  'person-not-found': "No shared record is available for this person. Contact the person's care providers directly.",
  'case-not-routed': 'There is no open rights case for this person routed to your organisation.',
  'relationship-required': 'You need a care relationship with this person to see their record. If you are caring for them, record why you need access.',
  'record-restricted': "This record is restricted at the person's request. Contact the organisations that provide their care.",
};

const LOCKED_MESSAGE = 'Your account is locked. Contact your administrator to unlock it.';

const STATUS: Readonly<Record<DenyReason, 401 | 403 | 404>> = {
  'not-authenticated': 401,
  'mfa-required': 401,
  'person-not-found': 404,
  'account-suspended': 403, 'role-not-permitted': 403, 'organisation-not-in-agreement': 403, 'training-lapsed': 403,
  'not-registered-professional': 403, 'case-not-routed': 403, 'relationship-required': 403, 'record-restricted': 403,
};

/** Purposes that are about one person: without a known person there is nothing to decide on. */
const PERSON_SCOPED: ReadonlySet<Purpose> = new Set<Purpose>([
  'direct-care-view', 'search', 'declare-relationship', 'record-objection', 'log-rights-request', 'handle-rights-case', 'export',
]);

/**
 * Purposes of the shared record itself, which an objection removes the person from. Recording an
 * objection (or its withdrawal), logging and handling rights requests, and auditing must still reach
 * the person: an objection does not take away their other rights, nor the audit of who looked.
 */
const HIDDEN_BY_OBJECTION: ReadonlySet<Purpose> = new Set<Purpose>(['direct-care-view', 'search', 'declare-relationship']);

function deny(purpose: Purpose, reason: DenyReason, message: string = MESSAGES[reason]): Decision {
  return {
    allow: false, purpose, reason, message, httpStatus: STATUS[reason],
    obligations: [{ type: 'audit', purpose, outcome: 'denied', reason }],
  };
}

function mfaRequiredFor(role: Role, setting: boolean | readonly Role[]): boolean {
  return typeof setting === 'boolean' ? setting : setting.includes(role);
}

function inAgreement(org: UserOrganisation, now: number): boolean {
  return org.isaMemberships.some((m) => startOf(m.from) <= now && (!m.to || endOf(m.to) >= now));
}

function registeredFor(user: DecisionUser, bodies: readonly RegisterBody[] | undefined): boolean {
  if (!user.registration) return false;
  const body = normaliseRegisterBody(user.registration.body);
  if (!body || (bodies && !bodies.includes(body))) return false;
  return checkRegistration(user.registration).ok;
}

function sensitiveObligation(user: DecisionUser, table: SensitiveEntitlements): Obligation | null {
  const categories: { category: SensitiveCategory; unlessRecordedBy: string | null }[] = [];
  for (const category of SENSITIVE_CATEGORIES) {
    const rule = table[category];
    const roleEntitled = rule.roles.includes(user.role);
    if (roleEntitled && rule.organisationKinds.includes(user.organisation.kind)) continue;
    categories.push({ category, unlessRecordedBy: roleEntitled && rule.recordingOrganisation ? user.organisation.ods : null });
  }
  return categories.length > 0 ? { type: 'withhold-sensitive', categories } : null;
}

function caseRouted(person: DecisionPerson, ods: string, kind: RightsCaseKind | null): boolean {
  return (person.rightsCases ?? []).some((c) => c.open && c.ods === ods && (kind === null || c.kind === kind));
}

/**
 * The decision for `user` doing `purpose` about `person` at `now`. `person` is null for purposes not
 * about one person (admin, statistics, organisation-wide audit reports).
 */
export function decide(user: DecisionUser | null, person: DecisionPerson | null, purpose: Purpose, now: Date, options: DecideOptions = {}): Decision {
  if (!user) return deny(purpose, 'not-authenticated');
  if (user.status === 'locked') return deny(purpose, 'account-suspended', LOCKED_MESSAGE);
  if (user.status !== 'active') return deny(purpose, 'account-suspended');
  if (!user.mfaSatisfied && mfaRequiredFor(user.role, options.mfaRequired ?? true)) return deny(purpose, 'mfa-required');

  const roles = options.roles ?? DEFAULT_ROLES;
  const definition = roles[user.role];
  if (!definition.purposes.has(purpose)) return deny(purpose, 'role-not-permitted');

  const t = now.getTime();
  if (!inAgreement(user.organisation, t)) return deny(purpose, 'organisation-not-in-agreement');
  if (!user.trainingValidUntil || !(endOf(user.trainingValidUntil) >= t)) return deny(purpose, 'training-lapsed');
  if (definition.requiresRegistration) {
    const bodies = (options.registrationBodies ?? DEFAULT_REGISTRATION_BODIES)[user.role];
    if (!registeredFor(user, bodies)) return deny(purpose, 'not-registered-professional');
  }

  // From here on the person is looked at; every refusal above was the same whoever the person is.
  const needsPerson = PERSON_SCOPED.has(purpose) || (purpose === 'audit-read' && person !== null);
  if (needsPerson && (!person || !person.exists || (person.optedOut && HIDDEN_BY_OBJECTION.has(purpose)))) {
    return deny(purpose, 'person-not-found');
  }

  const obligations: Obligation[] = [];
  switch (purpose) {
    case 'direct-care-view': {
      const p = person as DecisionPerson;
      const relationship = inferRelationship(
        p.facts ?? {}, user, now, options.relationshipWindowDays ?? DEFAULT_RELATIONSHIP_WINDOW_DAYS, options.declarationValidityHours,
      );
      if (!relationship) return deny(purpose, 'relationship-required');
      if (p.restriction?.wholeRecord) return deny(purpose, 'record-restricted');
      obligations.push({ type: 'audit', purpose, outcome: 'allowed', relationship });
      obligations.push({ type: 'withhold-restricted-entries', entryIds: p.restriction?.entryIds ?? [], marker: RESTRICTED_MARKER });
      const sensitive = sensitiveObligation(user, options.sensitiveEntitlements ?? DEFAULT_SENSITIVE_ENTITLEMENTS);
      if (sensitive) obligations.push(sensitive);
      const review: ReviewReason[] = [];
      if (relationship.basis === 'declared') review.push('declared-relationship');
      if (p.deceased) review.push('deceased-person');
      if (review.length > 0) obligations.push({ type: 'flag-for-review', reasons: review });
      return { allow: true, purpose, obligations, relationship };
    }
    case 'declare-relationship':
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' }, { type: 'flag-for-review', reasons: ['declared-relationship'] }, { type: 'demographics-only' });
      return { allow: true, purpose, obligations };
    case 'handle-rights-case':
    case 'export': {
      const kind = purpose === 'export' ? 'access' : null;
      if (!caseRouted(person as DecisionPerson, user.organisation.ods, kind)) return deny(purpose, 'case-not-routed');
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' });
      // The subject-access export goes to the person, who is entitled to all of it; the team handling
      // the case works from the case and the demographics.
      if (purpose === 'handle-rights-case') obligations.push({ type: 'demographics-only' });
      return { allow: true, purpose, obligations };
    }
    case 'audit-read':
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' });
      if (person) obligations.push({ type: 'demographics-only' });
      if (definition.auditScope === 'own-organisation' && !(user.systemWideIg && user.role === 'ig-officer')) {
        obligations.push({ type: 'limit-to-organisation', ods: user.organisation.ods });
      }
      return { allow: true, purpose, obligations };
    case 'statistics':
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' }, { type: 'exclude-opted-out' });
      return { allow: true, purpose, obligations };
    case 'search':
    case 'record-objection':
    case 'log-rights-request':
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' }, { type: 'demographics-only' });
      return { allow: true, purpose, obligations };
    case 'admin':
      obligations.push({ type: 'audit', purpose, outcome: 'allowed' });
      return { allow: true, purpose, obligations };
  }
}

/** An entry of the combined record as the policy sees it. */
export interface PolicyEntry {
  readonly id: string;
  readonly categories: readonly SensitiveCategory[];
  readonly restricted: boolean;
  /** ODS code of the organisation that recorded it. */
  readonly sourceOds: string;
  /** False when the source organisation is outside an active information sharing agreement. */
  readonly sourceInAgreement?: boolean;
}

export type WithheldReason = 'restricted' | 'sensitive' | 'not-for-role' | 'source-not-in-agreement';

/** What the screen says in place of withheld entries; entryIds are for the audit, never for display. */
export interface WithheldMarker { readonly reason: WithheldReason; readonly text: string; readonly entryIds: readonly string[] }

const MARKER_TEXT: Readonly<Record<WithheldReason, string>> = {
  'restricted': RESTRICTED_MARKER,
  // Deliberately does not name the category: saying "sexual health information withheld" would disclose it.
  'sensitive': 'Some information is only available to particular services and is not shown',
  'not-for-role': 'Clinical information is not shown for your role',
  'source-not-in-agreement': 'Some information is not shown because its source is not currently sharing',
};

/**
 * Purposes whose decisions concern one person's record, and so may release entries of it (search
 * and the like only demographics, through their demographics-only obligation). Administration and
 * statistics concern the system, not a person: an allowed decision for them releases no entry,
 * even if one were handed to filterEntries by mistake.
 */
const RECORD_PURPOSES: ReadonlySet<Purpose> = new Set<Purpose>([
  'direct-care-view', 'export', 'search', 'declare-relationship', 'record-objection', 'log-rights-request', 'handle-rights-case', 'audit-read',
]);

/** Applies a decision's obligations to entries: what may be shown, and a marker for each kind of withheld entry. */
export function filterEntries<E extends PolicyEntry>(decision: Decision, entries: readonly E[]): { shown: E[]; withheld: WithheldMarker[] } {
  if (!decision.allow) return { shown: [], withheld: [] };
  let restrictedIds: ReadonlySet<string> | null = null;
  let sensitive: Map<SensitiveCategory, string | null> | null = null;
  let demographicsOnly = !RECORD_PURPOSES.has(decision.purpose);
  for (const o of decision.obligations) {
    if (o.type === 'withhold-restricted-entries') restrictedIds = new Set(o.entryIds);
    else if (o.type === 'withhold-sensitive') sensitive = new Map(o.categories.map((c) => [c.category, c.unlessRecordedBy]));
    else if (o.type === 'demographics-only') demographicsOnly = true;
  }
  const shown: E[] = [];
  const withheld: Record<WithheldReason, string[]> = { 'restricted': [], 'sensitive': [], 'not-for-role': [], 'source-not-in-agreement': [] };
  for (const e of entries) {
    if (e.sourceInAgreement === false) withheld['source-not-in-agreement'].push(e.id);
    else if (demographicsOnly) withheld['not-for-role'].push(e.id);
    else if (restrictedIds && (e.restricted || restrictedIds.has(e.id))) withheld.restricted.push(e.id);
    else if (sensitive && e.categories.some((c) => sensitive.has(c) && sensitive.get(c) !== e.sourceOds)) withheld.sensitive.push(e.id);
    else shown.push(e);
  }
  const markers: WithheldMarker[] = [];
  for (const reason of ['restricted', 'sensitive', 'not-for-role', 'source-not-in-agreement'] as const) {
    if (withheld[reason].length > 0) markers.push({ reason, text: MARKER_TEXT[reason], entryIds: withheld[reason] });
  }
  return { shown, withheld: markers };
}
