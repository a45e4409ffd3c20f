/**
 * The FHIR R4 read API as a Fastify plugin. Every read is one straight line: authenticate →
 * resolve the person → decide → load, assemble, audit → render. The decision's
 * facts say whether an id is a current person, so resolving costs a look-up of its own only when an
 * id is refused (it may have been merged into another). Deps that can (the production read path)
 * read the person's record in the same round trip as the decision's facts; the routes use it only
 * once the decision allows, and otherwise load it themselves. If the audit
 * cannot be written the answer is 503 with no data. An opted-out
 * person and an unknown id get the very same 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { BundleEntry, BundleLink, FhirResource, OperationOutcome, Parameters, Resource } from 'fhir/r4';
import type { Tables } from '../../store/tables.ts';
import { transaction } from '../../store/db.ts';
import { checkDeclaration, type Decision, type Purpose } from '../../access/policy/index.ts';
import {
  codingsOf, compareItems, personsByDemographics, personsByNhsNumber, readRecord, resolvePersonId, type LoadedPerson, type RecordItem, type ReadRecord, type StoredEntry,
} from '../../record/index.ts';
import type { AuditAction, JsonObject } from '../../audit/chain/event.ts';
import { auditDraft } from './audit.ts';
import { capabilityStatement } from './capability.ts';
import type { FhirRouteDeps, FhirUser } from './deps.ts';
import { acceptsFhirJson, FHIR_JSON } from './format.ts';
import {
  cursorKey, dateMatches, encodeCursor, parsePaging, parsePatientSearch, parseResourceSearch, tokenMatches, TYPE_SEARCH, type ParamProblem, type Query,
} from './params.ts';
import { composePatient, issue, outcome, referenceIndex, renderItem, searchset, withheldOutcome, type ReferenceIndex } from './render.ts';

export const ACCESS_REASON_SYSTEM = 'https://fhir.ohc.example/CodeSystem/access-reason';
const NOT_FOUND_TEXT = "No shared record is available for this person. Contact the person's care providers directly.";
const CAPABILITY_DATE = '2025-07-01';

/** The Patient search and read need only the person's Patient resources. */
const PATIENT_ONLY: readonly string[] = ['Patient'];

const PERSON_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An audit that could not be written: nothing may be returned. */
class AuditUnavailable extends Error {}

async function send(reply: FastifyReply, status: number, body: Resource): Promise<FastifyReply> {
  return reply.code(status).header('content-type', FHIR_JSON).send(body);
}

function problemsOutcome(problems: ParamProblem[]): OperationOutcome {
  return outcome(...problems.map((p) => ({ ...issue('error', p.code === 'required' ? 'required' : p.code, p.message), expression: [p.where] })));
}

function denied(decision: Extract<Decision, { allow: false }>): { status: number; body: OperationOutcome } {
  if (decision.httpStatus === 404) return { status: 404, body: outcome(issue('error', 'not-found', NOT_FOUND_TEXT)) };
  const code = decision.httpStatus === 401 ? 'login' : 'forbidden';
  return { status: decision.httpStatus, body: outcome(issue('error', code, decision.message, { system: ACCESS_REASON_SYSTEM, code: decision.reason })) };
}

