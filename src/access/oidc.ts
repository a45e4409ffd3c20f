/**
 * Signing in through an OpenID Connect provider (NHS CIS2 in production, any conformant provider
 * elsewhere): discovery, the authorization code flow with PKCE, state and nonce, then the provider's
 * role claims mapped to our role and a registered organisation, and the user record created or
 * brought up to date. The browser-side state (state, nonce, PKCE verifier) is returned to the caller
 * to keep in a signed, HttpOnly cookie between the redirect and the callback.
 */
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { Tables } from '../store/tables.ts';
import { randomBytes } from 'node:crypto';
import { auditTime, inTransaction, type AuditSink } from './audit.ts';
import { DEFAULT_ROLES_CLAIM, DEFAULT_SELECTED_ROLE_CLAIM, mapRoleClaims, type ClaimMapping, type RoleRule } from './claimMapping.ts';
import { createSession, type NewSession } from './sessions.ts';
import { userFromRow, USERNAME_PATTERN, type UserRecord } from './users.ts';
import type { AccessOptions } from './options.ts';

export interface OidcSettings {
  /** The provider's issuer URL (discovery is at /.well-known/openid-configuration under it). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Our callback, registered with the provider. */
  redirectUri: string;
  /** Default `openid profile`; CIS2 also needs `nationalrbacaccess` for the role claims. */
  scope?: string;
  roleRules: readonly RoleRule[];
  rolesClaim?: string;
  selectedRoleClaim?: string | null;
  /** Usernames of accounts made at first sign-in: this prefix and the provider's subject. Default `oidc-`. */
  usernamePrefix?: string;
  /** `amr` values that mean a second factor was used. Default mfa, otp, hwk, swk, sc, pin+hwk. */
  mfaAmr?: readonly string[];
  /** `acr` values that mean a second factor was used (CIS2: AAL2/AAL3 levels). */
  mfaAcr?: readonly string[];
  /** Plain http to the provider: tests on 127.0.0.1 only. */
  allowInsecureHttp?: boolean;
}

export interface OidcProvider {
  readonly settings: OidcSettings;
  readonly config: client.Configuration;
  readonly mapping: ClaimMapping;
}

export async function openOidcProvider(settings: OidcSettings): Promise<OidcProvider> {
  const config = await client.discovery(
    new URL(settings.issuer), settings.clientId, { redirect_uris: [settings.redirectUri], response_types: ['code'] },
    client.ClientSecretBasic(settings.clientSecret),
    settings.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : undefined,
  );
  return {
    settings, config,
    mapping: {
      rolesClaim: settings.rolesClaim ?? DEFAULT_ROLES_CLAIM,
      selectedRoleClaim: settings.selectedRoleClaim === undefined ? DEFAULT_SELECTED_ROLE_CLAIM : settings.selectedRoleClaim,
      rules: settings.roleRules,
    },
  };
}

/** What the caller keeps (signed cookie) between the redirect and the callback. */
export interface PendingOidcSignIn { readonly state: string; readonly nonce: string; readonly codeVerifier: string }

export async function beginOidcSignIn(provider: OidcProvider): Promise<{ url: URL; pending: PendingOidcSignIn }> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier };
  const url = client.buildAuthorizationUrl(provider.config, {
    redirect_uri: provider.settings.redirectUri,
    scope: provider.settings.scope ?? 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
    // Asks for how the person authenticated, to know whether a second factor was used; a provider
    // that does not support the claims parameter ignores it (OpenID Connect Core 5.5).
    claims: JSON.stringify({ id_token: { amr: null, acr: null } }),
  });
  return { url, pending };
}

export type OidcRefusal = 'provider-error' | 'no-role-claim' | 'unknown-role' | 'unknown-organisation' | 'suspended';

export type OidcSignIn =
  | { ok: true; user: UserRecord; session: NewSession; created: boolean; mfaSatisfied: boolean }
  | { ok: false; code: OidcRefusal; message: string };

const DEFAULT_MFA_AMR = ['mfa', 'otp', 'hwk', 'swk', 'sc', 'pin+hwk'];

function usernameFor(prefix: string, subject: string): string {
  const cleaned = `${prefix}${subject}`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 63);
  return USERNAME_PATTERN.test(cleaned) ? cleaned : `oidc-${cleaned.replace(/^[^a-z0-9]+/, '')}`.slice(0, 63);
}

function displayName(claims: Record<string, unknown>): string {
  const name = typeof claims.name === 'string' ? claims.name.trim() : '';
  if (name) return name.slice(0, 200);
  const given = typeof claims.given_name === 'string' ? claims.given_name : '';
  const family = typeof claims.family_name === 'string' ? claims.family_name : '';
  return `${given} ${family}`.trim().slice(0, 200) || 'Unknown name';
}

/**
 * Completes sign-in from the provider's redirect to `callbackUrl`. The ID token's signature, issuer,
 * audience, nonce and expiry are checked by openid-client against the provider's real clock.
 */
