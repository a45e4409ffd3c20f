/**
 * Signing in and out: password then (when enrolled) the authenticator code, or the configured
 * OpenID Connect provider; the idle-timeout extension; the start page, which sends each role to its
 * work or says plainly why the shared record is not available to them (lapsed training…).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  beginOidcSignIn, completeOidcSignIn, confirmSecondFactor, decide, endSession, signInWithPassword, type PendingOidcSignIn, type Purpose, type Role,
} from '../../access/index.ts';
import { audit, cookieOptions, field, lookUpSession, OIDC_COOKIE, pageUser, PRE_SESSION_COOKIE, sendPage, SESSION_COOKIE, submittedCsrf, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { navigationFor, page } from '../layout.ts';
import { button, errorSummary, input, insetText, type FieldError } from '../components.ts';
import type { Guard, WebOptions } from '../index.ts';

const REASONS: Readonly<Record<string, string>> = {
  'idle': 'You were signed out because you had not done anything for a while. Sign in again to continue.',
  'expired': 'Your session has ended. Sign in again to continue.',
  'ended': 'Your session has ended. Sign in again to continue.',
  'signed-out': 'You have signed out.',
  'suspended': 'Your account is suspended. Contact your administrator.',
};

/** The purpose each role's work is checked against on its start page. */
const MAIN_PURPOSE: Readonly<Record<Role, Purpose>> = {
  'clinician': 'search', 'social-care-practitioner': 'search', 'pals-officer': 'record-objection', 'gp-practice-staff': 'record-objection',
  'access-to-records': 'handle-rights-case', 'ig-officer': 'audit-read', 'caldicott-guardian': 'audit-read', 'siro': 'audit-read',
  'system-admin': 'admin', 'analyst': 'statistics',
};

/**
 * Why this user may not do their role's work at all, whoever the person — lapsed training, no
 * registration, organisation outside the agreement — or null. Person-level refusals come later.
 */
export function userRefusal(ctx: WebContext, s: SignedIn, purpose: Purpose = MAIN_PURPOSE[s.user.role]): { reason: string; message: string } | null {
  const d = decide(s.decisionUser, null, purpose, ctx.deps.now(), ctx.decide);
  if (d.allow || d.reason === 'person-not-found') return null;
  return { reason: d.reason, message: d.message };
}

const REFUSAL_TITLES: Readonly<Record<string, string>> = {
  'training-lapsed': 'Your data security training has expired',
  'account-suspended': 'Your account is suspended',
  'not-registered-professional': 'Your professional registration is not recorded',
  'organisation-not-in-agreement': 'Your organisation is not sharing at the moment',
  'mfa-required': 'Confirm it is you',
};

export function refusalPage(ctx: WebContext, s: SignedIn, refusal: { reason: string; message: string }): Html {
  const title = REFUSAL_TITLES[refusal.reason] ?? 'You cannot use the shared record';
  return page({ title, user: pageUser(ctx, s) }, html`<h1>${title}</h1><p>${refusal.message}</p>`);
}

