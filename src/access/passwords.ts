/**
 * Password hashes: scrypt (node:crypto) with a random salt per password and the cost parameters
 * stored beside the hash, so the cost can be raised later without invalidating stored passwords.
 * Format: `scrypt$N$r$p$salt$hash`, salt and hash in base64url.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SCRYPT, type ScryptParams } from './options.ts';

const KEY_LENGTH = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // NFC so the same passphrase typed on two keyboards (composed or decomposed accents) matches.
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash { params: ScryptParams; salt: Buffer; key: Buffer }

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // Bounds keep a corrupted or hostile row from making the server allocate gigabytes.
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) return null;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || key.length !== KEY_LENGTH) return null;
  return { params: { N, r, p }, salt, key };
}

/** True when `password` matches `stored`; a malformed stored hash matches nothing. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** True when a stored hash was made with weaker parameters than `params` (rehash on next sign-in). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p;
}

const dummies = new Map<string, Promise<string>>();

/**
 * Spends the time a real verification would for a username that does not exist, so the time a
 * refusal takes does not tell an attacker which usernames are real.
 */
export async function burnVerification(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<void> {
  const k = `${params.N}:${params.r}:${params.p}`;
  let dummy = dummies.get(k);
  if (!dummy) {
    dummy = hashPassword(randomBytes(16).toString('hex'), params);
    dummies.set(k, dummy);
  }
  await verifyPassword(await dummy, password);
}
