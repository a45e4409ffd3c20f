/**
 * User accounts: who may sign in, for which organisation, in which role, with which professional
 * registration and training date. The only module that writes the users table; every change is
 * audited in the same transaction. Also turns a stored user into the DecisionUser decide() reads.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuditActor } from '../audit/chain/index.ts';
import type { Tables, UsersTable } from '../store/tables.ts';
import { isIsoDate } from '../registry/organisation.ts';
import {
  checkPassword, DEFAULT_REGISTRATION_BODIES, DEFAULT_ROLES, isRole, normaliseRegisterBody, parseRegistration,
  type DecisionUser, type RegisterBody, type Registration, type Role,
} from './policy/index.ts';
import { AccessError } from './errors.ts';
import { auditTime, inTransaction, type AuditSink } from './audit.ts';
import { hashPassword } from './passwords.ts';
import { newTotpSecret, totpUri } from './totp.ts';
import { resolveAccessOptions, type AccessOptions } from './options.ts';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}$/;

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  organisationOds: string;
  role: Role;
  registration: { body: string; number: string } | null;
  trainingValidUntil: string | null;
  status: 'active' | 'suspended';
  /** Set while the account is locked after repeated failed sign-ins. */
  lockedUntil: Date | null;
  totpEnrolled: boolean;
  passwordSet: boolean;
  systemWideIg: boolean;
  /** The OpenID Connect issuer this account signs in through, if any. */
  oidcIssuer: string | null;
  lastSignInAt: Date | null;
  createdAt: Date;
}

export function userFromRow(r: Selectable<UsersTable>): UserRecord {
  return {
    id: r.id, username: r.username, name: r.name, organisationOds: r.organisation_ods, role: r.role as Role,
    registration: r.registration_body && r.registration_number ? { body: r.registration_body, number: r.registration_number } : null,
    trainingValidUntil: r.training_valid_until, status: r.status, lockedUntil: r.locked_until,
    totpEnrolled: r.totp_secret !== null, passwordSet: r.password_hash !== null, systemWideIg: r.system_wide_ig,
    oidcIssuer: r.oidc_issuer, lastSignInAt: r.last_sign_in_at, createdAt: r.created_at,
  };
}

export interface NewUser {
  username: string;
  name: string;
  organisationOds: string;
  role: string;
  /** `BODY:NUMBER`, as `--registration` takes it, or already split. */
  registration?: string | Registration | null;
  trainingValidUntil?: string | null;
  password?: string | null;
  enrolTotp?: boolean;
  systemWideIg?: boolean;
  /** Accounts created by OpenID Connect sign-in. */
  oidc?: { issuer: string; subject: string };
}

export function normaliseUsername(input: string): string {
  return input.trim().toLowerCase();
}

export function checkUsername(input: string): string {
  const username = normaliseUsername(input);
  if (!USERNAME_PATTERN.test(username)) {
    throw new AccessError('invalid-username', 'A username is 2 to 63 letters, digits, dots, hyphens or underscores, starting with a letter or digit', 'username');
  }
  return username;
}

function checkName(input: string): string {
  const name = input.trim().replace(/\s+/g, ' ');
  if (name.length === 0 || [...name].length > 200) throw new AccessError('invalid-name', 'The name must be 1 to 200 characters', 'name');
  return name;
}

function checkRole(input: string): Role {
  const role = input.trim();
  if (!isRole(role)) throw new AccessError('unknown-role', `The role must be one of ${Object.keys(DEFAULT_ROLES).join(', ')}`, 'role');
  return role;
}

function checkTrainingDate(input: string | null | undefined, where = 'training-until'): string | null {
  if (input === undefined || input === null || input.trim() === '') return null;
  if (!isIsoDate(input.trim())) throw new AccessError('invalid-date', 'The training date must be a date written YYYY-MM-DD', where);
  return input.trim();
}

/** Validates a registration for a role: well formed, and on a register the role's profession uses. */
export function checkRegistrationFor(role: Role, input: string | Registration | null | undefined): { body: RegisterBody; number: string } | null {
  const empty = input === undefined || input === null || (typeof input === 'string' && input.trim() === '');
  if (empty) {
    if (DEFAULT_ROLES[role].requiresRegistration) {
      throw new AccessError('registration-required', `A ${role} must have a professional registration, written BODY:NUMBER (for example GMC:1234567)`, 'registration');
    }
    return null;
  }
  const check = typeof input === 'string' ? parseRegistration(input) : parseRegistration(`${input.body}:${input.number}`);
  if (!check.ok) throw new AccessError('invalid-registration', check.message, 'registration');
  const allowed = DEFAULT_REGISTRATION_BODIES[role];
  if (allowed && !allowed.includes(check.body)) {
    throw new AccessError('wrong-register-for-role', `A ${role} is registered with one of ${allowed.join(', ')}`, 'registration');
  }
  return { body: check.body, number: check.number };
}

