/**
 * Test support for the FHIR routes: a small seeded county (three partners, two persons with records
 * from several sources, one opted out) and fake deps that use the real decide() with facts held in
 * memory, a token check against a fixed table, and an audit that records drafts (and can fail).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { decide, type DecisionPerson, type DecisionUser, type RelationshipFacts, type Role } from '../../access/policy/index.ts';
import { auditEventDraftProblems, type AuditEventDraft } from '../../audit/chain/event.ts';
import { testRangeNhsNumber } from '../../nhs/nhsNumber.ts';
import { seedRecord } from '../../record/testing.ts';
import { loadPerson } from '../../record/load.ts';
import { personsByNhsNumber } from '../../record/find.ts';
import type { FhirRouteDeps, FhirUser } from './deps.ts';
import { fhirRoutes } from './routes.ts';

export const NOW = new Date('2025-06-30T10:00:00Z');
export const NHS_ANN = testRangeNhsNumber(11);
export const NHS_OPTED_OUT = testRangeNhsNumber(12);
export const NHS_NOBODY = testRangeNhsNumber(13);
const SNOMED = 'http://snomed.info/sct';

export interface TestUser extends FhirUser { decisionUser: DecisionUser }

export function testUser(id: string, ods: string, kind: string, role: Role = 'clinician'): TestUser {
  return {
    id, organisationOds: ods, role,
    decisionUser: {
      id, role, status: 'active', trainingValidUntil: '2026-01-01', mfaSatisfied: true,
      registration: role === 'clinician' ? { body: 'GMC', number: '1234567' } : null,
      organisation: { ods, kind, isaMemberships: [{ from: '2024-04-01' }] },
    },
  };
}

/** Tokens of the fake authenticate. */
export const USERS: Readonly<Record<string, TestUser>> = {
  'gp-token': testUser('u-gp', 'GP1', 'gp-practice'),
  'acute-token': testUser('u-acute', 'RJE', 'acute'),
  'stranger-token': testUser('u-stranger', 'MPT', 'community'),
  'admin-token': testUser('u-admin', 'GP1', 'gp-practice', 'system-admin'),
};

export interface Seeded { ann: string; optedOut: string }

