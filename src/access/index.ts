/**
 * Identity and access: accounts, sign-in (password + TOTP, or OpenID Connect), sessions, the facts
 * decide() needs about a person, declared relationships, the objection register and restrictions.
 * The pure policy (decide() and its rules) is in policy/; bearer tokens in tokens.ts.
 */
export * from './policy/index.ts';
export { AccessError, type AccessErrorCode } from './errors.ts';
export { CLI_ACTOR, userActor, type AuditSink, type ActingUser } from './audit.ts';
export { resolveAccessOptions, decideOptions, VIEWING_ROLES, DEFAULT_SCRYPT, type AccessOptions, type ScryptParams } from './options.ts';
export { hashPassword, verifyPassword, needsRehash } from './passwords.ts';
export { checkTotp, totpUri, newTotpSecret, type TotpCheck } from './totp.ts';
export {
  addUser, listUsers, findUser, findUserById, suspendUser, reinstateUser, setTraining, setRegistration, unlockUser, setPassword,
  enrolTotp, loadDecisionUser, checkRegistrationFor, type NewUser, type UserRecord, type AddedUser,
} from './users.ts';
export { signInWithPassword, confirmSecondFactor, afterFailure, type PasswordSignIn, type SecondFactor, type SecondFactorResult } from './authenticate.ts';
export { createSession, touchSession, endSession, csrfMatches, hashSessionId, type NewSession, type LiveSession, type SessionCheck } from './sessions.ts';
export { openOidcProvider, beginOidcSignIn, completeOidcSignIn, type OidcSettings, type OidcProvider, type PendingOidcSignIn, type OidcSignIn } from './oidc.ts';
export { mapRoleClaims, parseRoleRules, type RoleRule, type ClaimMapping, type MappedRole } from './claimMapping.ts';
export { loadAccessFacts, factsFromRows, restrictionFrom, type AccessFactsUser, type FactRow } from './facts.ts';
export { declareRelationship, declarationsForReview, declarationsForPerson, reviewDeclaration, type Declaration, type DeclaringUser } from './declarations.ts';
export { recordObjection, withdrawObjection, objectionHistory, isObjecting, OBJECTION_CHANNELS, type ObjectionEvent, type ObjectionRequest } from './objections.ts';
export { addRestriction, liftRestriction, restrictionHistory, type Restriction, type NewRestriction } from './restrictions.ts';
