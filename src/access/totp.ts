/**
 * The TOTP second factor (RFC 6238: 30-second steps, 6 digits, SHA-1, as every authenticator app
 * supports). A code is accepted one step either side of now for clock drift, and only for a step
 * later than the last one accepted, so a code seen over a shoulder cannot be used again.
 */
import { generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(issuer: string, username: string, secret: string): string {
  return generateURI({ issuer, label: username, secret, period: TOTP_PERIOD_SECONDS, digits: 6, algorithm: 'sha1' });
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' };

/** Checks `code` at `now`; `lastStep` is the step of the last code accepted for this user. */
export async function checkTotp(secret: string, code: string, now: Date, lastStep: number | null): Promise<TotpCheck> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return { ok: false, reason: 'malformed' };
  const epoch = Math.floor(now.getTime() / 1000);
  const result = await verify({ secret, token, epoch, period: TOTP_PERIOD_SECONDS, epochTolerance: TOTP_PERIOD_SECONDS });
  if (!result.valid) return { ok: false, reason: 'wrong' };
  const step = 'timeStep' in result ? result.timeStep : Math.floor(epoch / TOTP_PERIOD_SECONDS) + result.delta;
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step };
}
