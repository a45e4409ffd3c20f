/**
 * What the FHIR routes need from the rest of the system, injected by whoever wires the server:
 * authentication, the access decision (with the person's facts loaded), the audit append, the
 * declaration store, the clock and the database. The routes hold no policy of their own.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import type { Decision, DeclarationReason, Purpose } from '../../access/policy/index.ts';
import type { AuditEventDraft } from '../../audit/chain/event.ts';
import type { LoadedPerson } from '../../record/load.ts';

/** The signed-in user as far as the routes need to know: for the audit's actor. */
export interface FhirUser {
  readonly id: string;
  readonly organisationOds: string;
  readonly role: string;
}

export type Authentication<U extends FhirUser> = { readonly user: U } | { readonly status: 401; readonly message?: string };

export interface FhirRouteDeps<U extends FhirUser = FhirUser> {
  /** The database the routes read from. */
  readonly db: Kysely<Tables>;
  /** Bearer token → user. Anything but a valid user token is `{ status: 401 }`. */
  authenticate(req: FastifyRequest): Promise<Authentication<U>>;
  /**
   * access.decide for this user, person and purpose: loads the person's access facts (existence,
   * objection, restriction, relationships, deceased) and the user's DecisionUser, then calls decide().
   * `personId` null means no such person (decide answers person-not-found after the user checks).
   * An id may also be one that is no current person (unknown, or merged into another): its facts
   * must then say the person does not exist, and the routes follow the merge and ask again.
   */
  decide(input: { user: U; personId: string | null; purpose: Purpose; now: Date }): Promise<Decision>;
  /**
   * Optional: decide() for a person id together with the person's stored record (resources of
   * `types`, every type when absent), read in the same round trip. `loaded` may be null even when
   * the decision allows (the routes then read the record themselves), and must be null when it
   * refuses. Without it the routes call decide() and then read the record.
   */
  decideAndLoad?(input: { user: U; personId: string; purpose: Purpose; now: Date; types?: readonly string[] }): Promise<{ decision: Decision; loaded: LoadedPerson | null }>;
  /**
   * Optional: the current persons an NHS number names (sorted; [] for an invalid number) and, when
   * it names exactly one, decideAndLoad's answer about that person, all in one round trip. `only`
   * is null otherwise (the routes then decide on each person apart).
   */
  findByNhsNumberAndDecide?(input: { user: U; nhsNumber: string; purpose: Purpose; now: Date; types?: readonly string[] }):
    Promise<{ candidates: string[]; only: { personId: string; decision: Decision; loaded: LoadedPerson | null } | null }>;
  /**
   * Audits a read (or a refusal): resolves once the event is committed, and only then may the
   * answer be sent. If it throws, the answer is 503 with no data.
   */
  auditRead(draft: AuditEventDraft): Promise<void>;
  /** Appends one audit event inside `trx`, with the write it records. If it throws, the write is rolled back and answered 503. */
  audit(trx: Kysely<Tables>, draft: AuditEventDraft): Promise<void>;
  /** Stores a declared relationship inside `trx`; returns when it expires (ISO 8601). */
  declareRelationship(trx: Kysely<Tables>, input: { user: U; personId: string; reason: DeclarationReason; detail: string; now: Date }): Promise<{ expiresAt: string }>;
  now(): Date;
  /** For the CapabilityStatement. */
  readonly software?: { readonly name: string; readonly version: string };
}
