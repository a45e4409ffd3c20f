/**
 * The web application: server-rendered NHS.UK pages for every role, as one encapsulated Fastify
 * plugin. It registers its own cookie, form-body, security-header and static-file plugins inside
 * its scope, so the FHIR and ingest routes beside it are untouched. No business rules here: each
 * route checks the session, calls the capability (access, record, audit, ingest, registry) and
 * renders the answer.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { AuditUnavailableError } from '../audit/index.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { HttpDeps, RoutePlugin } from '../http/server.ts';
import type { AccessOptions, OidcProvider, Role } from '../access/index.ts';
import { contextFor, csrfOk, lookUpSession, pageUser, sendPage, type SignedIn, type WebContext } from './context.ts';
import { page } from './layout.ts';
import { html } from './html.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerClinicalRoutes } from './routes/clinical.ts';
import { registerObjectionRoutes } from './routes/objections.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerRightsRoutes } from './routes/rights.ts';
import { registerStatisticsRoutes } from './routes/statistics.ts';

export interface WebOptions {
  /** An OpenID Connect provider (openOidcProvider): adds "Sign in with your organisation's account". */
  oidc?: { provider: OidcProvider; label?: string };
  /** Secure cookies: 'auto' (default) when the request came over TLS. */
  secureCookies?: boolean | 'auto';
  /** Signs the short-lived OIDC state cookie; random per process when absent. */
  cookieSecret?: string;
  /** Overrides of the access settings drawn from config.access (tests: a cheap scrypt). */
  access?: AccessOptions;
  /** A feed with no successful upload for this long is shown as late. Default 24. */
  feedLateAfterHours?: number;
}

export type Guarded = (req: FastifyRequest, reply: FastifyReply, s: SignedIn) => Promise<FastifyReply>;

/** Wraps a handler: a live, confirmed session of one of `roles`, and a matching CSRF token on posts. */
export type Guard = (roles: readonly Role[] | 'any', handler: Guarded) => (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const require = createRequire(import.meta.url);
const FRONTEND_DIR = path.join(path.dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const ASSET_FILES = /^\/?(nhsuk-frontend\.min\.(css|js)|app\.(css|js)|images\/[a-z0-9._-]+\.(svg|png|ico)|manifest\.json)$/i;

export function webRoutes(options: WebOptions = {}): RoutePlugin {
  return async (app: FastifyInstance, deps: HttpDeps): Promise<void> => {
    await app.register(async (web) => {
      const ctx = contextFor(deps, options.access ?? {}, options.secureCookies ?? 'auto');
      await web.register(cookie, { secret: options.cookieSecret ?? randomBytes(32).toString('hex') });
      await web.register(formbody, { bodyLimit: 64 * 1024 });
      await web.register(helmet, {
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            'default-src': ["'self'"], 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'],
            'font-src': ["'self'", 'https://assets.nhs.uk'], 'connect-src': ["'self'"], 'form-action': ["'self'"],
            'frame-ancestors': ["'none'"], 'object-src': ["'none'"], 'base-uri': ["'self'"],
          },
        },
        referrerPolicy: { policy: 'same-origin' },
        crossOriginEmbedderPolicy: false,
      });
      await web.register(fastifyStatic, {
        root: [path.join(FRONTEND_DIR, 'assets'), FRONTEND_DIR, PUBLIC_DIR],
        prefix: '/assets/',
        index: false,
        list: false,
        allowedPath: (pathName) => ASSET_FILES.test(pathName),
        maxAge: 3_600_000,
      });
      web.addHook('onSend', async (req, reply, payload) => {
        // Pages may hold personal data: never kept by the browser or a proxy.
        if (!req.url.startsWith('/assets/')) reply.header('cache-control', 'no-store');
        return payload;
      });
      web.setErrorHandler(async (err, req, reply) => {
        req.log.error({ code: (err as { code?: string }).code }, 'web page failed');
        // The audit could not be written: nothing was shown (fail closed), and it is worth trying again.
        const auditDown = err instanceof AuditUnavailableError;
        const status = auditDown ? 503 : typeof (err as { statusCode?: number }).statusCode === 'number' && (err as { statusCode: number }).statusCode < 500
          ? (err as { statusCode: number }).statusCode : 500;
        return sendPage(reply, status, page({ title: 'Sorry, there is a problem with the service' }, html`
          <h1>Sorry, there is a problem with the service</h1>
          <p>Try again later. Nothing was shown or changed.</p>
          <p><a href="/">Go to the start page</a></p>`));
      });

      const guard: Guard = (roles, handler) => async (req, reply) => {
        const found = await lookUpSession(ctx, req);
        if (!found.ok) {
          if (found.reason === 'needs-code') return reply.redirect('/sign-in/code', 303);
          return reply.redirect(found.reason === 'none' ? '/sign-in' : `/sign-in?reason=${found.reason}`, 303);
        }
        const s = found.signedIn;
        if (roles !== 'any' && !roles.includes(s.user.role)) {
          return sendPage(reply, 403, page({ title: 'You cannot use this page', user: pageUser(ctx, s) }, html`
            <h1>You cannot use this page</h1><p>Your role does not give access to this page.</p><p><a href="/">Go to your start page</a></p>`));
        }
        if (req.method === 'POST' && !csrfOk(s, req)) {
          return sendPage(reply, 403, page({ title: 'This form has expired', user: pageUser(ctx, s) }, html`
            <h1>This form has expired</h1><p>Nothing was changed. Go back, refresh the page and try again.</p>`));
        }
        return handler(req, reply, s);
      };

      registerAuthRoutes(web, ctx, guard, options);
      registerClinicalRoutes(web, ctx, guard);
      registerObjectionRoutes(web, ctx, guard);
      registerAdminRoutes(web, ctx, guard, { feedLateAfterHours: options.feedLateAfterHours ?? 24 });
      registerAuditRoutes(web, ctx, guard);
      registerRightsRoutes(web, ctx, guard);
      registerStatisticsRoutes(web, ctx, guard);
    });
  };
}

export type { WebContext };
