import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkpointKeysFromSeed,
  checkpointPayload,
  CheckpointError,
  generateCheckpointKeys,
  purgeBoundaryCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  type AuditCheckpoint,
} from './checkpoint.ts';
import { headOf } from './hash.ts';
import { sampleLog } from './testLog.ts';
import { verifyChainSync } from './verify.ts';

const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const keys = checkpointKeysFromSeed('audit-2025', seed(7));
const otherKeys = checkpointKeysFromSeed('audit-2025', seed(8));
const signer = { keyId: keys.keyId, privateKey: keys.privateKeyPem };
const trusted = { [keys.keyId]: keys.publicKeyPem };
const log = sampleLog(20);
const head = headOf(log);
const time = '2025-06-01T00:00:00.000Z';

describe('checkpoints', () => {
  it('signs canonical {seq, hash, time, keyId} and verifies with the public key', () => {
    const cp = signCheckpoint(head, time, signer);
    expect(cp).toMatchObject({ seq: 20, hash: head.hash, time, keyId: 'audit-2025' });
    expect(checkpointPayload(cp)).toBe(`{"hash":"${head.hash}","keyId":"audit-2025","seq":20,"time":"${time}"}`);
    expect(verifyCheckpoint(cp, trusted)).toEqual({ ok: true });
  });

  it('is deterministic for a seeded key (Ed25519 signatures are)', () => {
    expect(checkpointKeysFromSeed('k', seed(7)).publicKeyPem).toBe(keys.publicKeyPem);
    expect(signCheckpoint(head, time, signer).signature).toBe(signCheckpoint(head, time, signer).signature);
  });

  it('accepts keys as PEM, JWK or KeyObject', () => {
    const jwkSigner = { keyId: keys.keyId, privateKey: createPrivateKey(keys.privateKeyPem).export({ format: 'jwk' }) };
    const cp = signCheckpoint(head, time, jwkSigner);
    expect(verifyCheckpoint(cp, { [keys.keyId]: keys.publicKeyJwk })).toEqual({ ok: true });
    expect(verifyCheckpoint(cp, new Map([[keys.keyId, createPrivateKey(keys.privateKeyPem)]]))).toEqual({ ok: true });
  });

  const good = signCheckpoint(head, time, signer);
  it.each<[string, unknown, string]>([
    ['a changed hash', { ...good, hash: 'a'.repeat(64) }, 'bad-signature'],
    ['a changed seq', { ...good, seq: 21 }, 'bad-signature'],
    ['a changed time', { ...good, time: '2025-06-01T00:00:00.001Z' }, 'bad-signature'],
    ['a flipped signature bit', { ...good, signature: flip(good.signature) }, 'bad-signature'],
    ['a truncated signature', { ...good, signature: good.signature.slice(0, 40) }, 'bad-signature'],
    ['a signature by another key under the trusted keyId', signCheckpoint(head, time, { keyId: keys.keyId, privateKey: otherKeys.privateKeyPem }), 'bad-signature'],
    ['an untrusted keyId', { ...good, keyId: 'someone-else' }, 'unknown-key'],
    ['no signature', { ...good, signature: '' }, 'malformed'],
    ['a non-hex hash', { ...good, hash: 'Z'.repeat(64) }, 'malformed'],
  ])('rejects a forged checkpoint: %s', (_name, forged, problem) => {
    const verdict = verifyCheckpoint(forged, trusted);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? undefined : verdict.problem).toBe(problem);
  });

  it('rejects everything when no keys are trusted', () => {
    expect(verifyCheckpoint(good, undefined)).toMatchObject({ ok: false, problem: 'unknown-key' });
  });

  it('refuses to sign with a non-Ed25519 key, a bad time or a bad head', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signCheckpoint(head, time, { keyId: 'k', privateKey: rsa })).toThrow(CheckpointError);
    expect(() => signCheckpoint(head, '2025-06-01', signer)).toThrow(CheckpointError);
    expect(() => signCheckpoint({ seq: 1, hash: 'nope' }, time, signer)).toThrow(CheckpointError);
    expect(() => checkpointKeysFromSeed('k', new Uint8Array(31))).toThrow(CheckpointError);
  });

  it('generates keys through an injected generator', () => {
    let calls = 0;
    const generated = generateCheckpointKeys('fresh', () => {
      calls++;
      return generateKeyPairSync('ed25519');
    });
    expect(calls).toBe(1);
    expect(generated.publicKeyJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'fresh' });
    const cp = signCheckpoint(head, time, { keyId: 'fresh', privateKey: generated.privateKeyPem });
    expect(verifyCheckpoint(cp, { fresh: generated.publicKeyPem })).toEqual({ ok: true });
  });
});

describe('retention purge boundary', () => {
  const lastPurged = log[9] as (typeof log)[number];
  const boundary = purgeBoundaryCheckpoint(lastPurged, time, signer);
  const kept = log.slice(10);

  it('keeps the chain verifiable from the first kept event', () => {
    expect(boundary.seq).toBe(10);
    expect(verifyChainSync(kept, { startAfter: boundary, publicKeys: trusted })).toEqual({ ok: true, count: 10, lastSeq: 20, lastHash: head.hash });
  });

  it('names a forged boundary', () => {
    const forged: AuditCheckpoint = { ...boundary, hash: 'b'.repeat(64) };
    expect(verifyChainSync(kept, { startAfter: forged, publicKeys: trusted })).toMatchObject({
      ok: false,
      firstBad: { seq: 10, problem: 'bad-checkpoint-signature' },
    });
  });

  it('names kept events that do not follow the boundary', () => {
    const wrong = purgeBoundaryCheckpoint(log[8] as (typeof log)[number], time, signer);
    const result = verifyChainSync(log.slice(9), { startAfter: purgeBoundaryCheckpoint(lastPurged, time, signer), publicKeys: trusted });
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 10, problem: 'inserted' } });
    expect(verifyChainSync(kept, { startAfter: { ...wrong, seq: 10 }, publicKeys: trusted })).toMatchObject({
      ok: false,
      firstBad: { problem: 'bad-checkpoint-signature' },
    });
    expect(verifyChainSync(kept, { startAfter: { seq: 10, hash: 'c'.repeat(64) } })).toMatchObject({
      ok: false,
      firstBad: { seq: 11, problem: 'hash-mismatch' },
    });
  });
});

function flip(sig: string): string {
  const bytes = Buffer.from(sig, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return bytes.toString('base64url');
}
