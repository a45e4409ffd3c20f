/**
 * API bearer tokens: short-lived JWTs (HS256, jose) naming a user or a feed. Issued by
 * `ohc token` on the server host and by sign-in; verified on every API request.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { serverSecret } from '../store/secrets.ts';

export type TokenSubject = { kind: 'user'; username: string } | { kind: 'feed'; feedId: string };

const ISSUER = 'one-health-and-care';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export async function tokenKey(db: Kysely<Tables>): Promise<Uint8Array> {
  const hex = await serverSecret(db, 'api-token-hs256', () => randomBytes(32).toString('hex'));
  return Buffer.from(hex, 'hex');
}

export async function issueToken(key: Uint8Array, subject: TokenSubject, now: Date, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ kind: subject.kind })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(subject.kind === 'user' ? subject.username : subject.feedId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(randomBytes(8).toString('hex'))
    .sign(key);
}

export type VerifiedToken = { ok: true; subject: TokenSubject; expiresAt: Date } | { ok: false; reason: 'expired' | 'invalid' };

export async function verifyToken(key: Uint8Array, token: string, now: Date): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'], currentDate: now });
    const sub = payload.sub;
    const kind = payload.kind;
    if (typeof sub !== 'string' || (kind !== 'user' && kind !== 'feed')) return { ok: false, reason: 'invalid' };
    const subject: TokenSubject = kind === 'user' ? { kind, username: sub } : { kind, feedId: sub };
    return { ok: true, subject, expiresAt: new Date((payload.exp ?? 0) * 1000) };
  } catch (err) {
    return { ok: false, reason: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}
