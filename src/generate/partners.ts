/**
 * The partners of the synthetic county and the feeds each one sends. Trusts carry their real ODS
 * codes (public reference data); councils, continuing healthcare and GP practices carry invented
 * codes (SYN…, Y9…) and "(synthetic)" in their names. Role holders, ICO numbers and contacts are
 * invented for every partner, so none of them names a real person or registration.
 */
import { createRng } from './random.ts';
import { FAMILY_NAMES, GIVEN_NAMES } from './names.ts';
import { TOWNS, streetName, type Town } from './places.ts';

/** The registry's organisation kinds (src/registry/organisation.ts). */
export type PartnerKind = 'gp-practice' | 'acute' | 'community' | 'mental-health' | 'ambulance' | 'social-care' | 'chc';

export interface CountyPartner {
  odsCode: string;
  name: string;
  kind: PartnerKind;
  /** Invented, in the ICO's Z + 7 characters layout. */
  icoRegistration: string;
  siro: string;
  caldicottGuardian: string;
  accessToRecordsEmail: string;
  /** YYYY-MM-DD */
  isaFrom: string;
  /** YYYY-MM-DD, or null while the membership is open-ended. */
  isaTo: string | null;
  /** True when the ODS code itself is invented for the synthetic county. */
  syntheticCode: boolean;
}

export type FeedFormat = 'hl7v2' | 'fhir' | 'csv';

export interface FeedSpec {
  id: string;
  organisation: string;
  name: string;
  kind: PartnerKind;
  format: FeedFormat;
}

export interface GpPractice {
  odsCode: string;
  name: string;
  town: Town;
}

const ISA_FROM = '2024-04-01';

interface FixedPartner { odsCode: string; name: string; kind: PartnerKind; feedId: string; format: FeedFormat; syntheticCode: boolean }

export const ACUTE_NORTH = 'RJE';
export const ACUTE_SOUTH = 'RTG';

const FIXED: readonly FixedPartner[] = [
  { odsCode: 'RJE', name: 'University Hospitals of North Midlands NHS Trust', kind: 'acute', feedId: 'rje-pas', format: 'hl7v2', syntheticCode: false },
  { odsCode: 'RTG', name: 'University Hospitals of Derby and Burton NHS Foundation Trust', kind: 'acute', feedId: 'rtg-pas', format: 'hl7v2', syntheticCode: false },
  { odsCode: 'RRE', name: 'Midlands Partnership University NHS Foundation Trust', kind: 'community', feedId: 'rre-fhir', format: 'fhir', syntheticCode: false },
  { odsCode: 'RLY', name: 'North Staffordshire Combined Healthcare NHS Trust', kind: 'mental-health', feedId: 'rly-fhir', format: 'fhir', syntheticCode: false },
  { odsCode: 'RYA', name: 'West Midlands Ambulance Service University NHS Foundation Trust', kind: 'ambulance', feedId: 'rya-epr', format: 'fhir', syntheticCode: false },
  { odsCode: 'SYNSTF', name: 'Staffordshire County Council Adult and Children\'s Social Care (synthetic code)', kind: 'social-care', feedId: 'staffs-sc', format: 'csv', syntheticCode: true },
  { odsCode: 'SYNSOT', name: 'Stoke-on-Trent City Council Social Care (synthetic code)', kind: 'social-care', feedId: 'stoke-sc', format: 'csv', syntheticCode: true },
  { odsCode: 'SYNCHC', name: 'Staffordshire and Stoke-on-Trent Continuing Healthcare (synthetic code)', kind: 'chc', feedId: 'chc', format: 'csv', syntheticCode: true },
];

export const FEED_IDS = {
  rje: 'rje-pas', rtg: 'rtg-pas', rre: 'rre-fhir', rly: 'rly-fhir', rya: 'rya-epr', staffs: 'staffs-sc', stoke: 'stoke-sc', chc: 'chc',
} as const;

/** One practice for about every 7,000 people, at least 3 (about 157 for the whole county). */
export function practiceCount(persons: number): number {
  return Math.max(3, Math.round(persons / 7000));
}

const PRACTICE_KINDS = ['Surgery', 'Medical Practice', 'Health Centre', 'Medical Centre', 'Family Practice'];

/**
 * Practices spread over the towns by population (D'Hondt), with stable invented names and codes
 * Y90001…: they depend only on the count, never on the seed, so a registry seeded once stays valid.
 */
export function gpPractices(persons: number): GpPractice[] {
  const n = practiceCount(persons);
  const given = TOWNS.map(() => 0);
  const out: GpPractice[] = [];
  for (let k = 0; k < n; k++) {
    let best = 0;
    let bestScore = -1;
    TOWNS.forEach((t, i) => {
      const score = t.population / ((given[i] ?? 0) + 1);
      if (score > bestScore) { best = i; bestScore = score; }
    });
    given[best] = (given[best] ?? 0) + 1;
    const town = TOWNS[best] ?? TOWNS[0]!;
    const rng = createRng(`gp-practice/${k}`);
    const code = `Y9${String(k + 1).padStart(4, '0')}`;
    out.push({ odsCode: code, name: `${streetName(rng).replace(/ \w+$/, '')} ${rng.pick(PRACTICE_KINDS)}, ${town.name} (synthetic)`, town });
  }
  return out;
}

function roleHolder(seed: string, title: string): string {
  const rng = createRng(seed);
  const sex = rng.chance(0.5) ? 'female' : 'male';
  return `${title}${rng.pick(GIVEN_NAMES[sex].middle)} ${rng.pick(FAMILY_NAMES)}`;
}

function partnerRecord(odsCode: string, name: string, kind: PartnerKind, syntheticCode: boolean): CountyPartner {
  const rng = createRng(`partner/${odsCode}`);
  return {
    odsCode,
    name,
    kind,
    icoRegistration: `Z${rng.pick(['A', 'B', 'X'])}${String(rng.int(0, 999_999)).padStart(6, '0')}`,
    siro: roleHolder(`siro/${odsCode}`, ''),
    caldicottGuardian: roleHolder(`caldicott/${odsCode}`, 'Dr '),
    // The reserved .example domain: no message can ever reach a real mailbox.
    accessToRecordsEmail: `access-to-records.${odsCode.toLowerCase()}@nhs.example`,
    isaFrom: ISA_FROM,
    isaTo: null,
    syntheticCode,
  };
}

/** Every organisation the generator writes for, at the scale of `persons` (GP practices scale). */
export function countyPartners(opts: { persons: number }): CountyPartner[] {
  return [
    ...FIXED.map((p) => partnerRecord(p.odsCode, p.name, p.kind, p.syntheticCode)),
    ...gpPractices(opts.persons).map((g) => partnerRecord(g.odsCode, g.name, 'gp-practice', true)),
  ];
}

export function gpFeedId(odsCode: string): string {
  return `gp-${odsCode.toLowerCase()}`;
}

/** The feeds of the county, as written to feeds.json. */
export function countyFeeds(opts: { persons: number }): FeedSpec[] {
  return [
    ...FIXED.map((p) => ({ id: p.feedId, organisation: p.odsCode, name: p.name, kind: p.kind, format: p.format })),
    ...gpPractices(opts.persons).map((g) => ({ id: gpFeedId(g.odsCode), organisation: g.odsCode, name: g.name, kind: 'gp-practice' as const, format: 'fhir' as const })),
  ];
}

