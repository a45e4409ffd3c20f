/**
 * The pure core of the audit log: event model, canonical JSON, hash chain, signed checkpoints,
 * the streaming verifier, the FHIR AuditEvent mapping and the person's "who viewed my record".
 */
export * from './event.ts';
export { canonicalJson, canonicalJsonWithout, CanonicalJsonError } from './canonical.ts';
export { auditEventHash, chainNext, chainMany, chainCheckedDrafts, canonicalParts, chainedEvent, headOf, type CanonicalParts, sha256Hex, AuditChainError } from './hash.ts';
export {
  signCheckpoint,
  verifyCheckpoint,
  purgeBoundaryCheckpoint,
  checkpointPayload,
  checkpointDraft,
  checkpointAsJson,
  isCheckpointShape,
  generateCheckpointKeys,
  checkpointKeysFromSeed,
  CheckpointError,
  type AuditCheckpoint,
  type CheckpointKeys,
  type CheckpointSigner,
  type CheckpointVerdict,
  type KeyInput,
  type PublicKeySet,
} from './checkpoint.ts';
export { verifyChain, verifyChainSync, ChainVerifier, type ChainLink, type ChainProblem, type FirstBad, type VerifyOptions, type VerifyResult } from './verify.ts';
export { toFhirAuditEvent, ODS_ORGANISATION_SYSTEM, type FhirAuditEvent, type FhirAuditOptions } from './fhirAuditEvent.ts';
export { whoViewed, whoViewedEntry, type WhoViewedEntry, type WhoViewedOptions, type WhoViewedActivity } from './whoViewed.ts';
