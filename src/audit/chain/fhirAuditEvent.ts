/**
 * An audit event as a FHIR R4 AuditEvent, for `GET /fhir/AuditEvent` and exports to an
 * information governance team or a court. Event type and subtype use the DICOM audit codes and
 * HL7 RESTful interactions where one fits, plus our own action code (always present, so nothing is
 * lost in translation); purpose uses v3 PurposeOfUse; organisations carry their ODS code.
 * The chain fields (seq, hash, prevHash) travel as entity details so an export can be re-checked.
 */
import { canonicalJson } from './canonical.ts';
import type { AuditAction, AuditEvent, AuditOutcome, AuditPurpose } from './event.ts';

// The R4 AuditEvent elements we emit, declared here: the installed @types/fhir (3.0.2) has no
// `fhir/r4` module. Structurally compatible with the R4 types, so callers may widen to them.
export interface Coding { system?: string; code?: string; display?: string }
export interface CodeableConcept { coding?: Coding[]; text?: string }
export interface Identifier { system?: string; value?: string }
export interface Reference { reference?: string; type?: string; identifier?: Identifier; display?: string }
export interface AuditEventAgent { type?: CodeableConcept; role?: CodeableConcept[]; who?: Reference; requestor: boolean }
export interface AuditEventEntityDetail { type: string; valueString?: string }
export interface AuditEventEntity {
  what?: Reference;
  type?: Coding;
  role?: Coding;
  description?: string;
  detail?: AuditEventEntityDetail[];
}
export interface FhirAuditEvent {
  resourceType: 'AuditEvent';
  id?: string;
  type: Coding;
  subtype?: Coding[];
  action?: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome?: '0' | '4' | '8' | '12';
  outcomeDesc?: string;
  purposeOfEvent?: CodeableConcept[];
  agent: AuditEventAgent[];
  source: { site?: string; observer: Reference; type?: Coding[] };
  entity?: AuditEventEntity[];
}

export const ODS_ORGANISATION_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const PURPOSE_OF_USE = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

export interface FhirAuditOptions {
  /** Code system for our own action codes (a subtype on every event). */
  actionSystem?: string;
  /** Identifier systems for the actor kinds. */
  userIdSystem?: string;
  feedIdSystem?: string;
  systemIdSystem?: string;
  /** The system that observed and recorded the event. */
  observer?: { display: string; odsCode?: string };
}

type ResolvedOptions = Required<Omit<FhirAuditOptions, 'observer'>> & { observer: { display: string; odsCode?: string } };

const DEFAULTS: ResolvedOptions = {
  actionSystem: 'https://onehealthandcare.org.uk/CodeSystem/audit-action',
  userIdSystem: 'https://onehealthandcare.org.uk/Id/user',
  feedIdSystem: 'https://onehealthandcare.org.uk/Id/feed',
  systemIdSystem: 'https://onehealthandcare.org.uk/Id/system-job',
  observer: { display: 'One Health and Care' },
};

