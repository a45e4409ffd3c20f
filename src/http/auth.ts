/**
 * Bearer-token authentication for the API edges. No token → 401; a token of the wrong kind → 403
 * with an OperationOutcome. Reasons go to the client in plain words, never personal data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { verifyToken, type TokenSubject } from '../access/tokens.ts';
import { getFeed, type Feed } from '../ingest/feeds.ts';

export function operationOutcome(code: string, diagnostics: string, details?: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics, ...(details ? { details: { coding: [{ system: 'https://fhir.ohc.example/CodeSystem/access-reason', code: details }] } } : {}) }],
  };
}

export async function bearerSubject(req: FastifyRequest, reply: FastifyReply, key: Uint8Array, now: Date): Promise<TokenSubject | null> {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (!m) {
    await reply.code(401).header('www-authenticate', 'Bearer').type('application/fhir+json').send(operationOutcome('login', 'a bearer token is required (Authorization: Bearer …)'));
    return null;
  }
  const v = await verifyToken(key, m[1]!, now);
  if (!v.ok) {
    await reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').type('application/fhir+json')
      .send(operationOutcome('login', v.reason === 'expired' ? 'the token has expired; ask for a new one' : 'the token is not valid'));
    return null;
  }
  return v.subject;
}

/** The feed a request authenticates as, or null after answering 401/403. */
export async function authenticateFeed(req: FastifyRequest, reply: FastifyReply, db: Kysely<Tables>, key: Uint8Array, now: Date): Promise<Feed | null> {
  const subject = await bearerSubject(req, reply, key, now);
  if (!subject) return null;
  if (subject.kind !== 'feed') {
    await reply.code(403).type('application/fhir+json').send(operationOutcome('forbidden', 'only a feed token may send data to /ingest'));
    return null;
  }
  const feed = await getFeed(db, subject.feedId);
  if (!feed) {
    await reply.code(403).type('application/fhir+json').send(operationOutcome('forbidden', 'the feed of this token is not registered'));
    return null;
  }
  return feed;
}
