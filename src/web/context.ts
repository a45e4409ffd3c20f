/**
 * Who is asking: the session cookie checked (and its idle timer reset) with access.touchSession, the
 * user and their organisation loaded in one query, the CSRF check for every form post, and the
 * audit sink every page writes through (appendAudit, inside the caller's transaction).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { HttpDeps } from '../http/server.ts';
import {
  csrfMatches, decideOptions, touchSession, type AccessOptions, type AuditSink, type DecideOptions, type DecisionUser,
  type LiveSession, type Role,
} from '../access/index.ts';
import { DECISION_USER_COLUMNS, decisionUserFromRow, decisionUserRow } from '../access/users.ts';
import { appendAudit, AuditGroupCommit } from '../audit/index.ts';
import type { PageUser } from './layout.ts';

export const SESSION_COOKIE = 'ohc_session';
/** Double-submit token for forms posted before there is a session (sign-in). */
export const PRE_SESSION_COOKIE = 'ohc_presession';
export const OIDC_COOKIE = 'ohc_oidc';

export const audit: AuditSink = async (trx, draft) => {
  await appendAudit(trx, draft);
};

export interface WebUser {
  id: string;
  username: string;
  name: string;
  role: Role;
  organisationOds: string;
  organisationName: string;
  organisationKind: string;
  totpEnrolled: boolean;
}

export interface SignedIn {
  sessionId: string;
  session: LiveSession;
  user: WebUser;
  decisionUser: DecisionUser;
}

export interface WebContext {
  deps: HttpDeps;
  db: Kysely<Tables>;
  access: AccessOptions;
  decide: DecideOptions;
  /**
   * The audit of reads: a page reads, then appends its audit here and shows nothing until that is
   * committed (an AuditUnavailableError answers 503); concurrent pages share a transaction.
   */
  auditReads: AuditGroupCommit;
  /** Whether cookies carry Secure: behind TLS (or told so). */
  secureCookies(req: FastifyRequest): boolean;
}

export function accessOptionsFrom(deps: HttpDeps, extra: AccessOptions = {}): AccessOptions {
  const a = deps.config.access;
  return {
    mfaRequired: a.mfaRequired, maxFailures: a.maxFailures, lockMinutes: a.lockMinutes, sessionIdleMinutes: a.sessionIdleMinutes,
    sessionAbsoluteHours: a.sessionAbsoluteHours, relationshipWindowDays: a.relationshipWindowDays, ...extra,
  };
}

export function contextFor(deps: HttpDeps, extra: AccessOptions, secure: boolean | 'auto'): WebContext {
  const access = accessOptionsFrom(deps, extra);
  return {
    deps, db: deps.database.db, access, decide: decideOptions(access), auditReads: new AuditGroupCommit(deps.database.db),
    secureCookies: (req) => (secure === 'auto' ? req.protocol === 'https' : secure),
  };
}

export function cookieOptions(ctx: WebContext, req: FastifyRequest, maxAgeSeconds?: number) {
  return {
    path: '/', httpOnly: true, sameSite: 'lax' as const, secure: ctx.secureCookies(req),
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

export type SessionLookup =
  | { ok: true; signedIn: SignedIn }
  | { ok: false; reason: 'none' | 'idle' | 'expired' | 'ended' | 'suspended' | 'needs-code' };

/** Checks the request's session; a session waiting for its TOTP code is `needs-code`. */
export async function lookUpSession(ctx: WebContext, req: FastifyRequest, opts: { allowUnconfirmed?: boolean } = {}): Promise<SessionLookup> {
  const sessionId = req.cookies[SESSION_COOKIE];
  if (!sessionId) return { ok: false, reason: 'none' };
  const now = ctx.deps.now();
  const check = await touchSession(ctx.db, sessionId, now, audit, ctx.access);
  if (!check.ok) {
    const reason = check.reason === 'idle' ? 'idle' : check.reason === 'expired' ? 'expired' : check.reason === 'user-suspended' ? 'suspended' : check.reason === 'unknown' ? 'none' : 'ended';
    return { ok: false, reason };
  }
  // The page's user and decide()'s user in one statement, read afresh on every request.
  const row = await ctx.db.selectFrom('users').innerJoin('organisations', 'organisations.ods_code', 'users.organisation_ods')
    .select([...DECISION_USER_COLUMNS, 'users.name', 'users.totp_secret', 'organisations.name as org_name'])
    .where('users.id', '=', check.session.userId).executeTakeFirst();
  if (!row) return { ok: false, reason: 'ended' };
  if (!check.session.mfaSatisfied && row.totp_secret !== null && !opts.allowUnconfirmed) return { ok: false, reason: 'needs-code' };
  const decisionUser = decisionUserFromRow(decisionUserRow(row), { mfaSatisfied: check.session.mfaSatisfied }, now);
  return {
    ok: true,
    signedIn: {
      sessionId, session: check.session, decisionUser,
      user: {
        id: row.id, username: row.username, name: row.name, role: row.role as Role, organisationOds: row.ods_code,
        organisationName: row.org_name, organisationKind: row.kind, totpEnrolled: row.totp_secret !== null,
      },
    },
  };
}

export function pageUser(ctx: WebContext, s: SignedIn): PageUser {
  return {
    name: s.user.name, role: s.user.role, organisationName: s.user.organisationName, csrfToken: s.session.csrfToken,
    idleMinutes: ctx.access.sessionIdleMinutes ?? 30,
  };
}

/** The `_csrf` field of a urlencoded form body. */
export function submittedCsrf(req: FastifyRequest): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body?._csrf;
  return typeof v === 'string' ? v : undefined;
}

export function csrfOk(s: SignedIn, req: FastifyRequest): boolean {
  return csrfMatches(s.session, submittedCsrf(req));
}

/** A string field of a urlencoded form body ('' when absent or repeated oddly). */
export function field(req: FastifyRequest, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body?.[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
}

export async function sendPage(reply: FastifyReply, status: number, body: { toString(): string }): Promise<FastifyReply> {
  return reply.code(status).type('text/html; charset=utf-8').send(body.toString());
}
