/**
 * The audit events the FHIR read API writes: who, what, about whom, why and with what result —
 * resource references and parameter names, never search values or clinical content.
 */
import type { Decision, Purpose } from '../../access/policy/index.ts';
import type { AuditAction, AuditEventDraft, AuditPurpose, JsonObject } from '../../audit/chain/event.ts';
import type { FhirUser } from './deps.ts';

function auditPurpose(purpose: Purpose, decision: Decision): AuditPurpose {
  if (decision.allow && decision.relationship?.basis === 'declared' && decision.relationship.reason === 'emergency') return 'emergency-care';
  switch (purpose) {
    case 'direct-care-view':
    case 'search':
    case 'declare-relationship': return 'direct-care';
    case 'audit-read': return 'information-governance';
    case 'export':
    case 'handle-rights-case':
    case 'log-rights-request':
    case 'record-objection': return 'rights-request';
    default: return 'administration';
  }
}

export function auditDraft(args: {
  user: FhirUser; now: Date; action: AuditAction; decision: Decision; personId: string | null; route: string; details?: JsonObject;
}): AuditEventDraft {
  const { decision } = args;
  const details: JsonObject = { route: args.route, ...(args.details ?? {}) };
  if (!decision.allow) details.reason = decision.reason;
  if (decision.allow && decision.relationship) details.relationship = decision.relationship.basis;
  const review = decision.obligations.find((o) => o.type === 'flag-for-review');
  if (review && review.type === 'flag-for-review') details.flagForReview = [...review.reasons];
  return {
    time: args.now.toISOString(),
    actor: { kind: 'user', id: args.user.id, organisationOds: args.user.organisationOds, role: args.user.role },
    action: decision.allow ? args.action : 'access-denied',
    ...(args.personId ? { personId: args.personId } : {}),
    purpose: auditPurpose(decision.purpose, decision),
    outcome: decision.allow ? 'success' : 'denied',
    details,
  };
}