export async function completeOidcSignIn(
  db: Kysely<Tables>, provider: OidcProvider, callbackUrl: URL, pending: PendingOidcSignIn, now: Date, audit: AuditSink, options: AccessOptions = {},
): Promise<OidcSignIn> {
  const { settings } = provider;
  const failure = async (code: OidcRefusal, message: string, reason: string, userId?: string): Promise<OidcSignIn> => {
    await inTransaction(db, (trx) => audit(trx, {
      time: auditTime(now), actor: userId ? { kind: 'user', id: userId } : { kind: 'system', id: 'oidc-sign-in' },
      action: 'sign-in-failed', outcome: 'failure', details: { method: 'oidc', reason },
    }));
    return { ok: false, code, message };
  };

  let claims: Record<string, unknown>;
  try {
    const tokens = await client.authorizationCodeGrant(provider.config, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) return await failure('provider-error', 'The identity provider did not identify you', 'no-id-token');
    // Role claims usually come from the userinfo endpoint (CIS2), not the ID token.
    const info = await client.fetchUserInfo(provider.config, tokens.access_token, idClaims.sub);
    claims = { ...info, ...idClaims };
  } catch {
    // The library's message can quote what the provider sent; the refusal says only what happened.
    return failure('provider-error', 'Signing in with your identity provider did not work. Try again.', 'protocol-error');
  }

  const subject = String(claims.sub);
  const mapped = mapRoleClaims(claims, provider.mapping);
  if (!mapped.ok) return failure(mapped.code, mapped.message, mapped.code);
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === 'string') : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : null;
  const mfaSatisfied = amr.some((a) => (settings.mfaAmr ?? DEFAULT_MFA_AMR).includes(a)) || (acr !== null && (settings.mfaAcr ?? []).includes(acr));
  const name = displayName(claims);

  const outcome = await inTransaction(db, async (trx) => {
    const registered = await trx.selectFrom('organisations').select('ods_code')
      .where('ods_code', 'in', mapped.candidates.map((c) => c.organisationOds)).execute();
    const known = new Set(registered.map((r) => r.ods_code));
    const chosen = mapped.candidates.find((c) => known.has(c.organisationOds));
    if (!chosen) return { refused: 'unknown-organisation' as const };

    const existing = await trx.selectFrom('users').selectAll().where('oidc_issuer', '=', settings.issuer).where('oidc_subject', '=', subject).forUpdate().executeTakeFirst();
    if (existing?.status === 'suspended') return { refused: 'suspended' as const, userId: existing.id };
    let row;
    let created = false;
    if (existing) {
      const changed = existing.name !== name || existing.organisation_ods !== chosen.organisationOds || existing.role !== chosen.role;
      row = await trx.updateTable('users').set({
        name, organisation_ods: chosen.organisationOds, role: chosen.role, ...(changed ? { updated_at: now } : {}),
        // A new organisation or role is a new job: the registration recorded for the old one may not fit it.
        ...(existing.role !== chosen.role ? { registration_body: null, registration_number: null } : {}),
      }).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
      if (changed) {
        await audit(trx, {
          time: auditTime(now), actor: { kind: 'system', id: 'oidc-sign-in' }, action: 'user-changed', purpose: 'administration', outcome: 'success',
          details: { change: 'updated-from-provider', userId: existing.id, organisationOds: chosen.organisationOds, role: chosen.role },
        });
      }
    } else {
      let username = usernameFor(settings.usernamePrefix ?? 'oidc-', subject);
      const clash = await trx.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
      if (clash) username = usernameFor(`${settings.usernamePrefix ?? 'oidc-'}${randomBytes(3).toString('hex')}-`, subject);
      row = await trx.insertInto('users').values({
        username, name, organisation_ods: chosen.organisationOds, role: chosen.role, registration_body: null, registration_number: null,
        training_valid_until: null, password_hash: null, totp_secret: null, totp_last_step: null, last_failed_at: null, locked_until: null,
        last_sign_in_at: null, oidc_issuer: settings.issuer, oidc_subject: subject, created_at: now, updated_at: now,
      }).returningAll().executeTakeFirstOrThrow();
      created = true;
      await audit(trx, {
        time: auditTime(now), actor: { kind: 'system', id: 'oidc-sign-in' }, action: 'user-changed', purpose: 'administration', outcome: 'success',
        details: { change: 'created-from-provider', userId: row.id, username, organisationOds: chosen.organisationOds, role: chosen.role },
      });
    }
    const session = await createSession(trx, { id: row.id, organisationOds: row.organisation_ods, role: row.role }, { method: 'oidc', mfaSatisfied }, now, audit, options);
    return { row, session, created };
  });
  if ('refused' in outcome) {
    return outcome.refused === 'suspended'
      ? failure('suspended', 'Your account is suspended. Contact your administrator.', 'suspended', outcome.userId)
      : failure('unknown-organisation', 'Your organisation is not a partner of this shared care record', 'unknown-organisation');
  }
  return { ok: true, user: userFromRow(outcome.row), session: outcome.session, created: outcome.created, mfaSatisfied };
}

