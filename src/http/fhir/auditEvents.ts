/**
 * GET /fhir/AuditEvent?patient=…|agent=…&date=… — the audit log as FHIR R4 AuditEvent resources,
 * for information-governance roles. Scoped to the caller's own organisation's staff unless they
 * are a system-wide IG officer. Looking at the audit is itself audited, in the same transaction.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle } from 'fhir/r4';
import { transaction } from '../../store/db.ts';
import { decide, type DecisionUser } from '../../access/policy/index.ts';
import { queryAudit, appendAudit, AuditQueryError, toFhirAuditEvent } from '../../audit/index.ts';
import { findUser } from '../../access/index.ts';
import type { FhirRouteDeps, FhirUser } from './deps.ts';
import { FHIR_JSON, acceptsFhirJson } from './format.ts';
import { issue, outcome } from './render.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

export function auditEventRoutes<U extends FhirUser & { decisionUser: DecisionUser }>(deps: FhirRouteDeps<U>) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/fhir/AuditEvent', async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Query;
      const fail = (status: number, code: string, text: string) => reply.code(status).header('content-type', FHIR_JSON).send(outcome(issue('error', code, text)));
      if (!acceptsFhirJson(req.headers.accept, one(q, '_format'))) return fail(406, 'not-supported', 'this server answers only in FHIR JSON (application/fhir+json)');
      const auth = await deps.authenticate(req);
      if ('status' in auth) return reply.code(401).header('www-authenticate', 'Bearer').header('content-type', FHIR_JSON).send(outcome(issue('error', 'login', auth.message ?? 'a valid bearer token is required')));
      const user = auth.user;
      const now = deps.now();
      const decision = decide(user.decisionUser, null, 'audit-read', now);
      if (!decision.allow) {
        return reply.code(decision.httpStatus).header('content-type', FHIR_JSON).send(outcome(issue('error', 'forbidden', decision.message)));
      }
      const known = new Set(['patient', 'agent', 'date', '_count', '_format']);
      const unknown = Object.keys(q).filter((k) => !known.has(k));
      if (unknown.length > 0) return fail(400, 'not-supported', `unsupported search parameter: ${unknown.join(', ')}`);
      const patient = one(q, 'patient')?.replace(/^Patient\//, '');
      const agent = one(q, 'agent');
      if (!patient && !agent) return fail(400, 'required', 'give patient= (a Patient id) or agent= (a username)');
      if (patient && !UUID.test(patient)) return fail(400, 'value', 'patient must be a Patient id');
      const count = Math.min(Number(one(q, '_count') ?? 100) || 100, 1000);
      const dates = ([] as string[]).concat(q.date ?? []);
      let from: string | undefined;
      let to: string | undefined;
      for (const d of dates) {
        const m = /^(ge|gt|le|lt)?(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)$/.exec(d);
        if (!m || Number.isNaN(Date.parse(m[2]!))) return fail(400, 'value', 'date must be a date, optionally with ge, gt, le or lt');
        if (m[1] === 'le' || m[1] === 'lt') to = m[2];
        else from = m[2];
      }
      // Staff of the caller's own organisation only, unless system-wide.
      const scope = user.decisionUser.systemWideIg ? {} : { organisationOds: user.organisationOds };
      try {
        const events = await transaction(deps.db, async (trx) => {
          const actorId = agent ? ((await findUser(trx, agent))?.id ?? agent) : undefined;
          const page = await queryAudit(trx, {
            ...(patient ? { personId: patient } : {}), ...(actorId ? { actorId } : {}), ...scope,
            ...(from ? { from } : {}), ...(to ? { to } : {}), limit: count,
          });
          await appendAudit(trx, {
            time: now.toISOString(), actor: { kind: 'user', id: user.id, organisationOds: user.organisationOds, role: user.role },
            action: 'audit-viewed', purpose: 'information-governance', outcome: 'success', ...(patient ? { personId: patient } : {}),
            details: { route: 'AuditEvent?search', by: patient ? 'person' : 'user', events: page.events.length },
          });
          return page.events;
        }, { retries: 0 });
        const bundle: Bundle = {
          resourceType: 'Bundle', type: 'searchset', total: events.length,
          ...(events.length > 0 ? { entry: events.map((e) => ({ resource: toFhirAuditEvent(e), search: { mode: 'match' as const } })) } : {}),
        };
        return reply.code(200).header('content-type', FHIR_JSON).send(bundle);
      } catch (e) {
        if (e instanceof AuditQueryError) return fail(400, 'value', e.message);
        return fail(503, 'transient', 'the audit log could not be read or written, so nothing was returned; try again shortly');
      }
    });
  };
}
