/**
 * Signed checkpoints: an Ed25519 signature over a chain head (seq, hash) at a time, by a named
 * key. A checkpoint published or stored apart from the log lets a verifier prove that the log
 * still reaches that head unchanged: a rewritten history (every hash recomputed) or a cut-off
 * tail no longer matches it. A retention purge leaves a checkpoint at the last purged event, so
 * the chain stays verifiable from the first kept event. Keys come in as PEM, JWK or KeyObject;
 * key generation is injected, and keys can be derived from a seed so tests are deterministic.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as edSign,
  verify as edVerify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import { isHex64, isIsoUtcMillis, type AuditEventDraft, type ChainHead, type JsonObject } from './event.ts';

export interface AuditCheckpoint {
  seq: number;
  hash: string;
  time: string;
  keyId: string;
  /** base64url Ed25519 signature over canonical({seq, hash, time, keyId}). */
  signature: string;
}

export type KeyInput = KeyObject | string | JsonWebKey;
export type PublicKeySet = ReadonlyMap<string, KeyInput> | Readonly<Record<string, KeyInput>>;

export interface CheckpointSigner {
  keyId: string;
  privateKey: KeyInput;
}

export interface CheckpointKeys {
  keyId: string;
  privateKeyPem: string;
  publicKeyPem: string;
  publicKeyJwk: JsonWebKey;
}

export type CheckpointVerdict =
  | { ok: true }
  | { ok: false; problem: 'malformed' | 'unknown-key' | 'bad-signature'; message: string };

export class CheckpointError extends Error {
  readonly code: 'invalid-head' | 'invalid-time' | 'invalid-key' | 'invalid-seed';
  readonly where: string;
  constructor(code: CheckpointError['code'], message: string, where: string) {
    super(message);
    this.name = 'CheckpointError';
    this.code = code;
    this.where = where;
  }
}

/** The exact bytes signed: the checkpoint without its signature, canonically. */
export function checkpointPayload(cp: Pick<AuditCheckpoint, 'seq' | 'hash' | 'time' | 'keyId'>): string {
  return canonicalJson({ seq: cp.seq, hash: cp.hash, time: cp.time, keyId: cp.keyId });
}

export function signCheckpoint(head: ChainHead, time: string, signer: CheckpointSigner): AuditCheckpoint {
  if (!Number.isSafeInteger(head.seq) || head.seq < 0 || !isHex64(head.hash)) {
    throw new CheckpointError('invalid-head', 'the head to checkpoint has no valid seq and hash', 'head');
  }
  if (!isIsoUtcMillis(time)) throw new CheckpointError('invalid-time', 'the checkpoint time is not an ISO 8601 UTC instant with milliseconds', 'time');
  if (signer.keyId.length === 0) throw new CheckpointError('invalid-key', 'the signing key has no keyId', 'keyId');
  const key = toPrivateKey(signer.privateKey);
  const body = { seq: head.seq, hash: head.hash, time, keyId: signer.keyId };
  const signature = edSign(null, Buffer.from(checkpointPayload(body), 'utf8'), key).toString('base64url');
  return { ...body, signature };
}

/**
 * The checkpoint a retention purge leaves behind: the head of the last purged event. Verifying
 * from it (`startAfter`) proves the kept log continues exactly where the purged part ended.
 */
export function purgeBoundaryCheckpoint(lastPurged: ChainHead, time: string, signer: CheckpointSigner): AuditCheckpoint {
  return signCheckpoint(lastPurged, time, signer);
}

export function verifyCheckpoint(cp: unknown, publicKeys: PublicKeySet | undefined): CheckpointVerdict {
  if (!isCheckpointShape(cp)) {
    return { ok: false, problem: 'malformed', message: 'the checkpoint lacks a valid seq, hash, time, keyId or signature' };
  }
  const keyInput = publicKeys === undefined ? undefined : lookup(publicKeys, cp.keyId);
  if (keyInput === undefined) {
    return { ok: false, problem: 'unknown-key', message: `the checkpoint at seq ${cp.seq} is signed by a key that is not trusted` };
  }
  let key: KeyObject;
  try {
    key = toPublicKey(keyInput);
  } catch {
    return { ok: false, problem: 'unknown-key', message: `the trusted key for the checkpoint at seq ${cp.seq} is not a usable Ed25519 public key` };
  }
  const signature = Buffer.from(cp.signature, 'base64url');
  let valid = false;
  try {
    valid = signature.length === 64 && edVerify(null, Buffer.from(checkpointPayload(cp), 'utf8'), key, signature);
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, problem: 'bad-signature', message: `the signature of the checkpoint at seq ${cp.seq} does not verify` };
}

