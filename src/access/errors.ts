/**
 * The one error type the access capability throws for a refused request: a stable code for
 * callers and tests, a message fit to show the person who asked, and the input it is about.
 * Messages never contain the value that was wrong (it may be personal data or a password).
 */
export type AccessErrorCode =
  | 'invalid-username' | 'duplicate-username' | 'invalid-name' | 'unknown-organisation' | 'unknown-role'
  | 'invalid-registration' | 'registration-required' | 'wrong-register-for-role' | 'invalid-date' | 'weak-password'
  | 'unknown-user' | 'already-suspended' | 'not-suspended' | 'totp-already-enrolled'
  | 'invalid-nhs-number' | 'invalid-channel' | 'not-permitted' | 'already-objected' | 'not-objected'
  | 'unknown-person' | 'unknown-entry' | 'invalid-reason' | 'invalid-declaration' | 'unknown-restriction'
  | 'already-lifted' | 'unknown-declaration' | 'already-reviewed';

export class AccessError extends Error {
  constructor(public readonly code: AccessErrorCode, message: string, public readonly where: string) {
    super(message);
    this.name = 'AccessError';
  }
}
