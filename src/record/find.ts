/**
 * Finding persons for a search: by NHS number (exact, on any source record), or by demographics
 * (date of birth and/or postcode narrow the candidates in SQL; names are then compared tolerantly
 * — case, accents, punctuation, small typing errors — with the person index's name rules).
 * Returns person ids only; whether the caller may see each one is decided by the caller.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { normaliseNhsNumber } from '../nhs/nhsNumber.ts';
import { jaroWinkler, normaliseName } from '../mpi/match/index.ts';

/** Persons (current, not merged away) holding this NHS number on any live source record. */
export async function personsByNhsNumber(db: Kysely<Tables>, raw: string): Promise<string[]> {
  const nhs = normaliseNhsNumber(raw);
  if (!nhs) return [];
  const rows = await sql<{ person_id: string }>`
    select distinct s.person_id from source_records s join persons p on p.id = s.person_id
     where s.nhs_number = ${nhs} and s.retired_into is null and p.merged_into is null`.execute(db);
  return rows.rows.map((r) => r.person_id).sort();
}

export interface DemographicQuery {
  readonly family?: string;
  readonly given?: string;
  /** Half-open range of YYYY-MM-DD strings. */
  readonly birthDate?: { readonly from: string; readonly before: string };
  readonly postcode?: string;
}

/** Similarity at which a name counts as the same despite a typing error (Jaro–Winkler). */
export const NAME_SIMILARITY = 0.88;

/** True when `wanted` names `actual`: same normalised words, a prefix of them (FHIR string search), or a near miss. */
export function nameMatches(wanted: string, actual: string | undefined): boolean {
  const w = normaliseName(wanted).replace(/ /g, '');
  const a = normaliseName(actual).replace(/ /g, '');
  if (w === '' || a === '') return false;
  if (a.startsWith(w)) return true;
  return jaroWinkler(w, a) >= NAME_SIMILARITY;
}

function postcodeKey(raw: string): string {
  return raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

interface CandidateRow { person_id: string; family: string | null; given: unknown }

/** Persons some live source record of which matches every given criterion. Needs a birth date or a postcode. */
export async function personsByDemographics(db: Kysely<Tables>, q: DemographicQuery): Promise<string[]> {
  if (!q.birthDate && !q.postcode) return [];
  const conditions = [sql`s.retired_into is null`, sql`p.merged_into is null`];
  if (q.birthDate) {
    conditions.push(sql`s.demographics->>'birthDate' >= ${q.birthDate.from}`, sql`s.demographics->>'birthDate' < ${q.birthDate.before}`);
  }
  if (q.postcode) conditions.push(sql`upper(replace(s.demographics->>'postcode', ' ', '')) = ${postcodeKey(q.postcode)}`);
  const rows = await sql<CandidateRow>`
    select s.person_id, s.demographics->>'family' as family, s.demographics->'given' as given
      from source_records s join persons p on p.id = s.person_id
     where ${sql.join(conditions, sql` and `)}
     limit 5000`.execute(db);
  const found = new Set<string>();
  for (const r of rows.rows) {
    if (q.family !== undefined && !nameMatches(q.family, r.family ?? undefined)) continue;
    if (q.given !== undefined) {
      const given = Array.isArray(r.given) ? r.given.filter((g): g is string => typeof g === 'string') : [];
      if (!given.some((g) => nameMatches(q.given as string, g))) continue;
    }
    found.add(r.person_id);
  }
  return [...found].sort();
}
