/**
 * Search parameters of the FHIR read API: which each type supports, and their parsing and
 * validation into plain filters. Every problem is a value naming the parameter (never echoing the
 * value, which may be personal data). Pure.
 */
import { instantRange } from '../../record/facts.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../../nhs/nhsNumber.ts';
import { NHS_NUMBER_SYSTEM } from './render.ts';

export type Query = Record<string, string | string[] | undefined>;

export interface ParamProblem { code: 'invalid' | 'not-supported' | 'required'; message: string; where: string }

export const DATE_PREFIXES = ['eq', 'ge', 'le', 'gt', 'lt'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];
export interface DateFilter { prefix: DatePrefix; lo: number; hi: number }
export interface TokenFilter { system: string | null | undefined; code: string | null }

/** Each supported type's clinical code elements (`code`) and category elements (`category`). */
export const TYPE_SEARCH: Readonly<Record<string, { code: readonly string[]; category: readonly string[] }>> = {
  AllergyIntolerance: { code: ['code'], category: ['category'] },
  Appointment: { code: ['serviceType'], category: ['serviceCategory'] },
  CarePlan: { code: [], category: ['category'] },
  Condition: { code: ['code'], category: ['category'] },
  DiagnosticReport: { code: ['code'], category: ['category'] },
  DocumentReference: { code: ['type'], category: ['category'] },
  Encounter: { code: ['type'], category: ['class'] },
  EpisodeOfCare: { code: ['type'], category: [] },
  Flag: { code: ['code'], category: ['category'] },
  Immunization: { code: ['vaccineCode'], category: [] },
  MedicationRequest: { code: ['medicationCodeableConcept'], category: ['category'] },
  MedicationStatement: { code: ['medicationCodeableConcept'], category: ['category'] },
  Observation: { code: ['code'], category: ['category'] },
  Procedure: { code: ['code'], category: ['category'] },
  RelatedPerson: { code: ['relationship'], category: [] },
  ServiceRequest: { code: ['code'], category: ['category'] },
};
export const CLINICAL_TYPES = Object.keys(TYPE_SEARCH).sort();

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 500;

function values(q: Query, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
}

function single(q: Query, name: string, problems: ParamProblem[]): string | undefined {
  const v = q[name];
  if (Array.isArray(v) && v.length > 1) {
    problems.push({ code: 'invalid', message: `${name} may be given only once`, where: name });
    return undefined;
  }
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s === '' ? undefined : s;
}

function unknownParams(q: Query, allowed: readonly string[], problems: ParamProblem[]): void {
  for (const name of Object.keys(q)) {
    if (!allowed.includes(name)) problems.push({ code: 'not-supported', message: `the search parameter ${name.slice(0, 40)} is not supported here`, where: name.slice(0, 40) });
  }
}

export function parseDate(raw: string, name: string, problems: ParamProblem[]): DateFilter | null {
  const m = /^(eq|ge|le|gt|lt|ne|sa|eb|ap)?(.+)$/.exec(raw);
  const prefix = (m?.[1] ?? 'eq');
  if (!(DATE_PREFIXES as readonly string[]).includes(prefix)) {
    problems.push({ code: 'not-supported', message: `${name}: the prefix ${prefix} is not supported (use eq, ge, le, gt or lt)`, where: name });
    return null;
  }
  const value = m?.[2] ?? '';
  const valid = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/.test(value);
  const range = valid ? instantRange(value) : null;
  if (!range) {
    problems.push({ code: 'invalid', message: `${name} must be a date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time with a time zone)`, where: name });
    return null;
  }
  return { prefix: prefix as DatePrefix, ...range };
}

/** Does a clinical date (any precision) satisfy the filter? Compared by its first instant. */
export function dateMatches(f: DateFilter, date: string | null): boolean {
  const d = date ? instantRange(date) : null;
  if (!d) return false;
  switch (f.prefix) {
    case 'eq': return d.lo >= f.lo && d.lo < f.hi;
    case 'ge': return d.lo >= f.lo;
    case 'gt': return d.lo >= f.hi;
    case 'le': return d.lo < f.hi;
    case 'lt': return d.lo < f.lo;
  }
}

/** `system|code`, `code`, `|code` (no system), `system|` (any code of the system). */
export function parseToken(raw: string): TokenFilter {
  const bar = raw.indexOf('|');
  if (bar < 0) return { system: undefined, code: raw };
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  return { system: system === '' ? null : system, code: code === '' ? null : code };
}

export function tokenMatches(t: TokenFilter, codings: readonly { system: string | null; code: string }[]): boolean {
  return codings.some((c) => (t.system === undefined || t.system === c.system) && (t.code === null || t.code === c.code));
}

export interface Paging { count: number; offset: number }

export interface ResourceSearch extends Paging {
  patient: string;
  dates: DateFilter[];
  codes: TokenFilter[];
  categories: TokenFilter[];
  sortDescending: boolean;
}

const COMMON = ['_count', '_format', '_cursor'];

function pagingOf(q: Query, problems: ParamProblem[], cursorKey: string): Paging {
  let count = DEFAULT_COUNT;
  const c = single(q, '_count', problems);
  if (c !== undefined) {
    if (!/^\d{1,4}$/.test(c) || Number(c) < 1 || Number(c) > MAX_COUNT) {
      problems.push({ code: 'invalid', message: `_count must be a whole number from 1 to ${MAX_COUNT}`, where: '_count' });
    } else count = Number(c);
  }
  let offset = 0;
  const cur = single(q, '_cursor', problems);
  if (cur !== undefined) {
    const o = decodeCursor(cur, cursorKey);
    if (o === null) problems.push({ code: 'invalid', message: '_cursor is not a page link of this search; start the search again', where: '_cursor' });
    else offset = o;
  }
  return { count, offset };
}

