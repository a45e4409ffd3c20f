/**
 * Council social care and continuing healthcare extracts for one person: a row of the `persons`
 * dataset (the header fixed by INTERFACES.md) and rows of the `involvements` dataset, whose header
 * the generator defines:
 *
 *   local_id,involvement_id,service,team,worker_role,start_date,end_date,status
 *
 * one row per service the person has had; dates YYYY-MM-DD; end_date empty while the involvement
 * is open; status `open` or `closed`.
 */
import type { Rng } from './random.ts';
import { isoDay } from './dates.ts';
import type { Person } from './population.ts';
import type { SourceRecord } from './sourceRecord.ts';

export const PERSONS_HEADER = ['local_id', 'nhs_number', 'family_name', 'given_names', 'date_of_birth', 'sex', 'address_line_1', 'address_line_2', 'town', 'postcode', 'phone'] as const;
export const INVOLVEMENTS_HEADER = ['local_id', 'involvement_id', 'service', 'team', 'worker_role', 'start_date', 'end_date', 'status'] as const;

export function personsRow(rec: SourceRecord): string[] {
  return [rec.localId, rec.nhsNumber ?? '', rec.family, rec.given.join(' '), rec.birthDate, rec.sex, rec.address.line2 ? `${rec.address.line2}, ${rec.address.line1}` : rec.address.line1, '', rec.address.town, rec.address.postcode, rec.phone];
}

export function socialCareProbability(p: Person): number {
  const dementia = p.history.conditions.some((c) => c.code === '52448006');
  const base = p.age < 18 ? 0.012 : p.age < 65 ? 0.015 : p.age < 80 ? 0.06 : 0.18;
  return Math.min(0.9, base * (dementia ? 3 : 1));
}

export function chcProbability(p: Person): number {
  return p.age >= 85 ? 0.04 : p.age >= 75 ? 0.015 : p.age >= 65 ? 0.005 : 0.0005;
}

interface ServiceDef { service: string; team: (town: string) => string; role: string }

const CHILDREN: readonly ServiceDef[] = [
  { service: 'Child in need', team: (t) => `${t} children's locality team`, role: 'Social worker' },
  { service: 'Early help', team: (t) => `${t} family support team`, role: 'Family support worker' },
];
const ADULTS: readonly ServiceDef[] = [
  { service: 'Home care', team: (t) => `${t} adult locality team`, role: 'Social care assessor' },
  { service: 'Reablement', team: () => 'Reablement team', role: 'Reablement support worker' },
  { service: 'Residential care placement', team: (t) => `${t} adult locality team`, role: 'Social worker' },
  { service: 'Nursing care placement', team: (t) => `${t} adult locality team`, role: 'Social worker' },
  { service: 'Day services', team: (t) => `${t} adult locality team`, role: 'Social care assessor' },
  { service: 'Equipment and adaptations', team: () => 'Occupational therapy team', role: 'Occupational therapist' },
  { service: 'Carer\'s assessment', team: (t) => `${t} adult locality team`, role: 'Social care assessor' },
  { service: 'Safeguarding adults enquiry', team: () => 'Safeguarding hub', role: 'Social worker' },
];
const CHC: readonly ServiceDef[] = [
  { service: 'Continuing Healthcare checklist', team: (t) => `CHC ${t}`, role: 'CHC nurse assessor' },
  { service: 'Continuing Healthcare full assessment', team: (t) => `CHC ${t}`, role: 'CHC nurse assessor' },
  { service: 'Continuing Healthcare fast track', team: (t) => `CHC ${t}`, role: 'Case manager' },
  { service: 'NHS-funded nursing care', team: (t) => `CHC ${t}`, role: 'Case manager' },
];

export function involvementRows(rng: Rng, person: Person, rec: SourceRecord, kind: 'social-care' | 'chc', asOfDay: number): string[][] {
  const defs = kind === 'chc' ? CHC : person.age < 18 ? CHILDREN : ADULTS;
  const count = 1 + (rng.chance(0.35) ? rng.int(1, 2) : 0);
  const teamPlace = kind === 'chc' ? (person.town.locality === 'north' ? 'North' : 'South') : person.town.name;
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const d = rng.pick(defs);
    const start = asOfDay - rng.int(10, 1800);
    const open = rng.chance(0.55);
    const end = open ? null : Math.min(asOfDay - 1, start + rng.int(14, 500));
    rows.push([rec.localId, `${rec.localId}-${i + 1}`, d.service, d.team(teamPlace), d.role, isoDay(start), end === null ? '' : isoDay(end), open ? 'open' : 'closed']);
  }
  return rows;
}
