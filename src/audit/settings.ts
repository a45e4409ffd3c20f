/**
 * Audit settings: how often the chain is checkpointed, how long events are kept, and which Ed25519
 * key signs checkpoints. A configured key (OHC_AUDIT_SIGNING_KEY_FILE) is for production, where
 * the key should live outside the database it vouches for; without one, the embedded default is a
 * key generated on first use and kept in server_secrets. Every key that signs is registered
 * (public half) in audit_keys so its checkpoints stay verifiable after a key change.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { ConfigError } from '../config/config.ts';
import { serverSecret } from '../store/secrets.ts';
import type { Tables } from '../store/tables.ts';
import { generateCheckpointKeys, type CheckpointSigner } from './chain/index.ts';

export interface AuditSettings {
  /** A signed checkpoint after every this many events (0: none). */
  checkpointEvery: number;
  /** Events older than this many days may be purged. */
  retentionDays: number;
  /** A configured signing key; absent: the embedded default kept in server_secrets. */
  signer?: AuditSigner;
}

/** A signer with its key parsed once and its public half ready to register. */
export interface AuditSigner extends CheckpointSigner {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export const DEFAULT_AUDIT_SETTINGS: Readonly<AuditSettings> = Object.freeze({
  checkpointEvery: 10_000,
  // Eight years: the NHS records management code's minimum for audit trails of the record.
  retentionDays: 8 * 366,
});

const EMBEDDED_KEY_SECRET = 'audit-checkpoint-ed25519';

let current: AuditSettings = { ...DEFAULT_AUDIT_SETTINGS };

/** Set once at start-up (from auditSettingsFromEnv); tests may set and restore it. */
export function configureAudit(settings: Partial<AuditSettings>): AuditSettings {
  current = { ...current, ...settings };
  return current;
}

export function auditSettings(): AuditSettings {
  return current;
}

/** A signer from a PEM private key; the key id defaults to a fingerprint of the public key. */
export function auditSignerFromPem(privateKeyPem: string, keyId?: string): AuditSigner {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key is not an Ed25519 private key');
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const id = keyId ?? `audit-${createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16)}`;
  return { keyId: id, privateKey, publicKeyPem };
}

type Env = Record<string, string | undefined>;

/**
 * OHC_AUDIT_CHECKPOINT_EVERY (events, default 10000), OHC_AUDIT_RETENTION_DAYS (default 2928),
 * OHC_AUDIT_SIGNING_KEY_FILE (PEM Ed25519 private key) and OHC_AUDIT_SIGNING_KEY_ID.
 */
export function auditSettingsFromEnv(env: Env = process.env, cwd: string = process.cwd()): AuditSettings {
  const settings: AuditSettings = {
    checkpointEvery: whole(env, 'OHC_AUDIT_CHECKPOINT_EVERY', DEFAULT_AUDIT_SETTINGS.checkpointEvery, 0, 10_000_000, '10000'),
    retentionDays: whole(env, 'OHC_AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_SETTINGS.retentionDays, 1, 36_600, '2928'),
  };
  const file = env.OHC_AUDIT_SIGNING_KEY_FILE?.trim();
  if (file) {
    let pem: string;
    try {
      pem = readFileSync(path.resolve(cwd, file), 'utf8');
    } catch {
      throw new ConfigError('OHC_AUDIT_SIGNING_KEY_FILE', 'cannot be read', '/etc/ohc/audit-ed25519.pem');
    }
    try {
      settings.signer = auditSignerFromPem(pem, env.OHC_AUDIT_SIGNING_KEY_ID?.trim() || undefined);
    } catch {
      throw new ConfigError('OHC_AUDIT_SIGNING_KEY_FILE', 'is not a PEM Ed25519 private key', '/etc/ohc/audit-ed25519.pem');
    }
  }
  return settings;
}

function whole(env: Env, name: string, fallback: number, min: number, max: number, example: string): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`, example);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}..${max}`, example);
  return n;
}

// Parsed embedded keys by their stored text: the secret is read per checkpoint, parsed once.
const parsed = new Map<string, AuditSigner>();

/**
 * The signer to use now, registered in audit_keys. Call with the transaction's handle when inside
 * one. Racing first starts agree on one embedded key (serverSecret: the first insert wins).
 */
export async function checkpointSigner(db: Kysely<Tables>, settings: AuditSettings = current): Promise<AuditSigner> {
  let signer = settings.signer;
  if (!signer) {
    const stored = await serverSecret(db, EMBEDDED_KEY_SECRET, () => {
      const keys = generateCheckpointKeys('pending');
      return JSON.stringify({ privateKeyPem: keys.privateKeyPem });
    });
    signer = parsed.get(stored);
    if (!signer) {
      const { privateKeyPem } = JSON.parse(stored) as { privateKeyPem: string };
      signer = auditSignerFromPem(privateKeyPem);
      parsed.set(stored, signer);
    }
  }
  await db
    .insertInto('audit_keys')
    .values({ key_id: signer.keyId, public_key_pem: signer.publicKeyPem })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
  return signer;
}

/** keyId → public key PEM of every key that has signed here. */
export async function storedPublicKeys(db: Kysely<Tables>): Promise<Record<string, string>> {
  const rows = await db.selectFrom('audit_keys').select(['key_id', 'public_key_pem']).execute();
  return Object.fromEntries(rows.map((r) => [r.key_id, r.public_key_pem]));
}
