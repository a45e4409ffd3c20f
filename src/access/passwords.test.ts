import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { TEST_SCRYPT } from './testing.ts';

describe('password hashes', () => {
  it('verifies the password it was made from and nothing else', async () => {
    const stored = await hashPassword('marmalade kettle orbit lantern', TEST_SCRYPT);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword(stored, 'marmalade kettle orbit lantern')).toBe(true);
    expect(await verifyPassword(stored, 'marmalade kettle orbit lanterns')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('salts each hash, so the same password hashes differently', async () => {
    const a = await hashPassword('same password twice', TEST_SCRYPT);
    const b = await hashPassword('same password twice', TEST_SCRYPT);
    expect(a).not.toBe(b);
    expect(await verifyPassword(b, 'same password twice')).toBe(true);
  });

  it('treats composed and decomposed accents as the same passphrase', async () => {
    const stored = await hashPassword('caf\u00e9 au lait matin', TEST_SCRYPT);
    expect(await verifyPassword(stored, 'cafe\u0301 au lait matin')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['another scheme', 'argon2id$v=19$m=65536$abc$def'],
    ['too few parts', 'scrypt$1024$8$1$c2FsdA'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['N absurdly large', 'scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['short key', 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0$AAAA'],
  ])('a malformed stored hash (%s) matches nothing', async (_name, stored) => {
    expect(await verifyPassword(stored, 'anything at all here')).toBe(false);
    expect(needsRehash(stored, TEST_SCRYPT)).toBe(true);
  });

  it('asks for a rehash when the cost was raised', async () => {
    const stored = await hashPassword('raise the cost later', TEST_SCRYPT);
    expect(needsRehash(stored, TEST_SCRYPT)).toBe(false);
    expect(needsRehash(stored, { ...TEST_SCRYPT, N: 2048 })).toBe(true);
  });
});
