/**
 * The legitimate relationship: why this professional may see this person's record today. Inferred
 * from the data first (registration at the user's GP practice, care at the user's organisation that
 * is open or recent); otherwise a relationship the professional declared, which is time-limited and
 * always goes to the IG team for review.
 */
import { DAY_MS, HOUR_MS, endOf, startOf } from './time.ts';

export const DECLARATION_REASONS = ['emergency', 'new-referral', 'present-and-consenting', 'other'] as const;
export type DeclarationReason = (typeof DECLARATION_REASONS)[number];

export const INVOLVEMENT_KINDS = ['encounter', 'admission', 'referral', 'appointment', 'episode', 'social-care-involvement'] as const;
export type InvolvementKind = (typeof INVOLVEMENT_KINDS)[number];

export const DEFAULT_RELATIONSHIP_WINDOW_DAYS = 90;

/** Hours a declaration lasts: an emergency is over in a day; a referral or consent covers a course of care. */
export const DEFAULT_DECLARATION_VALIDITY_HOURS: Readonly<Record<DeclarationReason, number>> = {
  'emergency': 24,
  'new-referral': 30 * 24,
  'present-and-consenting': 30 * 24,
  'other': 30 * 24,
};

export interface GpRegistration {
  /** ODS code of the practice. */
  readonly ods: string;
  readonly from?: string | null;
  readonly to?: string | null;
}

/** Care the person had, has or is booked for at an organisation (from ADT, referrals, appointments, social care allocations). */
export interface Involvement {
  readonly kind: InvolvementKind;
  readonly ods: string;
  readonly start: string;
  readonly end?: string | null;
  readonly status?: 'planned' | 'active' | 'finished' | 'cancelled' | 'entered-in-error';
}

export interface DeclaredRelationship {
  readonly userId: string;
  /** The organisation the professional declared from: a declaration does not follow them to a new employer. */
  readonly ods: string;
  readonly reason: DeclarationReason;
  readonly detail: string;
  readonly declaredAt: string;
  /** Set when the IG team ends a declaration on review. */
  readonly revokedAt?: string | null;
}

export interface RelationshipFacts {
  readonly gpRegistrations?: readonly GpRegistration[];
  readonly involvements?: readonly Involvement[];
  readonly declarations?: readonly DeclaredRelationship[];
}

export interface RelationshipUser { readonly id: string; readonly organisation: { readonly ods: string; readonly kind: string } }

export type Relationship =
  | { readonly basis: 'gp-registration'; readonly ods: string }
  | { readonly basis: 'involvement'; readonly kind: InvolvementKind; readonly ods: string }
  | { readonly basis: 'declared'; readonly reason: DeclarationReason; readonly detail: string; readonly declaredAt: string; readonly expiresAt: string };

export type DeclarationValidity = Partial<Record<DeclarationReason, number>>;

function isCurrentRegistration(r: GpRegistration, now: number): boolean {
  return (!r.from || startOf(r.from) <= now) && (!r.to || endOf(r.to) >= now);
}

/** Open (started, or starting within the window) or ended within the window; cancelled care is no relationship. */
function isOpenOrRecent(i: Involvement, now: number, windowMs: number): boolean {
  if (i.status === 'cancelled' || i.status === 'entered-in-error') return false;
  const start = startOf(i.start);
  if (Number.isNaN(start) || start > now + windowMs) return false;
  const finishedWithoutEnd = i.status === 'finished' && !i.end;
  const end = i.end ? endOf(i.end) : finishedWithoutEnd ? endOf(i.start) : Infinity;
  return end >= now - windowMs;
}

export function declarationExpiry(reason: DeclarationReason, declaredAt: string, validity: DeclarationValidity = {}): number {
  const hours = validity[reason] ?? DEFAULT_DECLARATION_VALIDITY_HOURS[reason];
  return startOf(declaredAt) + hours * HOUR_MS;
}

function isLiveDeclaration(d: DeclaredRelationship, user: RelationshipUser, now: number, validity: DeclarationValidity): boolean {
  if (d.userId !== user.id || d.ods !== user.organisation.ods) return false;
  const declared = startOf(d.declaredAt);
  if (Number.isNaN(declared) || declared > now) return false;
  if (d.revokedAt && startOf(d.revokedAt) <= now) return false;
  return now < declarationExpiry(d.reason, d.declaredAt, validity);
}

/**
 * The relationship this user has with the person at `now`, or null. A relationship inferred from the
 * data wins over a declared one, so a declaration is only reviewed when it was the real reason for access.
 */
export function inferRelationship(
  facts: RelationshipFacts, user: RelationshipUser, now: Date, windowDays: number = DEFAULT_RELATIONSHIP_WINDOW_DAYS,
  declarationValidity: DeclarationValidity = {},
): Relationship | null {
  const t = now.getTime();
  const ods = user.organisation.ods;
  for (const r of facts.gpRegistrations ?? []) {
    if (r.ods === ods && isCurrentRegistration(r, t)) return { basis: 'gp-registration', ods };
  }
  const windowMs = windowDays * DAY_MS;
  for (const i of facts.involvements ?? []) {
    if (i.ods === ods && isOpenOrRecent(i, t, windowMs)) return { basis: 'involvement', kind: i.kind, ods };
  }
  let best: DeclaredRelationship | null = null;
  for (const d of facts.declarations ?? []) {
    if (!isLiveDeclaration(d, user, t, declarationValidity)) continue;
    if (!best || declarationExpiry(d.reason, d.declaredAt, declarationValidity) > declarationExpiry(best.reason, best.declaredAt, declarationValidity)) best = d;
  }
  if (!best) return null;
  return {
    basis: 'declared', reason: best.reason, detail: best.detail, declaredAt: best.declaredAt,
    expiresAt: new Date(declarationExpiry(best.reason, best.declaredAt, declarationValidity)).toISOString(),
  };
}

export const MAX_DECLARATION_DETAIL = 500;

export type DeclarationCheck =
  | { ok: true; reason: DeclarationReason; detail: string }
  | { ok: false; code: 'unknown-reason' | 'detail-required' | 'detail-too-long'; message: string; where: 'reason' | 'detail' };

/** Validates a declaration as submitted ($declare-relationship Parameters `reason` and `detail`). */
export function checkDeclaration(input: { reason: string; detail?: string | null }): DeclarationCheck {
  const reason = input.reason.trim();
  if (!(DECLARATION_REASONS as readonly string[]).includes(reason)) {
    return { ok: false, code: 'unknown-reason', message: `The reason must be one of ${DECLARATION_REASONS.join(', ')}`, where: 'reason' };
  }
  const detail = (input.detail ?? '').trim();
  // "Other" says nothing by itself, so the reviewer needs the professional's own words.
  if (reason === 'other' && detail === '') {
    return { ok: false, code: 'detail-required', message: 'Say why you need to see this record', where: 'detail' };
  }
  if ([...detail].length > MAX_DECLARATION_DETAIL) {
    return { ok: false, code: 'detail-too-long', message: `The detail must be ${MAX_DECLARATION_DETAIL} characters or fewer`, where: 'detail' };
  }
  return { ok: true, reason: reason as DeclarationReason, detail };
}
