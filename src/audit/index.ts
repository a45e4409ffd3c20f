/**
 * The audit capability's public face: append events in the caller's transaction (fail closed),
 * verify the stored chain, query it (by person, actor, organisation, time; who viewed my record),
 * purge past retention, keep monthly partitions ahead, and the FHIR AuditEvent mapping.
 * Other folders use these functions, never the audit tables.
 */
export {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  AUDIT_PURPOSES,
  ACTOR_KINDS,
  toFhirAuditEvent,
  whoViewed,
  verifyCheckpoint,
  type AuditAction,
  type AuditActor,
  type AuditCheckpoint,
  type AuditEvent,
  type AuditEventDraft,
  type AuditOutcome,
  type AuditPurpose,
  type FhirAuditEvent,
  type FhirAuditOptions,
  type WhoViewedEntry,
  type WhoViewedOptions,
  type ChainProblem,
  type FirstBad,
} from './chain/index.ts';
export { appendAudit, appendAuditMany, checkpointNow, AuditUnavailableError, type AppendOptions, type AuditUnavailableCode } from './log.ts';
export { AuditGroupCommit } from './groupCommit.ts';
export { verifyStoredAudit, type StoredVerifyOptions, type StoredVerifyResult } from './verifyStored.ts';
export {
  queryAudit, listAudit, whoViewedPage, whoViewedMyRecord, personIdsForNhsNumber, AuditQueryError,
  type AuditQuery, type AuditPage, type AuditListing, type WhoViewedPage, type WhoViewedQueryOptions,
} from './query.ts';
export { purgeAudit, retentionCutoff, AuditPurgeError, type PurgeOptions, type PurgeResult } from './retention.ts';
export { ensureAuditPartitions, listAuditPartitions, type AuditPartition } from './partitions.ts';
export {
  configureAudit,
  auditSettings,
  auditSettingsFromEnv,
  auditSignerFromPem,
  checkpointSigner,
  storedPublicKeys,
  DEFAULT_AUDIT_SETTINGS,
  type AuditSettings,
  type AuditSigner,
} from './settings.ts';
export { auditAppRoleSql } from './roles.ts';