async function checkOrganisation(db: Kysely<Tables>, input: string): Promise<string> {
  const ods = input.trim().toUpperCase();
  const org = await db.selectFrom('organisations').select('ods_code').where('ods_code', '=', ods).executeTakeFirst();
  if (!org) throw new AccessError('unknown-organisation', 'The organisation is not in the partner registry: add it with ohc orgs add first', 'org');
  return ods;
}

function checkNewPassword(password: string, username: string, name: string): void {
  const check = checkPassword(password, { username, displayName: name });
  if (!check.ok) throw new AccessError('weak-password', check.message, 'password');
}

export interface AddedUser { user: UserRecord; totpUri: string | null }

/** Creates an account. Throws AccessError naming the first problem with the input. */
export async function addUser(
  db: Kysely<Tables>, input: NewUser, now: Date, audit: AuditSink, actor: AuditActor, options: AccessOptions = {},
): Promise<AddedUser> {
  const o = resolveAccessOptions(options);
  const username = checkUsername(input.username);
  const name = checkName(input.name);
  const role = checkRole(input.role);
  const registration = checkRegistrationFor(role, input.registration);
  const training = checkTrainingDate(input.trainingValidUntil);
  if (input.password !== undefined && input.password !== null) checkNewPassword(input.password, username, name);
  const passwordHash = input.password ? await hashPassword(input.password, o.scrypt) : null;
  const totpSecret = input.enrolTotp ? newTotpSecret() : null;
  return inTransaction(db, async (trx) => {
    const ods = await checkOrganisation(trx, input.organisationOds);
    const row = await trx.insertInto('users').values({
      username, name, organisation_ods: ods, role,
      registration_body: registration?.body ?? null, registration_number: registration?.number ?? null,
      training_valid_until: training, system_wide_ig: input.systemWideIg ?? false,
      password_hash: passwordHash, totp_secret: totpSecret, totp_last_step: null,
      last_failed_at: null, locked_until: null, last_sign_in_at: null,
      oidc_issuer: input.oidc?.issuer ?? null, oidc_subject: input.oidc?.subject ?? null,
      created_at: now, updated_at: now,
    }).onConflict((oc) => oc.column('username').doNothing()).returningAll().executeTakeFirst();
    if (!row) throw new AccessError('duplicate-username', 'That username is already taken', 'username');
    await audit(trx, {
      time: auditTime(now), actor, action: 'user-changed', purpose: 'administration', outcome: 'success',
      details: { change: 'created', userId: row.id, username, organisationOds: ods, role, totpEnrolled: totpSecret !== null },
    });
    return { user: userFromRow(row), totpUri: totpSecret ? totpUri(o.totpIssuer, username, totpSecret) : null };
  });
}

export async function listUsers(db: Kysely<Tables>, filter: { organisationOds?: string } = {}): Promise<UserRecord[]> {
  let q = db.selectFrom('users').selectAll();
  if (filter.organisationOds) q = q.where('organisation_ods', '=', filter.organisationOds.trim().toUpperCase());
  return (await q.orderBy('organisation_ods').orderBy('username').execute()).map(userFromRow);
}

export async function findUser(db: Kysely<Tables>, username: string): Promise<UserRecord | null> {
  const r = await db.selectFrom('users').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
  return r ? userFromRow(r) : null;
}

export async function findUserById(db: Kysely<Tables>, id: string): Promise<UserRecord | null> {
  const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? userFromRow(r) : null;
}

async function lockedRow(trx: Kysely<Tables>, username: string): Promise<Selectable<UsersTable>> {
  const row = await trx.selectFrom('users').selectAll().where('username', '=', normaliseUsername(username)).forUpdate().executeTakeFirst();
  if (!row) throw new AccessError('unknown-user', 'There is no user with that username', 'username');
  return row;
}

type Change = 'suspended' | 'reinstated' | 'training-updated' | 'registration-updated' | 'unlocked' | 'password-set' | 'totp-enrolled';

