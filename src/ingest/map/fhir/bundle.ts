/**
 * A FHIR R4 batch, transaction or collection Bundle → one answer per entry: the source actions to
 * apply, the HTTP status and an OperationOutcome. A batch succeeds or fails entry by entry; a
 * transaction with any failing entry fails as a whole, and then no entry carries actions, so a
 * caller cannot apply part of it by mistake.
 */
import type { OperationOutcome } from 'fhir/r4';
import type { IngestError, MapResult, SourceAction } from '../../sourceAction.ts';
import { isoDay } from '../csv/values.ts';
import { errorIssue, operationOutcome, type OutcomeIssue } from './outcome.ts';
import { patientDemographics } from './patient.ts';
import { BundleIndex, parseAbsolute, parseRelative, resolvePatient, uuidOf } from './references.ts';
import { schemaIssues } from './schemaIssues.ts';
import { SUPPORTED_TYPES, isSupportedType } from './supported.ts';

export interface FhirMapContext {
  feedId: string;
  odsCode: string;
  /** ISO instant the bundle arrived: the version of resources without meta, and "today" for dates. */
  receivedAt: string;
}

export interface FhirEntryAnswer {
  index: number;
  fullUrl?: string | undefined;
  result: MapResult;
  responseStatus: string;
  outcome?: OperationOutcome | undefined;
}

export interface FhirBundleAnswer {
  entries: FhirEntryAnswer[];
  bundleError?: OperationOutcome | undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const BUNDLE_TYPES = new Set(['batch', 'transaction', 'collection']);

/** What an entry asks, worked out before any entry is mapped so references can see every entry. */
type Planned =
  | { kind: 'failed'; status: string; issues: OutcomeIssue[] }
  | { kind: 'delete'; resourceType: string; sourceId: string }
  | { kind: 'write'; method: 'POST' | 'PUT' | 'COLLECTION'; resource: Json; resourceType: string; sourceId: string };

export function mapFhirBundle(bundle: unknown, ctx: FhirMapContext): FhirBundleAnswer {
  const envelope = checkEnvelope(bundle);
  if (envelope) return { entries: [], bundleError: operationOutcome([envelope]) };
  const b = bundle as Json;
  const type = b.type as 'batch' | 'transaction' | 'collection';
  const rawEntries = Array.isArray(b.entry) ? (b.entry as unknown[]) : [];

  const fullUrls = new Map<string, number>();
  for (const [i, e] of rawEntries.entries()) {
    const fullUrl = isObject(e) && typeof e.fullUrl === 'string' ? e.fullUrl : undefined;
    if (fullUrl === undefined) continue;
    if (fullUrls.has(fullUrl)) {
      const issue: OutcomeIssue = {
        severity: 'error',
        code: 'duplicate-fullurl',
        message: `entry ${i} repeats the fullUrl of entry ${fullUrls.get(fullUrl)}`,
        expression: `Bundle.entry[${i}].fullUrl`,
      };
      return { entries: [], bundleError: operationOutcome([issue]) };
    }
    fullUrls.set(fullUrl, i);
  }

  const index = new BundleIndex();
  const plans = rawEntries.map((e, i) => plan(e, i, type));
  const written = new Map<string, number>();
  plans.forEach((p, i) => {
    if (p.kind === 'failed') return;
    const key = `${p.resourceType}/${p.sourceId}`;
    // FHIR forbids one transaction touching a resource twice: the outcome would depend on order.
    if (type === 'transaction' && written.has(key)) {
      plans[i] = {
        kind: 'failed',
        status: '400 Bad Request',
        issues: [{ severity: 'error', code: 'duplicate-entry', message: `entry ${i} acts on the same resource as entry ${written.get(key)}`, expression: `Bundle.entry[${i}]` }],
      };
      return;
    }
    written.set(key, i);
    const raw = rawEntries[i] as Json;
    index.add({ resourceType: p.resourceType, sourceId: p.sourceId, resource: p.kind === 'write' ? p.resource : undefined }, typeof raw.fullUrl === 'string' ? raw.fullUrl : undefined);
  });

  const entries = plans.map((p, i) => answer(p, i, rawEntries[i], index, ctx));
  if (type !== 'transaction') return { entries };

  const failing = entries.filter((e) => !e.result.ok);
  if (failing.length === 0) return { entries };
  const bundleIssues = failing.flatMap((e) => e.outcome?.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const firstFailed = failing[0]?.index ?? 0;
  return {
    bundleError: {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'processing',
          diagnostics: `the transaction was not applied: ${failing.length} of ${entries.length} entries failed`,
          expression: ['Bundle'],
        },
        ...bundleIssues,
      ],
    },
    entries: entries.map((e) => {
      if (!e.result.ok) return e;
      const error: IngestError = {
        code: 'transaction-rolled-back',
        message: `entry ${e.index} was not applied because the transaction failed (first at entry ${firstFailed})`,
        where: { jsonPath: `Bundle.entry[${e.index}]` },
      };
      return { ...e, result: { ok: false, error }, responseStatus: '400 Bad Request', outcome: operationOutcome([errorIssue(error)]) };
    }),
  };
}