function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}/fhir`;
}

function selfAndNext(req: FastifyRequest, path: string, q: Query, offset: number, count: number, total: number): BundleLink[] {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === '_cursor' || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  }
  const base = `${baseUrl(req)}${path}`;
  const self = offset > 0 ? new URLSearchParams(params) : params;
  if (offset > 0) self.set('_cursor', encodeCursor(offset, cursorKey(path, q)));
  const links: BundleLink[] = [{ relation: 'self', url: `${base}${self.size > 0 ? `?${self.toString()}` : ''}` }];
  if (offset + count < total) {
    const next = new URLSearchParams(params);
    next.set('_cursor', encodeCursor(offset + count, cursorKey(path, q)));
    links.push({ relation: 'next', url: `${base}?${next.toString()}` });
  }
  return links;
}

function match(resource: Resource): BundleEntry {
  return { fullUrl: `urn:uuid:${resource.id ?? ''}`, resource: resource as FhirResource, search: { mode: 'match' } };
}

function refs(resources: readonly Resource[]): string[] {
  return resources.map((r) => `${r.resourceType}/${r.id ?? ''}`);
}

export function fhirRoutes<U extends FhirUser>(deps: FhirRouteDeps<U>) {
  return async (app: FastifyInstance): Promise<void> => {
    for (const type of ['application/fhir+json', 'application/json+fhir']) {
      if (!app.hasContentTypeParser(type)) {
        app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => {
          try {
            done(null, body === '' ? undefined : JSON.parse(body as string));
          } catch (e) {
            done(e as Error, undefined);
          }
        });
      }
    }

    /** 406 / 401 checks common to every route; the user, or null once answered. */
    async function begin(req: FastifyRequest, reply: FastifyReply, needsUser: boolean): Promise<{ user: U | null } | null> {
      const q = req.query as Query;
      if (!acceptsFhirJson(req.headers.accept, q._format)) {
        await reply.code(406).header('content-type', FHIR_JSON)
          .send(outcome(issue('error', 'not-supported', 'this server answers only in FHIR JSON (application/fhir+json)')));
        return null;
      }
      if (!needsUser) return { user: null };
      const auth = await deps.authenticate(req);
      if ('status' in auth) {
        await reply.code(401).header('www-authenticate', 'Bearer').header('content-type', FHIR_JSON)
          .send(outcome(issue('error', 'login', auth.message ?? 'a valid bearer token is required (Authorization: Bearer …)')));
        return null;
      }
      return { user: auth.user };
    }

    /** Audits a refusal (committed before the answer) and answers it. */
    async function refuse(reply: FastifyReply, user: U, decision: Extract<Decision, { allow: false }>, personId: string | null, route: string, now: Date): Promise<FastifyReply> {
      try {
        await deps.auditRead(auditDraft({ user, now, action: 'access-denied', decision, personId, route }));
      } catch {
        return auditFailed(reply);
      }
      const d = denied(decision);
      return send(reply, d.status, d.body);
    }

    async function auditFailed(reply: FastifyReply): Promise<FastifyReply> {
      return send(reply, 503, outcome(issue('error', 'transient', 'the audit log could not be written, so nothing was returned; try again shortly')));
    }

    /**
     * Loads and renders, then audits what was read and waits for that audit to commit before
     * anything is answered (deps.auditRead batches it with concurrent reads' audits); returns null
     * after answering 503, with no data, when the audit fails.
     */
    async function auditedRead<T>(
      reply: FastifyReply, user: U, decision: Decision, personId: string | null, route: string, action: AuditAction, now: Date,
      work: (db: Kysely<Tables>) => Promise<{ result: T; details: JsonObject }>,
    ): Promise<T | null> {
      const { result, details } = await work(deps.db);
      try {
        await deps.auditRead(auditDraft({ user, now, action, decision, personId, route, details }));
      } catch {
        await auditFailed(reply);
        return null;
      }
      return result;
    }

    /**
     * A write and its audit in one transaction: both happen or neither; returns null after
     * answering 503 when the audit fails (and the write is rolled back).
     */
    async function auditedWrite<T>(
      reply: FastifyReply, user: U, decision: Decision, personId: string | null, route: string, action: AuditAction, now: Date,
      work: (trx: Kysely<Tables>) => Promise<{ result: T; details: JsonObject }>,
    ): Promise<T | null> {
      try {
        return await transaction(deps.db, async (trx) => {
          const { result, details } = await work(trx);
          try {
            await deps.audit(trx, auditDraft({ user, now, action, decision, personId, route, details }));
          } catch (e) {
            throw new AuditUnavailable(e instanceof Error ? e.message : 'audit failed');
          }
          return result;
        }, { retries: 0 });
      } catch (e) {
        if (e instanceof AuditUnavailable) {
          await auditFailed(reply);
          return null;
        }
        throw e;
      }
    }

    /**
     * The person an id names now and the decision about them. The access facts already say whether
     * an id is a current person, so an allowed decision needs no separate look-up: merges are
     * followed (and the decision asked again about the survivor) only when the first answer is a
     * refusal — which is then about exactly the person the original order would have resolved.
     */
    async function resolveAndDecide(user: U, rawId: string, purpose: Purpose, now: Date, types?: readonly string[]):
      Promise<{ personId: string | null; decision: Decision; loaded: LoadedPerson | null }> {
      const asked = PERSON_ID.test(rawId) ? rawId.toLowerCase() : null;
      if (asked) {
        const first = await decideAbout(user, asked, purpose, now, types);
        if (first.decision.allow) return { personId: asked, ...first };
        const personId = await resolvePersonId(deps.db, asked);
        if (personId === asked) return { personId, decision: first.decision, loaded: null };
        if (personId !== null) return { personId, ...(await decideAbout(user, personId, purpose, now, types)) };
        return { personId, decision: await deps.decide({ user, personId, purpose, now }), loaded: null };
      }
      // Not an id we issue: no such person (resolvePersonId answers null without asking the database).
      const personId = await resolvePersonId(deps.db, rawId);
      return { personId, decision: await deps.decide({ user, personId, purpose, now }), loaded: null };
    }

    /**
     * The decision about a person id and, when the deps can read it in the same round trip, the
     * person's stored record (resources of `types`) — handed on only with an allowing decision.
     */
    async function decideAbout(user: U, personId: string, purpose: Purpose, now: Date, types?: readonly string[]): Promise<{ decision: Decision; loaded: LoadedPerson | null }> {
      if (!deps.decideAndLoad) return { decision: await deps.decide({ user, personId, purpose, now }), loaded: null };
      const r = await deps.decideAndLoad({ user, personId, purpose, now, ...(types ? { types } : {}) });
      return { decision: r.decision, loaded: r.decision.allow ? r.loaded : null };
    }

    /** authenticate → resolve → decide for a person-scoped route; null once answered. */
    async function personAccess(req: FastifyRequest, reply: FastifyReply, rawId: string, purpose: Purpose, route: string, signedIn?: U, types?: readonly string[]):
      Promise<{ user: U; personId: string; decision: Extract<Decision, { allow: true }>; now: Date; loaded: LoadedPerson | null } | null> {
      let user = signedIn;
      if (!user) {
        const started = await begin(req, reply, true);
        if (!started) return null;
        user = started.user as U;
      }
      const now = deps.now();
      const { personId, decision, loaded } = await resolveAndDecide(user, rawId, purpose, now, types);
      if (!decision.allow) {
        await refuse(reply, user, decision, personId, route, now);
        return null;
      }
      if (personId === null) {
        // A decide that allows an unknown person is a wiring fault; answer as not found, never with data.
        await send(reply, 404, outcome(issue('error', 'not-found', NOT_FOUND_TEXT)));
        return null;
      }
      return { user, personId, decision, now, loaded };
    }

    app.get('/fhir/metadata', async (req, reply) => {
      if (!(await begin(req, reply, false))) return reply;
      return send(reply, 200, capabilityStatement({
        date: CAPABILITY_DATE, software: deps.software ?? { name: 'One Health and Care', version: '0.1.0' }, url: baseUrl(req),
      }));
    });

    app.get('/fhir/Patient', async (req, reply) => {
      const started = await begin(req, reply, true);
      if (!started) return reply;
      const user = started.user as U;
      const q = req.query as Query;
      const parsed = parsePatientSearch(q, '/Patient');
      if (!parsed.ok) return send(reply, 400, problemsOutcome(parsed.problems));
      const s = parsed.search;
      const now = deps.now();
      // An NHS number names one person, rarely a few: the deps may find them, decide on the only
      // one and read their Patient rows in one round trip. A demographic search may find many, of
      // whom only a page is read.
      const byNumber = s.nhsNumber && deps.findByNhsNumberAndDecide
        ? await deps.findByNhsNumberAndDecide({ user, nhsNumber: s.nhsNumber, purpose: 'search', now, types: PATIENT_ONLY })
        : null;
      const candidates = byNumber ? byNumber.candidates : s.nhsNumber
        ? await personsByNhsNumber(deps.db, s.nhsNumber)
        : await personsByDemographics(deps.db, {
          ...(s.family !== undefined ? { family: s.family } : {}), ...(s.given !== undefined ? { given: s.given } : {}),
          ...(s.birthDate ? { birthDate: s.birthDate } : {}), ...(s.postcode !== undefined ? { postcode: s.postcode } : {}),
        });
      const allowed: { personId: string; decision: Decision; loaded: LoadedPerson | null }[] = [];
      let refusal: Extract<Decision, { allow: false }> | null = null;
      for (const personId of candidates.length > 0 ? candidates : [null]) {
        const { decision, loaded } = byNumber?.only && byNumber.only.personId === personId
          ? { decision: byNumber.only.decision, loaded: byNumber.only.decision.allow ? byNumber.only.loaded : null }
          : personId && s.nhsNumber
            ? await decideAbout(user, personId, 'search', now, PATIENT_ONLY)
            : { decision: await deps.decide({ user, personId, purpose: 'search', now }), loaded: null };
        if (decision.allow && personId) allowed.push({ personId, decision, loaded });
        // Opted-out and unknown persons are simply not found; any other refusal is about the user.
        else if (!decision.allow && decision.reason !== 'person-not-found') refusal = decision;
      }
      if (refusal && allowed.length === 0) return refuse(reply, user, refusal, null, 'Patient?search', now);
      const page = allowed.slice(s.offset, s.offset + s.count);
      const searchDecision: Decision = allowed[0]?.decision ?? { allow: true, purpose: 'search', obligations: [] };
      const terms = Object.keys(q).filter((k) => !k.startsWith('_')).sort();
      const bundle = await auditedRead(reply, user, searchDecision, page.length === 1 ? page[0]!.personId : null, 'Patient?search', 'search', now, async (db) => {
        const patients: Resource[] = [];
        for (const p of page) {
          const read = await readRecord(db, p.personId, p.decision, now, { types: PATIENT_ONLY, loaded: p.loaded });
          patients.push(composePatient(read.record, read.loaded.sourceRecords));
        }
        const result = searchset(patients.map(match), allowed.length, selfAndNext(req, '/Patient', q, s.offset, s.count, allowed.length));
        return { result, details: { terms, resources: refs(patients) } };
      });
      return bundle ? send(reply, 200, bundle) : reply;
    });

    app.get<{ Params: { id: string } }>('/fhir/Patient/:id', async (req, reply) => {
      const access = await personAccess(req, reply, req.params.id, 'search', 'Patient/read', undefined, PATIENT_ONLY);
      if (!access) return reply;
      const { user, personId, decision, now, loaded } = access;
      const patient = await auditedRead(reply, user, decision, personId, 'Patient/read', 'view', now, async (db) => {
        const read = await readRecord(db, personId, decision, now, { types: PATIENT_ONLY, loaded });
        const result = composePatient(read.record, read.loaded.sourceRecords);
        return { result, details: { resources: [`Patient/${personId}`] } };
      });
      return patient ? send(reply, 200, patient) : reply;
    });

    app.get<{ Params: { id: string } }>('/fhir/Patient/:id/$everything', async (req, reply) => {
      const started = await begin(req, reply, true);
      if (!started) return reply;
      const q = req.query as Query;
      const path = `/Patient/${req.params.id}/$everything`;
      const parsed = parsePaging(q, path);
      if (!parsed.ok) return send(reply, 400, problemsOutcome(parsed.problems));
      const access = await personAccess(req, reply, req.params.id, 'direct-care-view', 'Patient/$everything', started.user as U);
      if (!access) return reply;
      const { user, personId, decision, now, loaded } = access;
      const { count, offset } = parsed.paging;
      const bundle = await auditedRead(reply, user, decision, personId, 'Patient/$everything', 'view', now, async (db) => {
        const read = await readRecord(db, personId, decision, now, { loaded });
        const index = referenceIndex(read.loaded.entries);
        const items = read.record.sections.flatMap((sec) => sec.items).sort(compareItems);
        const all: Resource[] = [composePatient(read.record, read.loaded.sourceRecords), ...items.map((i) => renderItem(i, personId, index))];
        const pageResources = all.slice(offset, offset + count);
        const entries = pageResources.map(match);
        const withheld = offset === 0 ? withheldOutcome(read.record) : null;
        if (withheld) entries.push({ resource: withheld, search: { mode: 'outcome' } });
        const result = searchset(entries, all.length, selfAndNext(req, path, q, offset, count, all.length));
        return { result, details: auditDetails(pageResources, read) };
      });
      return bundle ? send(reply, 200, bundle) : reply;
    });

    app.post<{ Params: { id: string } }>('/fhir/Patient/:id/$declare-relationship', async (req, reply) => {
      const access = await personAccess(req, reply, req.params.id, 'declare-relationship', 'Patient/$declare-relationship');
      if (!access) return reply;
      const { user, personId, decision, now } = access;
      const body = parseBody(req.body);
      if (!body || body.resourceType !== 'Parameters') {
        return send(reply, 400, outcome(issue('error', 'structure', 'the body must be a FHIR Parameters resource with reason and detail')));
      }
      const param = (name: string): string | undefined => {
        const p = (body.parameter ?? []).find((x) => x.name === name);
        return p?.valueCode ?? p?.valueString ?? p?.valueCoding?.code;
      };
      const check = checkDeclaration({ reason: param('reason') ?? '', detail: param('detail') ?? null });
      if (!check.ok) return send(reply, 400, outcome({ ...issue('error', check.code === 'detail-too-long' ? 'too-long' : check.code === 'detail-required' ? 'required' : 'code-invalid', check.message), expression: [check.where] }));
      const answer = await auditedWrite(reply, user, decision, personId, 'Patient/$declare-relationship', 'declare-relationship', now, async (trx) => {
        const stored = await deps.declareRelationship(trx, { user, personId, reason: check.reason, detail: check.detail, now });
        const result: Parameters = {
          resourceType: 'Parameters',
          parameter: [{ name: 'reason', valueCode: check.reason }, { name: 'expires', valueDateTime: stored.expiresAt }],
        };
        // The detail is the professional's own words, kept for the IG reviewer.
        return { result, details: { reason: check.reason, detail: check.detail, expiresAt: stored.expiresAt } };
      });
      return answer ? send(reply, 200, answer) : reply;
    });

    app.get<{ Params: { type: string } }>('/fhir/:type', async (req, reply) => {
      const type = req.params.type;
      const started = await begin(req, reply, true);
      if (!started) return reply;
      if (!Object.hasOwn(TYPE_SEARCH, type)) {
        return send(reply, 404, outcome(issue('error', 'not-supported', 'this resource type is not served here; see /fhir/metadata')));
      }
      const q = req.query as Query;
      const path = `/${type}`;
      const parsed = parseResourceSearch(type, q, path);
      if (!parsed.ok) return send(reply, 400, problemsOutcome(parsed.problems));
      const s = parsed.search;
      const route = `${type}?patient`;
      const types = [type, 'Patient'];
      const access = await personAccess(req, reply, s.patient, 'direct-care-view', route, started.user as U, types);
      if (!access) return reply;
      const { user, personId, decision, now, loaded } = access;
      const spec = TYPE_SEARCH[type]!;
      const bundle = await auditedRead(reply, user, decision, personId, route, 'view', now, async (db) => {
        const read = await readRecord(db, personId, decision, now, { types, loaded });
        const index: ReferenceIndex = referenceIndex(read.loaded.entries);
        let items: RecordItem[] = read.record.sections.flatMap((sec) => sec.items).filter((i) => i.resourceType === type);
        items = items.filter((i) => s.dates.every((f) => dateMatches(f, i.date))
          && (s.codes.length === 0 || s.codes.some((t) => copies(i).some((e) => tokenMatches(t, codingsOf(e.resource, spec.code)))))
          && (s.categories.length === 0 || s.categories.some((t) => copies(i).some((e) => tokenMatches(t, categoryCodings(e, spec.category))))));
        items.sort(compareItems);
        if (!s.sortDescending) items.reverse();
        const page = items.slice(s.offset, s.offset + s.count).map((i) => renderItem(i, personId, index));
        const entries = page.map(match);
        const typeWithheld = read.withheld.map((m) => ({ ...m, entryIds: m.entryIds.filter((id) => read.loaded.entries.some((e) => e.id === id && e.resourceType === type)) }))
          .filter((m) => m.entryIds.length > 0);
        const withheld = s.offset === 0 ? withheldOutcome({ withheld: typeWithheld.map((m) => ({ reason: m.reason, text: m.text, count: m.entryIds.length })) }) : null;
        if (withheld) entries.push({ resource: withheld, search: { mode: 'outcome' } });
        const result = searchset(entries, items.length, selfAndNext(req, path, q, s.offset, s.count, items.length));
        return { result, details: auditDetails(page, read) };
      });
      return bundle ? send(reply, 200, bundle) : reply;
    });

    app.get('/fhir/:type/:id', async (req, reply) => {
      if (!(await begin(req, reply, true))) return reply;
      return send(reply, 404, outcome(issue('error', 'not-supported', 'reading a single resource of this type is not supported; search with patient={id}')));
    });
  };
}

/** Every source's copy of an item: a search matches the fact if any source's copy matches. */
function copies(item: RecordItem): StoredEntry[] {
  return [item.entry, ...item.duplicates];
}

function categoryCodings(entry: StoredEntry, elements: readonly string[]): { system: string | null; code: string }[] {
  const found = codingsOf(entry.resource, elements);
  // AllergyIntolerance.category is a list of plain codes (food, medication…), not CodeableConcepts.
  for (const name of elements) {
    const v = entry.resource[name];
    if (Array.isArray(v)) for (const c of v) if (typeof c === 'string') found.push({ system: null, code: c });
  }
  return found;
}

function auditDetails(page: readonly Resource[], read: ReadRecord): JsonObject {
  return {
    resources: refs(page),
    ...(read.withheld.length > 0 ? { withheld: Object.fromEntries(read.withheld.map((m) => [m.reason, m.entryIds.length])) } : {}),
  };
}

function parseBody(body: unknown): Parameters | null {
  let v: unknown = body;
  if (Buffer.isBuffer(v)) v = v.toString('utf8');
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return v !== null && typeof v === 'object' ? (v as Parameters) : null;
}

