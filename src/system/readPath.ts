/**
 * The read path's wiring, shared by the FHIR API and the web application: who the caller is (a
 * bearer token naming a user), the one access decision (the person's facts loaded, then decide()),
 * the audit of reads (group-committed before the answer) and of writes (in the write's
 * transaction), and relationship declarations.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import type { Config } from '../config/config.ts';
import { verifyToken, tokenKey, type VerifiedToken } from '../access/tokens.ts';
import { loadAccessFacts, declareRelationship, decideOptions } from '../access/index.ts';
import { decisionUserFromRow } from '../access/users.ts';
import { UserRowCache, watchUsers } from '../access/userCache.ts';
import { listenerOf } from '../store/db.ts';
import { decide, type DecisionUser, type Purpose, type Decision } from '../access/policy/index.ts';
import { appendAudit, AuditGroupCommit } from '../audit/index.ts';
import { loadPersonWithFacts, personsByNhsNumberWithFacts } from '../record/load.ts';
import type { AuditEventDraft } from '../audit/chain/index.ts';
import type { FhirRouteDeps, FhirUser } from '../http/fhir/deps.ts';

export interface ApiUser extends FhirUser { readonly decisionUser: DecisionUser }

export interface ReadPathDeps extends FhirRouteDeps<ApiUser> {
  /** The users rows kept for authenticate (src/access/userCache.ts). */
  readonly users: UserRowCache;
  /** Stops listening for changes to users (also stopped when the database is closed). */
  close(): Promise<void>;
}

export async function readPathDeps(db: Kysely<Tables>, config: Config, now: () => Date): Promise<ReadPathDeps> {
  const key = await tokenKey(db);
  // Who a token names is kept while the database reports no change to users or organisations;
  // with no way to listen (a handle not opened by src/store/db.ts) it is read on every request.
  const users = UserRowCache.reading(db);
  const listen = listenerOf(db);
  const watch = listen ? watchUsers(users, listen) : null;
  await watch?.ready;
  const options = decideOptions(config.access);
  const audit = async (trx: Kysely<Tables>, draft: AuditEventDraft) => void (await appendAudit(trx, draft));
  // Reads' audits: each committed before its answer, many reads' events to a transaction.
  const reads = new AuditGroupCommit(db);
  const tokens = new VerifiedTokens(key, now);
  const verified = (token: string) => tokens.verify(token);
  return {
    db,
    now,
    audit,
    auditRead: async (draft) => void (await reads.append(draft)),
    async authenticate(req: FastifyRequest) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m) return { status: 401, message: 'a bearer token is required (Authorization: Bearer …); ask for one with ohc token --user NAME' };
      const v = await verified(m[1]!);
      if (!v.ok) return { status: 401, message: v.reason === 'expired' ? 'the token has expired; ask for a new one' : 'the token is not valid' };
      if (v.subject.kind !== 'user') return { status: 401, message: 'a feed token cannot read the record' };
      // Tokens are issued on the server host by administrators (or after a full sign-in), so they
      // carry the second factor of the session that asked for them. The user's row comes from the
      // cache, which forgets it as soon as the database reports any change to users or
      // organisations, and is read afresh while nobody listens; the clock-dependent parts (lock,
      // training date) are decided here, per request. So a suspension or lapsed training takes
      // effect at once (the window that remains is described in src/access/userCache.ts).
      const row = await users.get({ username: v.subject.username });
      if (!row) return { status: 401, message: 'the token names no user' };
      const user = decisionUserFromRow(row, { mfaSatisfied: true }, now());
      return { user: { id: user.id, organisationOds: user.organisation.ods, role: user.role, decisionUser: user } };
    },
    async decide(input: { user: ApiUser; personId: string | null; purpose: Purpose; now: Date }): Promise<Decision> {
      const person = input.personId ? await loadAccessFacts(db, input.personId, input.user.decisionUser, input.now) : null;
      return decide(input.user.decisionUser, person ?? { exists: false, optedOut: false }, input.purpose, input.now, options);
    },
    async decideAndLoad(input) {
      // One statement for the facts and the record; the record is handed on only with an allowing
      // decision. Viewing the record needs a relationship: without facts one could come from, the
      // record is not even read (an allowing decision the screen did not foresee reads it apart).
      const onlyIfRelated = input.purpose === 'direct-care-view';
      const { person, loaded } = await loadPersonWithFacts(db, input.personId, input.user.decisionUser, input.now, { onlyIfRelated, ...(input.types ? { types: input.types } : {}) });
      const decision = decide(input.user.decisionUser, person, input.purpose, input.now, options);
      return { decision, loaded: decision.allow ? loaded : null };
    },
    async findByNhsNumberAndDecide(input) {
      const found = await personsByNhsNumberWithFacts(db, input.nhsNumber, input.user.decisionUser, input.now, input.types ? { types: input.types } : {});
      if (!found) return { candidates: [], only: null };
      if (!found.only) return { candidates: found.candidates, only: null };
      const { personId, person, loaded } = found.only;
      const decision = decide(input.user.decisionUser, person, input.purpose, input.now, options);
      return { candidates: found.candidates, only: { personId, decision, loaded: decision.allow ? loaded : null } };
    },
    async declareRelationship(trx, input) {
      const d = await declareRelationship(trx, input.user.decisionUser, input.personId, input.reason, input.detail, input.now, audit);
      return { expiresAt: d.expiresAt.toISOString() };
    },
    software: { name: 'One Health and Care', version: '0.1.0' },
    users,
    close: async () => void (await watch?.close()),
  };
}

/**
 * Verified bearer tokens, remembered until they expire: a token's signature and claims are a pure
 * function of the token and the server's key, so checking it again on every request of a busy
 * client only spends CPU. Expiry is still checked against the clock on every use; who the token
 * names is looked up on every request (UserRowCache).
 */
export class VerifiedTokens {
  private readonly known = new Map<string, Extract<VerifiedToken, { ok: true }>>();

  constructor(private readonly key: Uint8Array, private readonly now: () => Date, private readonly max = 10_000) {}

  async verify(token: string): Promise<VerifiedToken> {
    const at = this.now();
    const hit = this.known.get(token);
    if (hit) {
      if (hit.expiresAt.getTime() > at.getTime()) return hit;
      this.known.delete(token);
    }
    const v = await verifyToken(this.key, token, at);
    if (v.ok) {
      // Oldest first out: a Map iterates in insertion order.
      if (this.known.size >= this.max) this.known.delete(this.known.keys().next().value!);
      this.known.set(token, v);
    }
    return v;
  }
}
