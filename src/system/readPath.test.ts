import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { issueToken } from '../access/tokens.ts';
import { VerifiedTokens } from './readPath.ts';

const T0 = new Date('2026-12-01T09:00:00Z');
const key = randomBytes(32);
const other = randomBytes(32);

describe('VerifiedTokens', () => {
  it('answers a token as verifyToken would, at every moment of its life', async () => {
    let now = T0;
    const cache = new VerifiedTokens(key, () => now);
    const token = await issueToken(key, { kind: 'user', username: 'dr.patel' }, T0, 60);
    const cases: Array<[offsetSeconds: number, expected: string]> = [[0, 'ok'], [30, 'ok'], [59, 'ok'], [60, 'expired'], [3600, 'expired']];
    for (const [offset, expected] of cases) {
      now = new Date(T0.getTime() + offset * 1000);
      const v = await cache.verify(token);
      expect(v.ok ? 'ok' : v.reason, `at +${offset} s`).toBe(expected);
    }
  });

  it('never remembers a token that failed: a forged or malformed one fails every time', async () => {
    const cache = new VerifiedTokens(key, () => T0);
    const forged = await issueToken(other, { kind: 'user', username: 'dr.patel' }, T0, 60);
    for (const token of [forged, forged, 'not-a-token', `${forged.slice(0, -2)}xx`]) {
      expect(await cache.verify(token)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('keeps at most its limit of tokens, dropping the oldest, and still verifies the dropped one', async () => {
    const cache = new VerifiedTokens(key, () => T0, 2);
    const tokens = await Promise.all(['a', 'b', 'c'].map((u) => issueToken(key, { kind: 'user', username: u }, T0, 60)));
    for (const t of tokens) expect((await cache.verify(t)).ok).toBe(true);
    const first = await cache.verify(tokens[0]!);
    expect(first.ok && first.subject).toEqual({ kind: 'user', username: 'a' });
  });
});
