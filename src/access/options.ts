/**
 * Settings of authentication and sessions, with the defaults a deployment gets when it sets nothing.
 * Read from configuration by the caller and passed in; nothing here reads the environment.
 */
import { DEFAULT_ROLES, ROLES, type DecideOptions, type Purpose, type Role } from './policy/index.ts';

export interface ScryptParams { readonly N: number; readonly r: number; readonly p: number }

export interface AccessOptions {
  /** OHC_MFA_REQUIRED: false turns the second factor off (demonstrations only). Default true. */
  readonly mfaRequired?: boolean;
  /** Failed sign-ins (password or code) within `failureWindowMinutes` that lock the account. Default 5. */
  readonly maxFailures?: number;
  /** How long a lock lasts. Default 15 minutes. */
  readonly lockMinutes?: number;
  /** Failures older than this are forgotten. Default 15 minutes. */
  readonly failureWindowMinutes?: number;
  /** A session unused this long ends. Default 30 minutes. */
  readonly sessionIdleMinutes?: number;
  /** A session ends this long after sign-in however busy. Default 12 hours. */
  readonly sessionAbsoluteHours?: number;
  /** scrypt cost for new hashes. Default N=2^17, r=8, p=1 (OWASP's recommendation). */
  readonly scrypt?: ScryptParams;
  /** Name shown in authenticator apps. */
  readonly totpIssuer?: string;
  /** Passed on to decide() and used when loading declarations. */
  readonly relationshipWindowDays?: number;
  readonly declarationValidityHours?: DecideOptions['declarationValidityHours'];
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export interface ResolvedAccessOptions {
  mfaRequired: boolean;
  maxFailures: number;
  lockMinutes: number;
  failureWindowMinutes: number;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  scrypt: ScryptParams;
  totpIssuer: string;
  relationshipWindowDays: number | undefined;
  declarationValidityHours: DecideOptions['declarationValidityHours'];
}

export function resolveAccessOptions(o: AccessOptions = {}): ResolvedAccessOptions {
  return {
    mfaRequired: o.mfaRequired ?? true,
    maxFailures: o.maxFailures ?? 5,
    lockMinutes: o.lockMinutes ?? 15,
    failureWindowMinutes: o.failureWindowMinutes ?? 15,
    sessionIdleMinutes: o.sessionIdleMinutes ?? 30,
    sessionAbsoluteHours: o.sessionAbsoluteHours ?? 12,
    scrypt: o.scrypt ?? DEFAULT_SCRYPT,
    totpIssuer: o.totpIssuer ?? 'One Health and Care',
    relationshipWindowDays: o.relationshipWindowDays,
    declarationValidityHours: o.declarationValidityHours,
  };
}

/** Purposes that show a person's data: the roles that may use any of them need a second factor. */
const VIEWING_PURPOSES: readonly Purpose[] = ['direct-care-view', 'search', 'audit-read', 'export', 'handle-rights-case'];

export const VIEWING_ROLES: readonly Role[] = ROLES.filter((r) => VIEWING_PURPOSES.some((p) => DEFAULT_ROLES[r].purposes.has(p)));

/** The DecideOptions these settings imply: a second factor for the roles that view personal data. */
export function decideOptions(o: AccessOptions = {}): DecideOptions {
  return {
    mfaRequired: o.mfaRequired === false ? false : VIEWING_ROLES,
    ...(o.relationshipWindowDays !== undefined ? { relationshipWindowDays: o.relationshipWindowDays } : {}),
    ...(o.declarationValidityHours !== undefined ? { declarationValidityHours: o.declarationValidityHours } : {}),
  };
}