function preSessionToken(req: FastifyRequest, reply: FastifyReply, ctx: WebContext): string {
  const existing = req.cookies[PRE_SESSION_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{40,}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  void reply.setCookie(PRE_SESSION_COOKIE, token, cookieOptions(ctx, req, 3600));
  return token;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function signInPage(o: { token: string; notice?: string; errors?: FieldError[]; username?: string; oidcLabel?: string | null }): Html {
  const errors = o.errors ?? [];
  return page({ title: 'Sign in' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    ${o.notice ? insetText(html`<p>${o.notice}</p>`) : ''}
    <h1>Sign in to One Health and Care</h1>
    <p>The shared care record for health and social care professionals caring for a person.</p>
    <form action="/sign-in" method="post" novalidate>
      <input type="hidden" name="_csrf" value="${o.token}">
      ${input({ id: 'username', label: 'Username', value: o.username ?? '', autocomplete: 'username', spellcheck: false, width: 20, error: errors.find((e) => e.field === 'username')?.message })}
      ${input({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', width: 20, error: errors.find((e) => e.field === 'password')?.message })}
      ${button('Sign in')}
    </form>
    ${o.oidcLabel ? html`<h2 class="nhsuk-heading-m">Or</h2><p><a class="nhsuk-button nhsuk-button--secondary" href="/sign-in/oidc" role="button" draggable="false">${o.oidcLabel}</a></p>` : ''}
  </div></div>`);
}

function codePage(ctx: WebContext, s: SignedIn, error?: string): Html {
  return page({ title: 'Enter the code from your authenticator app' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(error ? [{ field: 'code', message: error }] : [])}
    <form action="/sign-in/code" method="post" novalidate>
      <input type="hidden" name="_csrf" value="${s.session.csrfToken}">
      ${input({ id: 'code', label: 'Enter the code from your authenticator app', labelIsHeading: true, hint: 'The 6-digit code shown in the app on your phone', inputmode: 'numeric', autocomplete: 'one-time-code', width: 10, error })}
      ${button('Continue')}
    </form>
  </div></div>`);
}

export function registerAuthRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard, options: WebOptions): void {
  const oidcLabel = options.oidc ? (options.oidc.label ?? "Sign in with your organisation's account") : null;
  const setSession = (req: FastifyRequest, reply: FastifyReply, sessionId: string, expiresAt: Date) => {
    void reply.setCookie(SESSION_COOKIE, sessionId, cookieOptions(ctx, req, Math.max(60, Math.floor((expiresAt.getTime() - ctx.deps.now().getTime()) / 1000))));
  };

  app.get<{ Querystring: { reason?: string } }>('/sign-in', async (req, reply) => {
    const found = await lookUpSession(ctx, req);
    if (found.ok) return reply.redirect('/', 303);
    const reason = req.query.reason;
    const notice = reason && Object.hasOwn(REASONS, reason) ? REASONS[reason] : undefined;
    return sendPage(reply, 200, signInPage({ token: preSessionToken(req, reply, ctx), ...(notice ? { notice } : {}), oidcLabel }));
  });

  app.post('/sign-in', async (req, reply) => {
    const token = preSessionToken(req, reply, ctx);
    if (!sameToken(req.cookies[PRE_SESSION_COOKIE], submittedCsrf(req))) {
      return sendPage(reply, 403, signInPage({ token, notice: 'The sign-in form had expired. Try again.', oidcLabel }));
    }
    const username = field(req, 'username').trim();
    const password = field(req, 'password');
    const errors: FieldError[] = [];
    if (!username) errors.push({ field: 'username', message: 'Enter your username' });
    if (!password) errors.push({ field: 'password', message: 'Enter your password' });
    if (errors.length > 0) return sendPage(reply, 400, signInPage({ token, errors, username, oidcLabel }));
    const r = await signInWithPassword(ctx.db, { username, password }, ctx.deps.now(), audit, ctx.access);
    if (!r.ok) return sendPage(reply, r.code === 'invalid-credentials' ? 401 : 403, signInPage({ token, errors: [{ field: 'username', message: r.message }], username, oidcLabel }));
    if (r.secondFactor === 'enrolment-needed') {
      await endSession(ctx.db, r.session.sessionId, ctx.deps.now(), audit);
      return sendPage(reply, 403, page({ title: 'Set up an authenticator app first' }, html`
        <h1>Set up an authenticator app first</h1>
        <p>Your role needs a second check when you sign in. Ask your administrator to set up an authenticator app for your account, then sign in again.</p>`));
    }
    setSession(req, reply, r.session.sessionId, r.session.expiresAt);
    return reply.redirect(r.secondFactor === 'totp' ? '/sign-in/code' : '/', 303);
  });

  app.get('/sign-in/code', async (req, reply) => {
    const found = await lookUpSession(ctx, req, { allowUnconfirmed: true });
    if (!found.ok) return reply.redirect('/sign-in', 303);
    if (found.signedIn.session.mfaSatisfied || !found.signedIn.user.totpEnrolled) return reply.redirect('/', 303);
    return sendPage(reply, 200, codePage(ctx, found.signedIn));
  });

  app.post('/sign-in/code', async (req, reply) => {
    const found = await lookUpSession(ctx, req, { allowUnconfirmed: true });
    if (!found.ok) return reply.redirect('/sign-in', 303);
    const s = found.signedIn;
    if (!sameToken(s.session.csrfToken, submittedCsrf(req))) return sendPage(reply, 403, codePage(ctx, s, 'The form had expired. Enter the code again'));
    const code = field(req, 'code').replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) return sendPage(reply, 400, codePage(ctx, s, 'Enter the 6-digit code from your authenticator app'));
    const r = await confirmSecondFactor(ctx.db, s.sessionId, code, ctx.deps.now(), audit, ctx.access);
    if (r.ok) return reply.redirect('/', 303);
    if (r.code === 'locked' || r.code === 'no-session') {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return sendPage(reply, 403, signInPage({ token: preSessionToken(req, reply, ctx), notice: r.message, oidcLabel }));
    }
    return sendPage(reply, 400, codePage(ctx, s, r.message));
  });

  app.get('/sign-in/oidc', async (req, reply) => {
    if (!options.oidc) return reply.redirect('/sign-in', 303);
    const { url, pending } = await beginOidcSignIn(options.oidc.provider);
    void reply.setCookie(OIDC_COOKIE, JSON.stringify(pending), { ...cookieOptions(ctx, req, 600), signed: true });
    return reply.redirect(url.href, 303);
  });

  app.get('/sign-in/oidc/callback', async (req, reply) => {
    const token = preSessionToken(req, reply, ctx);
    const provider = options.oidc?.provider;
    const signed = req.cookies[OIDC_COOKIE];
    const unsigned = signed ? req.unsignCookie(signed) : null;
    void reply.clearCookie(OIDC_COOKIE, { path: '/' });
    if (!provider || !unsigned?.valid || unsigned.value === null) {
      return sendPage(reply, 400, signInPage({ token, notice: 'Signing in with your organisation did not complete. Try again.', oidcLabel }));
    }
    let pending: PendingOidcSignIn;
    try {
      pending = JSON.parse(unsigned.value) as PendingOidcSignIn;
    } catch {
      return sendPage(reply, 400, signInPage({ token, notice: 'Signing in with your organisation did not complete. Try again.', oidcLabel }));
    }
    const callback = new URL(req.url, provider.settings.redirectUri);
    const r = await completeOidcSignIn(ctx.db, provider, callback, pending, ctx.deps.now(), audit, ctx.access);
    if (!r.ok) return sendPage(reply, 403, signInPage({ token, notice: r.message, oidcLabel }));
    setSession(req, reply, r.session.sessionId, r.session.expiresAt);
    return reply.redirect('/', 303);
  });

  app.post('/sign-out', async (req, reply) => {
    const sessionId = req.cookies[SESSION_COOKIE];
    const found = await lookUpSession(ctx, req, { allowUnconfirmed: true });
    // A stale form still signs the browser out; a live session needs its own token.
    if (sessionId && found.ok && sameToken(found.signedIn.session.csrfToken, submittedCsrf(req))) {
      await endSession(ctx.db, sessionId, ctx.deps.now(), audit);
    }
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in?reason=signed-out', 303);
  });

  app.post('/session/extend', guard('any', async (req, reply) => {
    if ((req.headers.accept ?? '').includes('application/json')) return reply.code(204).send();
    const back = (() => {
      try {
        const ref = new URL(req.headers.referer ?? '/', `http://${req.headers.host ?? 'localhost'}`);
        return ref.host === req.headers.host && ref.pathname.startsWith('/') && !ref.pathname.startsWith('//') ? ref.pathname : '/';
      } catch {
        return '/';
      }
    })();
    return reply.redirect(back, 303);
  }));

  app.get('/', guard('any', async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s);
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const first = navigationFor(s.user.role)[0];
    if (first) return reply.redirect(first.href, 303);
    return sendPage(reply, 200, page({ title: 'Signed in', user: pageUser(ctx, s) }, html`
      <h1>You are signed in</h1><p>There are no pages in this service for your role yet.</p>`));
  }));
}