export async function seedCounty(db: Kysely<Tables>): Promise<Seeded> {
  const s = await seedRecord(db, {
    organisations: [
      { ods: 'GP1', name: 'Hill Surgery', kind: 'gp-practice' },
      { ods: 'RJE', name: 'University Hospitals of North Midlands NHS Trust', kind: 'acute' },
      { ods: 'SCC', name: 'Staffordshire County Council', kind: 'social-care' },
      { ods: 'MPT', name: 'Midlands Partnership NHS FT', kind: 'community' },
    ],
    feeds: [
      { id: 'gp1-fhir', ods: 'GP1', lastSuccessAt: new Date('2025-06-29T08:00:00Z') },
      { id: 'rje-hl7', ods: 'RJE', format: 'hl7v2', lastSuccessAt: new Date('2025-06-30T09:00:00Z') },
      { id: 'scc-csv', ods: 'SCC', format: 'csv', lastSuccessAt: new Date('2025-06-28T18:00:00Z') },
    ],
    persons: [
      {
        sourceRecords: [
          { feedId: 'gp1-fhir', localId: 'gp-ann', nhsNumber: NHS_ANN, verified: true, demographics: { family: 'Öztürk', given: ['Ann'], birthDate: '1950-02-03', sex: 'female', postcode: 'ST4 1AA', addressLines: ['1 High Street'], gpPracticeOds: 'GP1' } },
          { feedId: 'rje-hl7', localId: 'H100', nhsNumber: NHS_ANN, demographics: { family: 'Ozturk', given: ['Ann'], birthDate: '1950-02-03', phone: '01782 000000' } },
          { feedId: 'scc-csv', localId: 'SC-9', nhsNumber: NHS_ANN, demographics: { family: 'Ozturk', given: ['Ann'], birthDate: '1950-02-03' } },
        ],
        resources: [
          { feedId: 'gp1-fhir', sourceId: 'gp-ann', resource: { resourceType: 'Patient', id: 'gp-ann', contact: [{ relationship: [{ text: 'Next of kin' }], name: { text: 'Bob Ozturk' }, telecom: [{ system: 'phone', value: '07700 900001' }] }] } },
          { feedId: 'gp1-fhir', resource: { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/gp-ann' }, code: { coding: [{ system: SNOMED, code: '44054006', display: 'Type 2 diabetes mellitus' }] }, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }], onsetDateTime: '2015-04-01', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, meta: { lastUpdated: '2025-03-01T09:00:00Z', versionId: '7' } } },
          { feedId: 'rje-hl7', resource: { resourceType: 'Condition', id: 'hc1', subject: { type: 'Patient', identifier: { system: 'urn:ohc:local:rje-hl7', value: 'H100' } }, code: { coding: [{ system: SNOMED, code: '44054006', display: 'Diabetes type 2' }] }, onsetDateTime: '2016-01-10' }, sourceVersion: '2025-06-01T12:00:00Z' },
          { feedId: 'gp1-fhir', resource: { resourceType: 'Condition', id: 'c2', subject: { reference: 'Patient/gp-ann' }, code: { coding: [{ system: SNOMED, code: '195967001', display: 'Asthma' }] }, onsetDateTime: '1990-01-01', abatementDateTime: '2000-01-01', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] } } },
          { feedId: 'gp1-fhir', resource: { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/gp-ann' }, code: { coding: [{ system: SNOMED, code: '91936005', display: 'Penicillin allergy' }] }, category: ['medication'], recordedDate: '2001-05-05' } },
          { feedId: 'gp1-fhir', resource: { resourceType: 'MedicationStatement', id: 'm1', subject: { reference: 'Patient/gp-ann' }, status: 'active', medicationCodeableConcept: { coding: [{ system: 'https://dmd.nhs.uk', code: '325278002', display: 'Metformin 500mg tablets' }] }, effectivePeriod: { start: '2015-04-02' } } },
          { feedId: 'rje-hl7', resource: { resourceType: 'Encounter', id: 'v1', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' }, subject: { type: 'Patient', identifier: { system: 'urn:ohc:local:rje-hl7', value: 'H100' } }, period: { start: '2025-05-01T10:00:00Z', end: '2025-05-04T12:00:00Z' }, serviceProvider: { type: 'Organization', identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RJE' } } }, sourceVersion: '2025-05-04T12:00:00Z' },
          { feedId: 'rje-hl7', resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }] }, subject: { type: 'Patient', identifier: { system: 'urn:ohc:local:rje-hl7', value: 'H100' } }, effectiveDateTime: '2025-05-02T08:00:00Z', valueQuantity: { value: 54, unit: 'mmol/mol' } } },
          { feedId: 'rje-hl7', resource: { resourceType: 'DiagnosticReport', id: 'r1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'HbA1c' }] }, subject: { type: 'Patient', identifier: { system: 'urn:ohc:local:rje-hl7', value: 'H100' } }, effectiveDateTime: '2025-05-02T08:00:00Z', result: [{ reference: 'Observation/o1' }] } },
          { feedId: 'rje-hl7', resource: { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ system: SNOMED, code: '8098009', display: 'Sexually transmitted infectious disease' }] }, subject: { type: 'Patient', identifier: { system: 'urn:ohc:local:rje-hl7', value: 'H100' } }, effectiveDateTime: '2024-01-01' }, sensitiveCategories: ['sexual-health'] },
          { feedId: 'scc-csv', resource: { resourceType: 'EpisodeOfCare', id: 'i1', status: 'active', type: [{ text: 'Adult social care' }], patient: { identifier: { system: 'urn:ohc:local:scc-csv', value: 'SC-9' } }, period: { start: '2024-09-01' } } },
          { feedId: 'gp1-fhir', resource: { resourceType: 'Immunization', id: 'im1', status: 'completed', vaccineCode: { coding: [{ system: SNOMED, code: '1', display: 'Influenza vaccine' }] }, patient: { reference: 'Patient/gp-ann' }, occurrenceDateTime: '2024-10-01' } },
          { feedId: 'gp1-fhir', resource: { resourceType: 'Condition', id: 'gone', subject: { reference: 'Patient/gp-ann' }, code: { text: 'Removed at source' } }, deleted: true },
        ],
      },
      {
        sourceRecords: [{ feedId: 'gp1-fhir', localId: 'gp-opt', nhsNumber: NHS_OPTED_OUT, demographics: { family: 'Hidden', given: ['Olive'], birthDate: '1960-06-06' } }],
        resources: [{ feedId: 'gp1-fhir', resource: { resourceType: 'Condition', id: 'x1', subject: { reference: 'Patient/gp-opt' }, code: { text: 'Something' } } }],
      },
    ],
  });
  return { ann: s.personIds[0]!, optedOut: s.personIds[1]! };
}

