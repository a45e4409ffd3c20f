/**
 * Configuration from environment variables, validated once at start-up. A bad value stops the
 * program with one line naming the variable, what is wrong and an example of a good value.
 * Defaults give the embedded single-machine setup (PGlite in ./.ohc).
 */
import path from 'node:path';

export interface Config {
  /** PostgreSQL server; when absent the embedded database in dataDir is used. */
  databaseUrl: string | null;
  dataDir: string;
  host: string;
  port: number;
  mllpPort: number;
  dbPoolSize: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest HL7 message accepted over MLLP or HTTP, in bytes. */
  maxMessageBytes: number;
  /** Close an MLLP connection idle this long, in ms. */
  mllpIdleTimeoutMs: number;
  /** How many inbox workers process stored messages in this process (or in each worker process). */
  ingestWorkers: number;
  /**
   * On PostgreSQL, how many separate processes run the inbox workers (each with `ingestWorkers`),
   * at a lower scheduling priority, so mapping and matching never hold up acknowledging senders;
   * 0 keeps them in the server's process. The embedded database always keeps them in-process.
   */
  ingestWorkerProcesses: number;
  /** Niceness added to those processes: higher gives acknowledging senders more of a busy CPU. */
  ingestWorkerNice: number;
  /**
   * While receiving keeps the server's event loop busy, those processes' workers take their next
   * batch only once senders have been quiet this long (in ms; at most a second later): storing and
   * acknowledging messages comes first. 0: the workers never wait for senders.
   */
  ingestWorkerGiveWayMs: number;
  /** A snapshot extract that would remove more than this share of a feed's rows needs confirmation. */
  snapshotMaxRemovalShare: number;
  /** TLS for the MLLP listener: both files, or neither. */
  mllpTls: { certFile: string; keyFile: string } | null;
  /** Sign-in and sessions (the access capability's options). */
  access: {
    mfaRequired: boolean;
    maxFailures: number;
    lockMinutes: number;
    sessionIdleMinutes: number;
    sessionAbsoluteHours: number;
    relationshipWindowDays: number;
  };
  /** OpenID Connect sign-in (for example NHS CIS2); null when not configured. */
  oidc: { issuer: string; clientId: string; clientSecret: string; redirectUri: string; scope: string; roleMap: string; label: string } | null;
}

export class ConfigError extends Error {
  constructor(public readonly variable: string, problem: string, example: string) {
    super(`${variable}: ${problem} (for example ${variable}=${example})`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number, example: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not a whole number`, example);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}..${max}`, example);
  return n;
}

function share(env: Env, name: string, fallback: number, example: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(name, `"${raw}" is not a share between 0 and 1`, example);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new ConfigError(name, `"${env[name]}" is not true or false`, String(fallback));
}

function oidcSettings(env: Env): Config['oidc'] {
  const issuer = env.OHC_OIDC_ISSUER?.trim();
  if (!issuer) return null;
  try {
    new URL(issuer);
  } catch {
    throw new ConfigError('OHC_OIDC_ISSUER', 'is not a URL', 'https://am.nhsidentity.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare');
  }
  const need = (name: string, example: string): string => {
    const v = env[name]?.trim();
    if (!v) throw new ConfigError(name, 'is needed when OHC_OIDC_ISSUER is set', example);
    return v;
  };
  return {
    issuer,
    clientId: need('OHC_OIDC_CLIENT_ID', 'ohc-web'),
    clientSecret: need('OHC_OIDC_CLIENT_SECRET', 'a-long-random-secret'),
    redirectUri: need('OHC_OIDC_REDIRECT_URI', 'https://ohc.example.nhs.uk/sign-in/oidc/callback'),
    roleMap: need('OHC_OIDC_ROLE_MAP', 'R8000=clinician,R8003=social-care-practitioner'),
    scope: env.OHC_OIDC_SCOPE?.trim() || 'openid profile',
    label: env.OHC_OIDC_LABEL?.trim() || 'Sign in with your organisation\'s account',
  };
}

function tlsFiles(env: Env, cwd: string): Config['mllpTls'] {
  const cert = env.OHC_MLLP_TLS_CERT?.trim();
  const key = env.OHC_MLLP_TLS_KEY?.trim();
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError('OHC_MLLP_TLS_CERT', 'is needed when OHC_MLLP_TLS_KEY is set', '/etc/ohc/mllp.crt');
  if (!key) throw new ConfigError('OHC_MLLP_TLS_KEY', 'is needed when OHC_MLLP_TLS_CERT is set', '/etc/ohc/mllp.key');
  return { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl !== null) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a URL', 'postgres://user@127.0.0.1:5432/ohc');
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      throw new ConfigError('DATABASE_URL', `scheme "${url.protocol}" is not postgres:`, 'postgres://user@127.0.0.1:5432/ohc');
    }
  }
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `"${env.LOG_LEVEL}" is not one of ${LOG_LEVELS.join(', ')}`, 'info');
  }
  const dataDir = path.resolve(cwd, env.OHC_DATA_DIR?.trim() || '.ohc');
  return {
    databaseUrl,
    dataDir,
    host: env.HOST?.trim() || '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535, '8080'),
    mllpPort: int(env, 'MLLP_PORT', 2575, 0, 65535, '2575'),
    dbPoolSize: int(env, 'OHC_DB_POOL_SIZE', 10, 1, 500, '10'),
    logLevel,
    maxMessageBytes: int(env, 'OHC_MAX_MESSAGE_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024, '16777216'),
    mllpIdleTimeoutMs: int(env, 'OHC_MLLP_IDLE_TIMEOUT_MS', 120_000, 1000, 86_400_000, '120000'),
    ingestWorkers: int(env, 'OHC_INGEST_WORKERS', 2, 1, 64, '2'),
    ingestWorkerProcesses: int(env, 'OHC_INGEST_WORKER_PROCESSES', 1, 0, 16, '1'),
    ingestWorkerNice: int(env, 'OHC_INGEST_WORKER_NICE', 10, 0, 19, '10'),
    ingestWorkerGiveWayMs: int(env, 'OHC_INGEST_WORKER_GIVE_WAY_MS', 2, 0, 1000, '2'),
    snapshotMaxRemovalShare: share(env, 'OHC_SNAPSHOT_MAX_REMOVAL_SHARE', 0.2, '0.2'),
    mllpTls: tlsFiles(env, cwd),
    access: {
      mfaRequired: bool(env, 'OHC_MFA_REQUIRED', true),
      maxFailures: int(env, 'OHC_LOCKOUT_MAX_FAILURES', 5, 1, 100, '5'),
      lockMinutes: int(env, 'OHC_LOCKOUT_MINUTES', 15, 1, 1440, '15'),
      sessionIdleMinutes: int(env, 'OHC_SESSION_IDLE_MINUTES', 30, 1, 1440, '30'),
      sessionAbsoluteHours: int(env, 'OHC_SESSION_ABSOLUTE_HOURS', 12, 1, 168, '12'),
      relationshipWindowDays: int(env, 'OHC_RELATIONSHIP_WINDOW_DAYS', 90, 1, 3650, '90'),
    },
    oidc: oidcSettings(env),
  };
}
