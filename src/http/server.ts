/**
 * The HTTP edge: builds the Fastify app from the capabilities' route plugins. No business rules
 * here — each route authenticates, parses, calls one use case and renders its answer.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Database } from '../store/db.ts';
import type { Config } from '../config/config.ts';

export interface HttpDeps {
  database: Database;
  config: Config;
  /** Time is injected so tests are deterministic. */
  now: () => Date;
}

const registeredRoutes = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** The routes registered on an app built by buildHttpServer. */
export function routesOf(app: FastifyInstance): Array<{ method: string; url: string }> {
  return [...(registeredRoutes.get(app) ?? [])];
}

export type RoutePlugin = (app: FastifyInstance, deps: HttpDeps) => Promise<void> | void;

export async function buildHttpServer(deps: HttpDeps, plugins: RoutePlugin[] = []): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.config.logLevel === 'silent' ? false : {
      level: deps.config.logLevel,
      // Request lines carry method, route and status only: URLs may hold search terms, never logged.
      serializers: { req: (req: { method: string; routeOptions?: { url?: string } }) => ({ method: req.method, route: req.routeOptions?.url }) },
    },
    bodyLimit: deps.config.maxMessageBytes,
  });
  // Every route the app serves, so a test can prove each clinical one decides and audits.
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  registeredRoutes.set(app, routes);
  app.get('/healthz', async () => ({ status: 'ok' }));
  for (const plugin of plugins) await plugin(app, deps);
  return app;
}