export interface FakeDeps {
  deps: FhirRouteDeps<TestUser>;
  audits: AuditEventDraft[];
  /** Make the next audits fail. */
  failAudit: { on: boolean };
  facts: Map<string, DecisionPerson>;
  declarations: { personId: string; reason: string; detail: string }[];
}

/**
 * Ann: registered at GP1; in hospital at RJE last month; opted-out person registered at GP1 too.
 * `alongside`: the deps also offer decideAndLoad and findByNhsNumberAndDecide (the record read with
 * the decision, as the production read path does), so the routes can be tested on both paths.
 */
export function fakeDeps(db: Kysely<Tables>, seeded: Seeded, opts: { alongside?: boolean } = {}): FakeDeps {
  const audits: AuditEventDraft[] = [];
  const failAudit = { on: false };
  const declarations: FakeDeps['declarations'] = [];
  const annFacts: RelationshipFacts = {
    gpRegistrations: [{ ods: 'GP1', from: '2010-01-01' }],
    involvements: [{ kind: 'admission', ods: 'RJE', start: '2025-05-01', end: '2025-05-04', status: 'finished' }],
  };
  const facts = new Map<string, DecisionPerson>([
    [seeded.ann, { exists: true, optedOut: false, facts: annFacts, restriction: null }],
    [seeded.optedOut, { exists: true, optedOut: true, facts: { gpRegistrations: [{ ods: 'GP1' }] } }],
  ]);
  const deps: FhirRouteDeps<TestUser> = {
    db,
    authenticate: (req) => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const user = m ? USERS[m[1]!] : undefined;
      return Promise.resolve(user ? { user } : { status: 401 as const });
    },
    decide: ({ user, personId, purpose, now }) => {
      const person = personId ? facts.get(personId) ?? { exists: false, optedOut: false } : null;
      const withDeclarations = person && personId ? {
        ...person,
        facts: { ...person.facts, declarations: declarations.filter((d) => d.personId === personId).map((d) => ({ userId: user.id, ods: user.organisationOds, reason: d.reason as 'emergency', detail: d.detail, declaredAt: NOW.toISOString() })) },
      } : person;
      return Promise.resolve(decide(user.decisionUser, withDeclarations, purpose, now));
    },
    ...(opts.alongside ? {
      async decideAndLoad(input) {
        const decision = await deps.decide(input);
        return { decision, loaded: decision.allow ? await loadPerson(db, input.personId, input.types ? { types: input.types } : {}) : null };
      },
      async findByNhsNumberAndDecide(input) {
        const candidates = await personsByNhsNumber(db, input.nhsNumber);
        if (candidates.length !== 1) return { candidates, only: null };
        const personId = candidates[0]!;
        return { candidates, only: { personId, ...(await deps.decideAndLoad!({ ...input, personId })) } };
      },
    } satisfies Partial<FhirRouteDeps<TestUser>> : {}),
    auditRead: async (draft) => {
      if (failAudit.on) throw new Error('audit store unavailable');
      const problems = auditEventDraftProblems(draft);
      if (problems.length > 0) throw new Error(`bad audit draft: ${problems.map((p) => p.message).join('; ')}`);
      await Promise.resolve();
      audits.push(draft);
    },
    audit: async (trx, draft) => {
      if (failAudit.on) throw new Error('audit store unavailable');
      const problems = auditEventDraftProblems(draft);
      if (problems.length > 0) throw new Error(`bad audit draft: ${problems.map((p) => p.message).join('; ')}`);
      // A write in the read's own transaction, as the real audit append does.
      await sql`select 1`.execute(trx);
      audits.push(draft);
    },
    declareRelationship: (_trx, input) => {
      declarations.push({ personId: input.personId, reason: input.reason, detail: input.detail });
      return Promise.resolve({ expiresAt: new Date(input.now.getTime() + 24 * 3600_000).toISOString() });
    },
    now: () => NOW,
  };
  return { deps, audits, failAudit, facts, declarations };
}

export async function buildApp(deps: FhirRouteDeps<TestUser>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await fhirRoutes(deps)(app);
  await app.ready();
  return app;
}
