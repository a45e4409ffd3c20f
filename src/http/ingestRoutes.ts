/**
 * The ingestion edge over HTTP: POST /ingest/hl7v2 (ACKs), /ingest/fhir (batch-response Bundle or
 * OperationOutcome), /ingest/csv (a per-row report). Each authenticates a feed, checks the body
 * format matches the feed, and hands the body to ingest/receive.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpDeps } from './server.ts';
import { authenticateFeed, operationOutcome } from './auth.ts';
import { tokenKey } from '../access/tokens.ts';
import { receiveHl7Text } from '../ingest/receive/hl7v2.ts';
import { receiveFhirBundle } from '../ingest/receive/fhir.ts';
import { receiveCsv } from '../ingest/receive/csv.ts';
import type { Feed } from '../ingest/feeds.ts';
import type { InboxItem } from '../ingest/inbox.ts';

export interface IngestHooks {
  stored(): void;
  store?: (item: InboxItem, at: Date) => Promise<boolean>;
  /** False when the workers run in other processes (see Hl7ReceiveOptions.keepMappings). */
  keepMappings?: boolean;
}

async function wrongFormat(reply: FastifyReply, feed: Feed, route: string): Promise<void> {
  await reply.code(403).type('application/fhir+json').send(operationOutcome('forbidden', `feed ${feed.id} sends ${feed.format}, not to ${route}`));
}

export function ingestRoutes(hooks: IngestHooks) {
  return async (app: FastifyInstance, deps: HttpDeps): Promise<void> => {
    const db = deps.database.db;
    const key = await tokenKey(db);
    // Bodies arrive as raw bytes whatever their declared type; each route decodes its own format.
    app.addContentTypeParser(['text/csv', 'application/hl7-v2', 'x-application/hl7-v2+er7', 'text/plain', 'application/fhir+json', 'application/octet-stream'],
      { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      if (req.url.startsWith('/ingest/')) return done(null, body);
      try {
        done(null, (body as Buffer).length === 0 ? undefined : JSON.parse((body as Buffer).toString('utf8')));
      } catch (e) {
        done(e as Error, undefined);
      }
    });

    app.post('/ingest/hl7v2', async (req, reply) => {
      const now = deps.now();
      const feed = await authenticateFeed(req, reply, db, key, now);
      if (!feed) return reply;
      if (feed.format !== 'hl7v2') return wrongFormat(reply, feed, '/ingest/hl7v2');
      const receipts = await receiveHl7Text(db, bodyText(req.body), now, { asFeed: feed, ...(hooks.store ? { store: hooks.store } : {}), ...(hooks.keepMappings === false ? { keepMappings: false } : {}) });
      if (receipts.some((r) => r.stored)) hooks.stored();
      return reply.code(200).type('application/hl7-v2').send(receipts.map((r) => r.ack).join('\r\n'));
    });

    app.post('/ingest/fhir', async (req, reply) => {
      const now = deps.now();
      const feed = await authenticateFeed(req, reply, db, key, now);
      if (!feed) return reply;
      if (feed.format !== 'fhir') return wrongFormat(reply, feed, '/ingest/fhir');
      const r = await receiveFhirBundle(db, feed, bodyText(req.body), now);
      if (r.stored) hooks.stored();
      return reply.code(r.status).type('application/fhir+json').send(r.body);
    });

    app.post<{ Querystring: { asOf?: string; confirmRemovals?: string } }>('/ingest/csv', async (req, reply) => {
      const now = deps.now();
      const feed = await authenticateFeed(req, reply, db, key, now);
      if (!feed) return reply;
      if (feed.format !== 'csv') return wrongFormat(reply, feed, '/ingest/csv');
      const asOf = req.query.asOf;
      if (asOf !== undefined && Number.isNaN(Date.parse(asOf))) {
        return reply.code(400).type('application/fhir+json').send(operationOutcome('value', 'asOf must be an ISO date or date-time'));
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(bodyText(req.body), 'utf8');
      const report = await receiveCsv(db, feed, body, {
        ...(asOf ? { asOf: new Date(asOf).toISOString() } : {}),
        confirmRemovals: req.query.confirmRemovals === 'true',
        maxRemovalShare: deps.config.snapshotMaxRemovalShare,
      }, now);
      if (report.stored) hooks.stored();
      return reply.code(report.fileError ? 400 : 200).send(report);
    });
  };
}

function bodyText(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (typeof body === 'string') return body;
  return body === undefined || body === null ? '' : JSON.stringify(body);
}