interface ActionMapping {
  type: Coding;
  subtype?: Coding;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const dcm = (code: string, display: string): Coding => ({ system: DCM, code, display });
const rest = (code: string, display: string): Coding => ({ system: RESTFUL, code, display });
const REST: Coding = { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'Restful Operation' };
const USER_AUTH = dcm('110114', 'User Authentication');
const SECURITY_ALERT = dcm('110113', 'Security Alert');
const AUDIT_LOG_USED = dcm('110101', 'Audit Log Used');

/** Every action maps: the Record type makes a new action code a compile error until mapped. */
const ACTIONS: Record<AuditAction, ActionMapping> = {
  'sign-in': { type: USER_AUTH, subtype: dcm('110122', 'Login'), action: 'E' },
  'sign-in-failed': { type: USER_AUTH, subtype: dcm('110122', 'Login'), action: 'E' },
  'sign-out': { type: USER_AUTH, subtype: dcm('110123', 'Logout'), action: 'E' },
  'token-issued': { type: USER_AUTH, action: 'E' },
  search: { type: dcm('110112', 'Query'), subtype: rest('search-type', 'search type'), action: 'E' },
  view: { type: REST, subtype: rest('read', 'read'), action: 'R' },
  export: { type: dcm('110106', 'Export'), action: 'R' },
  'declare-relationship': { type: REST, subtype: rest('create', 'create'), action: 'C' },
  'access-override': { type: SECURITY_ALERT, subtype: dcm('110127', 'Emergency Override Started'), action: 'E' },
  'access-denied': { type: SECURITY_ALERT, subtype: dcm('110132', 'Use of Restricted Function'), action: 'E' },
  'objection-recorded': { type: REST, subtype: rest('create', 'create'), action: 'C' },
  'objection-withdrawn': { type: REST, subtype: rest('update', 'update'), action: 'U' },
  'restriction-changed': { type: REST, subtype: rest('update', 'update'), action: 'U' },
  'rights-case-changed': { type: REST, subtype: rest('update', 'update'), action: 'U' },
  'alert-raised': { type: SECURITY_ALERT, action: 'C' },
  'alert-concluded': { type: SECURITY_ALERT, action: 'U' },
  'user-changed': { type: SECURITY_ALERT, subtype: dcm('110137', 'User Security Attributes Changed'), action: 'U' },
  'feed-changed': { type: SECURITY_ALERT, subtype: dcm('110129', 'Security Configuration'), action: 'U' },
  'organisation-changed': { type: SECURITY_ALERT, subtype: dcm('110129', 'Security Configuration'), action: 'U' },
  'mpi-link-changed': { type: dcm('110110', 'Patient Record'), action: 'U' },
  'dead-letter-replayed': { type: dcm('110107', 'Import'), action: 'E' },
  'audit-viewed': { type: AUDIT_LOG_USED, action: 'R' },
  // Aggregate counts over the whole record, about nobody in particular.
  'statistics-viewed': { type: dcm('110112', 'Query'), action: 'E' },
  'audit-purged': { type: AUDIT_LOG_USED, action: 'D' },
  checkpoint: { type: AUDIT_LOG_USED, action: 'E' },
};

const OUTCOMES: Record<AuditOutcome, '0' | '4' | '8'> = { success: '0', denied: '4', failure: '8' };

const PURPOSES: Record<AuditPurpose, { code: string; display: string; text: string }> = {
  'direct-care': { code: 'TREAT', display: 'treatment', text: 'Direct care' },
  'emergency-care': { code: 'ETREAT', display: 'Emergency Treatment', text: 'Emergency care' },
  administration: { code: 'HSYSADMIN', display: 'health system administration', text: 'System administration' },
  'information-governance': { code: 'HOPERAT', display: 'healthcare operations', text: 'Information governance' },
  'rights-request': { code: 'PATRQT', display: 'patient requested', text: 'Data protection rights request' },
  'person-access': { code: 'PATRQT', display: 'patient requested', text: "The person's own access" },
};

/** Maps one audit event; the result is valid against the FHIR R4 schema for every action. */
export function toFhirAuditEvent(event: AuditEvent, options: FhirAuditOptions = {}): FhirAuditEvent {
  const o: ResolvedOptions = { ...DEFAULTS, ...options };
  const mapping = ACTIONS[event.action];
  const subtype: Coding[] = [{ system: o.actionSystem, code: event.action }];
  if (mapping.subtype) subtype.unshift(mapping.subtype);

  const resource: FhirAuditEvent = {
    resourceType: 'AuditEvent',
    id: String(event.seq),
    type: mapping.type,
    subtype,
    action: mapping.action,
    recorded: event.time,
    outcome: OUTCOMES[event.outcome],
    agent: agents(event, o),
    source: {
      observer: o.observer.odsCode
        ? { display: o.observer.display, identifier: { system: ODS_ORGANISATION_SYSTEM, value: o.observer.odsCode } }
        : { display: o.observer.display },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
    entity: entities(event),
  };
  const reason = event.details.reason;
  if (typeof reason === 'string' && reason.length > 0) resource.outcomeDesc = reason;
  if (event.purpose) {
    const p = PURPOSES[event.purpose];
    resource.purposeOfEvent = [{ coding: [{ system: PURPOSE_OF_USE, code: p.code, display: p.display }], text: p.text }];
  }
  return resource;
}

function agents(event: AuditEvent, o: ResolvedOptions): AuditEventAgent[] {
  const actor = event.actor;
  const system = actor.kind === 'user' ? o.userIdSystem : actor.kind === 'feed' ? o.feedIdSystem : o.systemIdSystem;
  const who: AuditEventAgent = {
    who: { identifier: { system, value: actor.id }, ...(actor.kind === 'user' ? {} : { type: 'Device' }) },
    // The one who asked: a user, or the feed or job that did the work.
    requestor: true,
  };
  if (actor.role) who.role = [{ text: actor.role }];
  const list = [who];
  if (actor.organisationOds) {
    list.push({
      type: { coding: [{ system: PARTICIPATION, code: 'RESP', display: 'responsible party' }], text: 'Organisation the actor acted for' },
      who: { type: 'Organization', identifier: { system: ODS_ORGANISATION_SYSTEM, value: actor.organisationOds } },
      requestor: false,
    });
  }
  return list;
}

function entities(event: AuditEvent): AuditEventEntity[] {
  const list: AuditEventEntity[] = [];
  if (event.personId) {
    list.push({
      what: { reference: `Patient/${event.personId}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  const resources = event.details.resources;
  if (Array.isArray(resources)) {
    for (const r of resources) {
      if (typeof r === 'string' && /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(r)) {
        list.push({
          what: { reference: r },
          type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
          role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
        });
      }
    }
  }
  // Details and chain fields on one entity describing the act itself, every value as a string.
  const detail = Object.keys(event.details)
    .sort()
    .flatMap((key) => {
      const v = event.details[key];
      if (v === undefined) return [];
      return [{ type: key, valueString: typeof v === 'string' ? v : canonicalJson(v) }];
    });
  detail.push(
    { type: 'seq', valueString: String(event.seq) },
    { type: 'prevHash', valueString: event.prevHash },
    { type: 'hash', valueString: event.hash },
  );
  list.push({
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: event.action === 'search' ? { system: OBJECT_ROLE, code: '24', display: 'Query' } : { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
    description: 'audit event details',
    detail,
  });
  return list;
}
