/**
 * Where the synthetic county lives: real towns of Staffordshire and Stoke-on-Trent with their
 * real postcode districts and rough populations, and synthetic streets and postcode units in
 * them. Locality decides which acute trust, mental health trust and council a person uses.
 */
import type { Rng } from './random.ts';
import { cumulative } from './random.ts';

/** north: Stoke, Newcastle, the Moorlands and Stafford (UHNM, Combined Healthcare); south-east: Burton, Lichfield, Tamworth (UHDB). */
export type Locality = 'north' | 'south-east';

export interface Town {
  name: string;
  county: string;
  districts: readonly string[];
  /** Thousands of residents, used as a weight. */
  population: number;
  locality: Locality;
  /** Inside the Stoke-on-Trent unitary authority (its own council's social care). */
  stokeCity: boolean;
}

export const TOWNS: readonly Town[] = [
  { name: 'Stoke-on-Trent', county: 'Staffordshire', districts: ['ST1', 'ST2', 'ST3', 'ST4', 'ST6'], population: 256, locality: 'north', stokeCity: true },
  { name: 'Newcastle-under-Lyme', county: 'Staffordshire', districts: ['ST5'], population: 75, locality: 'north', stokeCity: false },
  { name: 'Kidsgrove', county: 'Staffordshire', districts: ['ST7'], population: 24, locality: 'north', stokeCity: false },
  { name: 'Biddulph', county: 'Staffordshire', districts: ['ST8'], population: 20, locality: 'north', stokeCity: false },
  { name: 'Leek', county: 'Staffordshire', districts: ['ST13'], population: 21, locality: 'north', stokeCity: false },
  { name: 'Cheadle', county: 'Staffordshire', districts: ['ST10'], population: 12, locality: 'north', stokeCity: false },
  { name: 'Stone', county: 'Staffordshire', districts: ['ST15'], population: 16, locality: 'north', stokeCity: false },
  { name: 'Stafford', county: 'Staffordshire', districts: ['ST16', 'ST17', 'ST18'], population: 70, locality: 'north', stokeCity: false },
  { name: 'Cannock', county: 'Staffordshire', districts: ['WS11', 'WS12'], population: 86, locality: 'north', stokeCity: false },
  { name: 'Rugeley', county: 'Staffordshire', districts: ['WS15'], population: 25, locality: 'north', stokeCity: false },
  { name: 'Uttoxeter', county: 'Staffordshire', districts: ['ST14'], population: 14, locality: 'south-east', stokeCity: false },
  { name: 'Burton upon Trent', county: 'Staffordshire', districts: ['DE13', 'DE14', 'DE15'], population: 75, locality: 'south-east', stokeCity: false },
  { name: 'Lichfield', county: 'Staffordshire', districts: ['WS13', 'WS14'], population: 34, locality: 'south-east', stokeCity: false },
  { name: 'Burntwood', county: 'Staffordshire', districts: ['WS7'], population: 26, locality: 'south-east', stokeCity: false },
  // Tamworth's real postcode districts are in the B (Birmingham) area.
  { name: 'Tamworth', county: 'Staffordshire', districts: ['B77', 'B78', 'B79'], population: 77, locality: 'south-east', stokeCity: false },
];

export const TOWN_WEIGHTS = cumulative(TOWNS.map((t) => t.population));

const STREET_STEMS = `Victoria Albert Church Mill Station Queen King Park Chapel Hartshill Wedgwood Trentham
Spode Minton Etruria Bridge Canal Market Castle Meadow Oak Elm Ash Beech Willow Holly Hawthorn
Moorland Cheddleton Ashbourne Derby Uttoxeter Lichfield Stafford Tamworth Windsor York Lancaster
Gladstone Nelson Wellington Trent Dove Churnet Manifold Hanley Burslem Tunstall Longton Fenton
Kingsley Armitage Brindley Cotton Priory Abbey Grange Manor Hall Farm Orchard Spring Well Brook
Heath Green Common Forge Kiln Potters Bottle Marl Clay Coal Furnace Foundry Wharf Lock Tollgate`.trim().split(/\s+/);
const STREET_KINDS = ['Road', 'Street', 'Lane', 'Avenue', 'Close', 'Drive', 'Grove', 'Crescent', 'Way', 'Terrace', 'Place', 'Gardens'];

export interface Address {
  line1: string;
  /** A flat or a named house; often empty. */
  line2: string;
  town: string;
  county: string;
  postcode: string;
}

/** Letters allowed in the inward code's unit part (Royal Mail: no C I K M O V). */
const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

export function postcodeIn(rng: Rng, district: string): string {
  return `${district} ${rng.int(1, 9)}${rng.pick([...UNIT_LETTERS])}${rng.pick([...UNIT_LETTERS])}`;
}

export function streetName(rng: Rng): string {
  return `${rng.pick(STREET_STEMS)} ${rng.pick(STREET_KINDS)}`;
}

export function addressIn(rng: Rng, town: Town): Address {
  const flat = rng.chance(0.12);
  return {
    line1: `${rng.int(1, flat ? 60 : 240)} ${streetName(rng)}`,
    line2: flat ? `Flat ${rng.int(1, 24)}` : '',
    town: town.name,
    county: town.county,
    postcode: postcodeIn(rng, rng.pick(town.districts)),
  };
}

/** Fictional numbers from Ofcom's ranges kept for drama: they can never ring a real person. */
export function dramaPhone(rng: Rng): string {
  return rng.chance(0.55) ? `07700 900${String(rng.int(0, 999)).padStart(3, '0')}` : `01632 960${String(rng.int(0, 999)).padStart(3, '0')}`;
}
