import { describe, expect, it } from 'vitest';
import { issueToken, verifyToken } from './tokens.ts';

const key = new Uint8Array(32).fill(7);
const now = new Date('2026-01-01T10:00:00Z');

describe('API tokens', () => {
  it.each([
    [{ kind: 'user', username: 'dr.patel' } as const],
    [{ kind: 'feed', feedId: 'rje-pas' } as const],
  ])('round-trips %j', async (subject) => {
    const t = await issueToken(key, subject, now, 600);
    expect(await verifyToken(key, t, new Date(now.getTime() + 599_000))).toMatchObject({ ok: true, subject });
  });
  it('refuses an expired token, another key and a tampered token', async () => {
    const t = await issueToken(key, { kind: 'feed', feedId: 'x1' }, now, 60);
    expect(await verifyToken(key, t, new Date(now.getTime() + 61_000))).toEqual({ ok: false, reason: 'expired' });
    expect(await verifyToken(new Uint8Array(32).fill(8), t, now)).toEqual({ ok: false, reason: 'invalid' });
    const [h, p, s] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'other' })).toString('base64url');
    expect(await verifyToken(key, `${h}.${forged}.${s}`, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyToken(key, 'not a token', now)).toEqual({ ok: false, reason: 'invalid' });
  });
});
