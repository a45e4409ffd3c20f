/**
 * UK postcode parsing (outward code = area + district, inward code = sector digit + unit letters)
 * and comparison levels from the same unit (a street or part of one) down to the same area.
 */

export const POSTCODE_LEVELS = ['unit', 'sector', 'district', 'area', 'different'] as const;
export type PostcodeLevel = (typeof POSTCODE_LEVELS)[number];

export interface Postcode {
  /** "LS1 4AP" */
  unit: string;
  /** "LS1 4" */
  sector: string;
  /** "LS1" */
  district: string;
  /** "LS" */
  area: string;
}

// Area: one or two letters; district: a digit then an optional digit or letter (EC1A, W1J, M60).
const PATTERN = /^([A-Z]{1,2})(\d[A-Z\d]?)(\d)([A-Z]{2})$/;

/** A parsed postcode, or null when the text is not shaped like a UK postcode. */
export function parsePostcode(raw: string | undefined): Postcode | null {
  if (!raw) return null;
  const compact = raw.toUpperCase().replace(/[\s-]+/g, '');
  const m = PATTERN.exec(compact);
  if (!m) return null;
  const area = m[1] ?? '';
  const district = area + (m[2] ?? '');
  const sector = `${district} ${m[3] ?? ''}`;
  return { unit: sector + (m[4] ?? ''), sector, district, area };
}

export function comparePostcodes(a: Postcode, b: Postcode): PostcodeLevel {
  if (a.unit === b.unit) return 'unit';
  if (a.sector === b.sector) return 'sector';
  if (a.district === b.district) return 'district';
  if (a.area === b.area) return 'area';
  return 'different';
}
