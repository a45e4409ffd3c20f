import { describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

const secret = newTotpSecret();
const T = Date.UTC(2025, 5, 15, 10, 0, 0); // a step boundary: 1749981600 / 30
const at = (ms: number) => new Date(ms);
const codeAt = (ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });
const step = Math.floor(T / 30_000);

describe('TOTP', () => {
  it('makes an otpauth URI an authenticator app can read', () => {
    const uri = totpUri('One Health and Care', 'j.bloggs', secret);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    expect(new URL(uri).searchParams.get('issuer')).toBe('One Health and Care');
  });

  it.each([
    ['the current step', 0, { ok: true, step }],
    ['one step behind (slow phone clock)', -30_000, { ok: true, step: step - 1 }],
    ['one step ahead', 30_000, { ok: true, step: step + 1 }],
    ['two steps behind', -60_000, { ok: false, reason: 'wrong' }],
    ['two steps ahead', 60_000, { ok: false, reason: 'wrong' }],
  ])('a code from %s', async (_name, offset, expected) => {
    expect(await checkTotp(secret, await codeAt(T + offset), at(T + 5_000), null)).toEqual(expected);
  });

  it('refuses a code for a step already used, and an earlier one', async () => {
    const code = await codeAt(T);
    expect(await checkTotp(secret, code, at(T), step)).toEqual({ ok: false, reason: 'replayed' });
    expect(await checkTotp(secret, await codeAt(T - 30_000), at(T), step)).toEqual({ ok: false, reason: 'replayed' });
    expect(await checkTotp(secret, await codeAt(T + 30_000), at(T), step)).toEqual({ ok: true, step: step + 1 });
  });

  it.each([['letters', 'abcdef'], ['five digits', '12345'], ['empty', '']])('refuses a malformed code (%s)', async (_n, code) => {
    expect(await checkTotp(secret, code, at(T), null)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts a code typed with a space in the middle', async () => {
    const code = await codeAt(T);
    expect((await checkTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, at(T), null)).ok).toBe(true);
  });
});