async function changeUser(
  db: Kysely<Tables>, username: string, now: Date, audit: AuditSink, actor: AuditActor, change: Change,
  apply: (row: Selectable<UsersTable>, trx: Kysely<Tables>) => Promise<Record<string, string | number | boolean | null>>,
): Promise<UserRecord> {
  return inTransaction(db, async (trx) => {
    const row = await lockedRow(trx, username);
    const details = await apply(row, trx);
    const updated = await trx.selectFrom('users').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    await audit(trx, {
      time: auditTime(now), actor, action: 'user-changed', purpose: 'administration', outcome: 'success',
      details: { change, userId: row.id, username: row.username, ...details },
    });
    return userFromRow(updated);
  });
}

/** Suspends an account and ends its open sessions at once. */
export function suspendUser(db: Kysely<Tables>, username: string, now: Date, audit: AuditSink, actor: AuditActor): Promise<UserRecord> {
  return changeUser(db, username, now, audit, actor, 'suspended', async (row, trx) => {
    if (row.status === 'suspended') throw new AccessError('already-suspended', 'That account is already suspended', 'username');
    await trx.updateTable('users').set({ status: 'suspended', updated_at: now }).where('id', '=', row.id).execute();
    const ended = await trx.updateTable('sessions').set({ ended_at: now, end_reason: 'user-suspended' })
      .where('user_id', '=', row.id).where('ended_at', 'is', null).executeTakeFirst();
    return { sessionsEnded: Number(ended.numUpdatedRows) };
  });
}

export function reinstateUser(db: Kysely<Tables>, username: string, now: Date, audit: AuditSink, actor: AuditActor): Promise<UserRecord> {
  return changeUser(db, username, now, audit, actor, 'reinstated', async (row, trx) => {
    if (row.status !== 'suspended') throw new AccessError('not-suspended', 'That account is not suspended', 'username');
    await trx.updateTable('users').set({ status: 'active', updated_at: now }).where('id', '=', row.id).execute();
    return {};
  });
}

/** Records the last day the user's annual data security training counts. */
export async function setTraining(db: Kysely<Tables>, username: string, until: string, now: Date, audit: AuditSink, actor: AuditActor): Promise<UserRecord> {
  const date = checkTrainingDate(until, 'until');
  if (date === null) throw new AccessError('invalid-date', 'The training date must be a date written YYYY-MM-DD', 'until');
  return changeUser(db, username, now, audit, actor, 'training-updated', async (row, trx) => {
    await trx.updateTable('users').set({ training_valid_until: date, updated_at: now }).where('id', '=', row.id).execute();
    return { trainingValidUntil: date };
  });
}

export function setRegistration(db: Kysely<Tables>, username: string, registration: string, now: Date, audit: AuditSink, actor: AuditActor): Promise<UserRecord> {
  return changeUser(db, username, now, audit, actor, 'registration-updated', async (row, trx) => {
    const r = checkRegistrationFor(row.role as Role, registration);
    await trx.updateTable('users').set({ registration_body: r?.body ?? null, registration_number: r?.number ?? null, updated_at: now }).where('id', '=', row.id).execute();
    return { registrationBody: r?.body ?? null };
  });
}

/** Ends a lock after failed sign-ins before it runs out. */
export function unlockUser(db: Kysely<Tables>, username: string, now: Date, audit: AuditSink, actor: AuditActor): Promise<UserRecord> {
  return changeUser(db, username, now, audit, actor, 'unlocked', async (row, trx) => {
    await trx.updateTable('users').set({ locked_until: null, failed_attempts: 0, last_failed_at: null, updated_at: now }).where('id', '=', row.id).execute();
    return {};
  });
}

export async function setPassword(
  db: Kysely<Tables>, username: string, password: string, now: Date, audit: AuditSink, actor: AuditActor, options: AccessOptions = {},
): Promise<UserRecord> {
  const o = resolveAccessOptions(options);
  const existing = await findUser(db, username);
  if (!existing) throw new AccessError('unknown-user', 'There is no user with that username', 'username');
  checkNewPassword(password, existing.username, existing.name);
  const hash = await hashPassword(password, o.scrypt);
  return changeUser(db, username, now, audit, actor, 'password-set', async (row, trx) => {
    await trx.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', row.id).execute();
    return {};
  });
}

/** Enrols (or with `replace`, re-enrols) a TOTP second factor; returns the otpauth:// URI to show once. */
export async function enrolTotp(
  db: Kysely<Tables>, username: string, now: Date, audit: AuditSink, actor: AuditActor, opts: { replace?: boolean } & AccessOptions = {},
): Promise<string> {
  const o = resolveAccessOptions(opts);
  const secret = newTotpSecret();
  const user = await changeUser(db, username, now, audit, actor, 'totp-enrolled', async (row, trx) => {
    if (row.totp_secret !== null && !opts.replace) {
      throw new AccessError('totp-already-enrolled', 'That account already has an authenticator app enrolled', 'username');
    }
    await trx.updateTable('users').set({ totp_secret: secret, totp_last_step: null, updated_at: now }).where('id', '=', row.id).execute();
    return { replaced: row.totp_secret !== null };
  });
  return totpUri(o.totpIssuer, user.username, secret);
}