function checkEnvelope(bundle: unknown): OutcomeIssue | null {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') {
    return { severity: 'error', code: 'invalid-bundle', message: 'the body is not a FHIR Bundle', expression: 'Bundle' };
  }
  if (typeof bundle.type !== 'string' || !BUNDLE_TYPES.has(bundle.type)) {
    return { severity: 'error', code: 'unsupported-bundle-type', message: 'Bundle.type must be batch, transaction or collection', expression: 'Bundle.type' };
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) {
    return { severity: 'error', code: 'invalid-bundle', message: 'Bundle.entry must be a list', expression: 'Bundle.entry' };
  }
  return null;
}

function failed(status: string, code: string, message: string, expression: string): Planned {
  return { kind: 'failed', status, issues: [{ severity: 'error', code, message, expression }] };
}

function plan(raw: unknown, i: number, type: string): Planned {
  const at = `Bundle.entry[${i}]`;
  if (!isObject(raw)) return failed('400 Bad Request', 'invalid-entry', `entry ${i} is not an object`, at);

  let method: 'POST' | 'PUT' | 'DELETE' | 'COLLECTION' = 'COLLECTION';
  let url = '';
  if (type !== 'collection') {
    const request = raw.request;
    if (!isObject(request)) return failed('400 Bad Request', 'required-field-missing', `entry ${i} has no request`, `${at}.request`);
    if (typeof request.method !== 'string') return failed('400 Bad Request', 'required-field-missing', `entry ${i} has no request method`, `${at}.request.method`);
    if (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'DELETE') {
      return failed('400 Bad Request', 'unsupported-method', `request method ${request.method} is not supported; use POST, PUT or DELETE`, `${at}.request.method`);
    }
    method = request.method;
    url = typeof request.url === 'string' ? request.url.replace(/^\//, '') : '';
    if (url === '') return failed('400 Bad Request', 'required-field-missing', `entry ${i} has no request url`, `${at}.request.url`);
    if (url.includes('?')) return failed('400 Bad Request', 'conditional-not-supported', 'conditional requests (a url with search parameters) are not supported', `${at}.request.url`);
  }

  if (method === 'DELETE') {
    const target = parseRelative(url);
    if (!target) return failed('400 Bad Request', 'invalid-request-url', 'a DELETE url must be Type/id', `${at}.request.url`);
    if (!isSupportedType(target.resourceType)) return unsupported(target.resourceType, `${at}.request.url`);
    return { kind: 'delete', resourceType: target.resourceType, sourceId: target.id };
  }

  const resource = raw.resource;
  if (!isObject(resource)) return failed('400 Bad Request', 'required-field-missing', `entry ${i} has no resource`, `${at}.resource`);
  if (typeof resource.resourceType !== 'string') return failed('400 Bad Request', 'required-field-missing', `entry ${i} resource has no resourceType`, `${at}.resource.resourceType`);
  const resourceType = resource.resourceType;
  if (!isSupportedType(resourceType)) return unsupported(resourceType, `${at}.resource.resourceType`);
  const ownId = typeof resource.id === 'string' ? resource.id : undefined;

  let sourceId: string | undefined;
  if (method === 'PUT') {
    const target = parseRelative(url);
    if (!target) return failed('400 Bad Request', 'invalid-request-url', 'a PUT url must be Type/id', `${at}.request.url`);
    if (target.resourceType !== resourceType) return failed('400 Bad Request', 'invalid-request-url', `the PUT url names ${target.resourceType} but the resource is ${resourceType}`, `${at}.request.url`);
    if (ownId !== undefined && ownId !== target.id) return failed('400 Bad Request', 'id-mismatch', 'the resource id differs from the id in the PUT url', `${at}.resource.id`);
    sourceId = target.id;
  } else {
    if (method === 'POST' && url !== resourceType) return failed('400 Bad Request', 'invalid-request-url', `a POST url must be the resource type ${resourceType}`, `${at}.request.url`);
    const fullUrl = typeof raw.fullUrl === 'string' ? raw.fullUrl : undefined;
    const fromFullUrl = fullUrl === undefined ? undefined : (uuidOf(fullUrl) ?? idFromUrl(fullUrl, resourceType));
    sourceId = ownId ?? fromFullUrl;
  }
  if (sourceId === undefined || !FHIR_ID.test(sourceId)) {
    return failed('400 Bad Request', 'no-source-id', 'the resource needs a stable id: resource.id, a PUT url Type/id, or a urn:uuid fullUrl', `${at}.resource.id`);
  }
  return { kind: 'write', method, resource, resourceType, sourceId };
}

function idFromUrl(fullUrl: string, resourceType: string): string | undefined {
  const parsed = parseAbsolute(fullUrl) ?? parseRelative(fullUrl);
  return parsed && parsed.resourceType === resourceType ? parsed.id : undefined;
}

function unsupported(resourceType: string, expression: string): Planned {
  return failed('400 Bad Request', 'unsupported-resource-type', `resource type ${resourceType} is not supported by this service`, expression);
}

function answer(p: Planned, i: number, raw: unknown, index: BundleIndex, ctx: FhirMapContext): FhirEntryAnswer {
  const fullUrl = isObject(raw) && typeof raw.fullUrl === 'string' ? raw.fullUrl : undefined;
  const base = { index: i, ...(fullUrl !== undefined ? { fullUrl } : {}) };
  const fail = (status: string, issues: OutcomeIssue[]): FhirEntryAnswer => {
    const first = issues[0] as OutcomeIssue;
    const error: IngestError = { code: first.code, message: first.message, where: { jsonPath: first.expression ?? `Bundle.entry[${i}]` } };
    return { ...base, result: { ok: false, error }, responseStatus: status, outcome: operationOutcome(issues) };
  };
  if (p.kind === 'failed') return fail(p.status, p.issues);

  if (p.kind === 'delete') {
    const action: SourceAction = {
      kind: 'delete',
      resourceType: p.resourceType,
      sourceId: p.sourceId,
      sourceVersion: ctx.receivedAt,
      // A DELETE carries no body: only a Patient names its own person; otherwise the pipeline knows it from the stored resource.
      subjectLocalId: p.resourceType === 'Patient' ? p.sourceId : '',
    };
    return { ...base, result: { ok: true, actions: [action] }, responseStatus: '204 No Content' };
  }

  const at = `Bundle.entry[${i}].resource`;
  const problems = schemaIssues(p.resource);
  if (problems.length > 0) {
    return fail(
      '422 Unprocessable Entity',
      problems.map((s) => ({ severity: 'error', code: s.code, message: s.message, expression: s.path === '' ? at : `${at}.${s.path}` })),
    );
  }

  const rule = SUPPORTED_TYPES[p.resourceType];
  let subjectLocalId = '';
  if (rule?.kind === 'self') subjectLocalId = p.sourceId;
  else if (rule?.kind === 'element') {
    const value = p.resource[rule.element];
    if (value === undefined) {
      return fail('422 Unprocessable Entity', [{ severity: 'error', code: 'required-field-missing', message: `${p.resourceType}.${rule.element} is required: every record entry must name its Patient`, expression: `${at}.${rule.element}` }]);
    }
    const resolved = resolvePatient(value, index);
    if (!resolved.ok) {
      return fail('422 Unprocessable Entity', [{ severity: 'error', code: resolved.code, message: `${p.resourceType}.${rule.element}: ${resolved.message}`, expression: `${at}.${rule.element}` }]);
    }
    subjectLocalId = resolved.localId;
  } else if (rule?.kind === 'participant') {
    const participants = Array.isArray(p.resource.participant) ? (p.resource.participant as unknown[]) : [];
    const found = participants
      .map((pt) => (isObject(pt) ? resolvePatient(pt.actor, index) : null))
      .find((r): r is { ok: true; localId: string } => r?.ok === true);
    if (!found) {
      return fail('422 Unprocessable Entity', [{ severity: 'error', code: 'subject-unresolved', message: 'Appointment.participant names no Patient in this bundle or as Patient/<id>', expression: `${at}.participant` }]);
    }
    subjectLocalId = found.localId;
  }

  const resource = index.rewrite({ ...p.resource, id: p.sourceId });
  const meta = isObject(p.resource.meta) ? p.resource.meta : {};
  const sourceVersion =
    typeof meta.lastUpdated === 'string' ? meta.lastUpdated : typeof meta.versionId === 'string' ? meta.versionId : ctx.receivedAt;

  const action: SourceAction & { kind: 'upsert' } = {
    kind: 'upsert',
    resource: resource as unknown as Extract<SourceAction, { kind: 'upsert' }>['resource'],
    resourceType: p.resourceType,
    sourceId: p.sourceId,
    sourceVersion,
    subjectLocalId,
  };
  let warningIssues: OutcomeIssue[] = [];
  if (p.resourceType === 'Patient') {
    const mapped = patientDemographics(p.resource, p.sourceId, isoDay(new Date(ctx.receivedAt)), index);
    action.demographics = mapped.demographics;
    if (mapped.warnings.length > 0) {
      action.dataQuality = mapped.warnings.map(({ field, code, message }) => ({ field, code, message }));
      warningIssues = mapped.warnings.map((w) => ({ severity: 'warning', code: w.code, message: w.message, expression: `${at}.${w.path}` }));
    }
  }
  return {
    ...base,
    result: { ok: true, actions: [action] },
    responseStatus: p.method === 'POST' ? '201 Created' : '200 OK',
    ...(warningIssues.length > 0 ? { outcome: operationOutcome(warningIssues) } : {}),
  };
}