export function isCheckpointShape(x: unknown): x is AuditCheckpoint {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return (
    typeof c.seq === 'number' &&
    Number.isSafeInteger(c.seq) &&
    c.seq >= 0 &&
    isHex64(c.hash) &&
    isIsoUtcMillis(c.time) &&
    typeof c.keyId === 'string' &&
    c.keyId.length > 0 &&
    typeof c.signature === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(c.signature)
  );
}

/**
 * A new key pair. `generate` is injected (default: node:crypto's Ed25519 generator) so a test or
 * a key ceremony can supply its own source.
 */
export function generateCheckpointKeys(
  keyId: string,
  generate: () => { publicKey: KeyObject; privateKey: KeyObject } = () => generateKeyPairSync('ed25519'),
): CheckpointKeys {
  const { privateKey } = generate();
  return keysFrom(keyId, privateKey);
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): fixed header, then the seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The key pair determined by a 32-byte seed: the same seed always gives the same keys. */
export function checkpointKeysFromSeed(keyId: string, seed: Uint8Array): CheckpointKeys {
  if (seed.length !== 32) throw new CheckpointError('invalid-seed', 'an Ed25519 seed is exactly 32 bytes', 'seed');
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return keysFrom(keyId, privateKey);
}

function keysFrom(keyId: string, privateKey: KeyObject): CheckpointKeys {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointError('invalid-key', 'checkpoint keys must be Ed25519', 'privateKey');
  const publicKey = createPublicKey(privateKey);
  return {
    keyId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyJwk: { ...publicKey.export({ format: 'jwk' }), kid: keyId },
  };
}

/**
 * The audit event that records a checkpoint inside the log itself. Contract: it is chained
 * immediately after the head it signs (same locked append), so the verifier can check it
 * against the event just before it without remembering older hashes.
 */
export function checkpointDraft(cp: AuditCheckpoint, actorId = 'audit-checkpoint'): AuditEventDraft {
  return {
    time: cp.time,
    actor: { kind: 'system', id: actorId },
    action: 'checkpoint',
    outcome: 'success',
    details: { checkpoint: checkpointAsJson(cp) },
  };
}

export function checkpointAsJson(cp: AuditCheckpoint): JsonObject {
  return { seq: cp.seq, hash: cp.hash, time: cp.time, keyId: cp.keyId, signature: cp.signature };
}

function lookup(keys: PublicKeySet, keyId: string): KeyInput | undefined {
  if (keys instanceof Map) return (keys as ReadonlyMap<string, KeyInput>).get(keyId);
  const rec = keys as Readonly<Record<string, KeyInput>>;
  return Object.prototype.hasOwnProperty.call(rec, keyId) ? rec[keyId] : undefined;
}

function isKeyObject(k: KeyInput): k is KeyObject {
  return typeof k === 'object' && 'asymmetricKeyType' in k && typeof (k as KeyObject).export === 'function';
}

function toPrivateKey(k: KeyInput): KeyObject {
  let key: KeyObject;
  try {
    key = isKeyObject(k) ? k : typeof k === 'string' ? createPrivateKey(k) : createPrivateKey({ key: k, format: 'jwk' });
  } catch {
    throw new CheckpointError('invalid-key', 'the signing key is not a readable private key', 'privateKey');
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new CheckpointError('invalid-key', 'the signing key is not an Ed25519 private key', 'privateKey');
  }
  return key;
}

function toPublicKey(k: KeyInput): KeyObject {
  const key = isKeyObject(k) ? k : typeof k === 'string' ? createPublicKey(k) : createPublicKey({ key: k, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new CheckpointError('invalid-key', 'not an Ed25519 key', 'publicKey');
  // A private KeyObject passed by mistake still verifies correctly via its public half.
  return key.type === 'private' ? createPublicKey(key) : key;
}