/**
 * What decide() needs of a stored user, as stored: the users row joined to its organisation. A
 * row, not a decision: whatever depends on the clock (a lock's end, the training date) is worked
 * out from it at each use (decisionUserFromRow), so a row may be kept while neither table changes
 * (src/access/userCache.ts).
 */
export interface DecisionUserRow {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly status: 'active' | 'suspended';
  readonly lockedUntil: Date | null;
  readonly trainingValidUntil: string | null;
  readonly registrationBody: string | null;
  readonly registrationNumber: string | null;
  readonly systemWideIg: boolean;
  readonly organisation: { readonly ods: string; readonly kind: string; readonly isaFrom: string | null; readonly isaTo: string | null };
}

/** The columns of users and organisations a DecisionUserRow is made of (one statement, joined). */
export const DECISION_USER_COLUMNS = [
  'users.id', 'users.username', 'users.role', 'users.status', 'users.locked_until', 'users.training_valid_until',
  'users.registration_body', 'users.registration_number', 'users.system_wide_ig',
  'organisations.ods_code', 'organisations.kind', 'organisations.isa_from', 'organisations.isa_to',
] as const;

interface DecisionUserColumns {
  id: string; username: string; role: string; status: 'active' | 'suspended'; locked_until: Date | null; training_valid_until: string | null;
  registration_body: string | null; registration_number: string | null; system_wide_ig: boolean;
  ods_code: string; kind: string; isa_from: string | null; isa_to: string | null;
}

export function decisionUserRow(r: DecisionUserColumns): DecisionUserRow {
  return {
    id: r.id, username: r.username, role: r.role, status: r.status, lockedUntil: r.locked_until, trainingValidUntil: r.training_valid_until,
    registrationBody: r.registration_body, registrationNumber: r.registration_number, systemWideIg: r.system_wide_ig,
    organisation: { ods: r.ods_code, kind: r.kind, isaFrom: r.isa_from, isaTo: r.isa_to },
  };
}

/** By id (a session) or by username (a bearer token): one statement either way. */
export async function loadDecisionUserRow(db: Kysely<Tables>, userId: string | { username: string }): Promise<DecisionUserRow | null> {
  const r = await db.selectFrom('users').innerJoin('organisations', 'organisations.ods_code', 'users.organisation_ods')
    .select(DECISION_USER_COLUMNS)
    .where(typeof userId === 'string' ? 'users.id' : 'users.username', '=', typeof userId === 'string' ? userId : userId.username).executeTakeFirst();
  return r ? decisionUserRow(r) : null;
}

/**
 * The user as decide() sees them at `now`: their organisation's kind and agreement dates from the
 * partner registry, and `locked` while a lock from failed sign-ins lasts. Pure: the clock is read
 * here, on every request, never when the row was loaded.
 */
export function decisionUserFromRow(r: DecisionUserRow, session: { mfaSatisfied: boolean }, now: Date): DecisionUser {
  const locked = r.lockedUntil !== null && r.lockedUntil.getTime() > now.getTime();
  const body = r.registrationBody ? normaliseRegisterBody(r.registrationBody) ?? r.registrationBody : null;
  return {
    id: r.id,
    organisation: { ods: r.organisation.ods, kind: r.organisation.kind, isaMemberships: r.organisation.isaFrom ? [{ from: r.organisation.isaFrom, to: r.organisation.isaTo }] : [] },
    role: r.role as Role,
    status: r.status === 'suspended' ? 'suspended' : locked ? 'locked' : 'active',
    trainingValidUntil: r.trainingValidUntil,
    registration: body && r.registrationNumber ? { body, number: r.registrationNumber } : null,
    mfaSatisfied: session.mfaSatisfied,
    systemWideIg: r.systemWideIg,
  };
}

/** The user as decide() sees them at `now`, read afresh (see loadDecisionUserRow, decisionUserFromRow). */
export async function loadDecisionUser(db: Kysely<Tables>, userId: string | { username: string }, session: { mfaSatisfied: boolean }, now: Date): Promise<DecisionUser | null> {
  const r = await loadDecisionUserRow(db, userId);
  return r ? decisionUserFromRow(r, session, now) : null;
}