/** The search without its paging: what a cursor is bound to, so a page link cannot be reused on another search. */
export function cursorKey(path: string, q: Query): string {
  const parts = Object.keys(q).filter((k) => k !== '_cursor' && k !== '_format').sort().map((k) => `${k}=${JSON.stringify(q[k])}`);
  let h = 2166136261;
  for (const ch of `${path}?${parts.join('&')}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(36);
}

export function encodeCursor(offset: number, key: string): string {
  return Buffer.from(JSON.stringify({ o: offset, k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, key: string): number | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; k?: unknown };
    return typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 && v.k === key ? v.o : null;
  } catch {
    return null;
  }
}

/** The person a `patient` parameter names: `{id}` or `Patient/{id}`. */
export function patientParam(raw: string): string {
  return raw.startsWith('Patient/') ? raw.slice('Patient/'.length) : raw;
}

/** Paging alone ($everything): _count and _cursor, nothing else but _format. */
export function parsePaging(q: Query, path: string): { ok: true; paging: Paging } | { ok: false; problems: ParamProblem[] } {
  const problems: ParamProblem[] = [];
  unknownParams(q, COMMON, problems);
  const paging = pagingOf(q, problems, cursorKey(path, q));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, paging };
}

export function parseResourceSearch(type: string, q: Query, path: string): { ok: true; search: ResourceSearch } | { ok: false; problems: ParamProblem[] } {
  const problems: ParamProblem[] = [];
  const spec = TYPE_SEARCH[type];
  const allowed = ['patient', 'date', '_sort', ...COMMON, ...(spec && spec.code.length > 0 ? ['code'] : []), ...(spec && spec.category.length > 0 ? ['category'] : [])];
  unknownParams(q, allowed, problems);
  const patient = single(q, 'patient', problems);
  if (patient === undefined) problems.push({ code: 'required', message: 'patient is required: searches are always about one person', where: 'patient' });
  const dates: DateFilter[] = [];
  for (const raw of Array.isArray(q.date) ? q.date : q.date !== undefined ? [q.date] : []) {
    const f = parseDate(raw.trim(), 'date', problems);
    if (f) dates.push(f);
  }
  let sortDescending = true;
  const sort = single(q, '_sort', problems);
  if (sort !== undefined) {
    if (sort === 'date') sortDescending = false;
    else if (sort !== '-date') problems.push({ code: 'not-supported', message: '_sort supports only date and -date', where: '_sort' });
  }
  const paging = pagingOf(q, problems, cursorKey(path, q));
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    search: {
      patient: patientParam(patient as string), dates, sortDescending, ...paging,
      codes: values(q, 'code').map(parseToken), categories: values(q, 'category').map(parseToken),
    },
  };
}

export interface PatientSearch extends Paging {
  nhsNumber?: string;
  family?: string;
  given?: string;
  birthDate?: { from: string; before: string };
  postcode?: string;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const FAR_PAST = '0000-01-01';
const FAR_FUTURE = '9999-12-31';

export function parsePatientSearch(q: Query, path: string): { ok: true; search: PatientSearch } | { ok: false; problems: ParamProblem[] } {
  const problems: ParamProblem[] = [];
  unknownParams(q, ['identifier', 'family', 'given', 'birthdate', 'address-postcode', ...COMMON], problems);
  const search: Partial<PatientSearch> = {};
  const identifier = single(q, 'identifier', problems);
  if (identifier !== undefined) {
    const t = parseToken(identifier);
    if (t.system !== NHS_NUMBER_SYSTEM || !t.code) {
      problems.push({ code: 'not-supported', message: `identifier must be ${NHS_NUMBER_SYSTEM}|<NHS number>`, where: 'identifier' });
    } else {
      const n = normaliseNhsNumber(t.code);
      if (!n || !isValidNhsNumber(n)) problems.push({ code: 'invalid', message: 'identifier is not a valid NHS number (10 digits with a correct check digit)', where: 'identifier' });
      else search.nhsNumber = n;
    }
  }
  const family = single(q, 'family', problems);
  if (family !== undefined) search.family = family;
  const given = single(q, 'given', problems);
  if (given !== undefined) search.given = given;
  const birth = single(q, 'birthdate', problems);
  if (birth !== undefined) {
    const f = parseDate(birth, 'birthdate', problems);
    if (f) {
      const lo = isoDay(f.lo);
      const hiExclusive = isoDay(f.hi);
      search.birthDate = f.prefix === 'eq' ? { from: lo, before: hiExclusive }
        : f.prefix === 'ge' ? { from: lo, before: FAR_FUTURE }
        : f.prefix === 'gt' ? { from: hiExclusive, before: FAR_FUTURE }
        : f.prefix === 'le' ? { from: FAR_PAST, before: hiExclusive }
        : { from: FAR_PAST, before: lo };
    }
  }
  const postcode = single(q, 'address-postcode', problems);
  if (postcode !== undefined) search.postcode = postcode;
  if (problems.length === 0 && !search.nhsNumber) {
    const named = search.family !== undefined || search.given !== undefined;
    if (!(named && (search.birthDate || search.postcode))) {
      problems.push({ code: 'required', message: 'search by identifier (NHS number), or by family or given name with birthdate or address-postcode', where: 'Patient' });
    }
  }
  const paging = pagingOf(q, problems, cursorKey(path, q));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, search: { ...search, ...paging } };
}
