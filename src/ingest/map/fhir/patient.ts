/**
 * A FHIR Patient → the demographics the person index matches on. UK Core conventions: the NHS
 * number identifier system, its verification-status extension, ODS codes for the registered GP.
 * Values that fail their checks are flagged and left out, exactly as for CSV (../csv/values.ts).
 */
import type { DataQualityWarning, SourceDemographics } from '../../sourceAction.ts';
import { checkBirthDate, checkCalendarDate, checkNhsNumber, checkUkPhone, checkUkPostcode } from '../csv/values.ts';
import { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_SYSTEM } from '../csv/identifiers.ts';
import type { BundleIndex } from './references.ts';

export const NHS_NUMBER_VERIFICATION_EXTENSION =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus';
// UK Core's current code, and "01" from the older England code system still used by its own examples.
const VERIFIED_CODES = new Set(['number-present-and-verified', '01']);

type Json = Record<string, unknown>;
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : []);
const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

export interface PatientMapping {
  demographics: SourceDemographics;
  /** `field` is a path within the Patient, e.g. `Patient.birthDate`. */
  warnings: Array<DataQualityWarning & { path: string }>;
}

/** `today` is YYYY-MM-DD from the injected clock: a later birth date is impossible. */
export function patientDemographics(patient: Json, localId: string, today: string, index: BundleIndex): PatientMapping {
  const demographics: SourceDemographics = { localId };
  const warnings: PatientMapping['warnings'] = [];
  const flag = (path: string, code: DataQualityWarning['code'], reason: string): void => {
    warnings.push({ field: `Patient.${path}`, path, code, message: `Patient.${path} ${reason}; kept as sent and not used for matching` });
  };

  asArray(patient.identifier).forEach((identifier, i) => {
    if (identifier.system !== NHS_NUMBER_SYSTEM || demographics.nhsNumber !== undefined) return;
    const value = asString(identifier.value);
    if (value === undefined) return;
    const checked = checkNhsNumber(value);
    if (!checked.ok) {
      flag(`identifier[${i}].value`, 'malformed-nhs-number', checked.reason);
      return;
    }
    demographics.nhsNumber = checked.value;
    const status = asArray(identifier.extension).find((e) => e.url === NHS_NUMBER_VERIFICATION_EXTENSION);
    if (status) {
      const codings = asArray((status.valueCodeableConcept as Json | undefined)?.coding);
      demographics.nhsNumberVerified = codings.some((c) => typeof c.code === 'string' && VERIFIED_CODES.has(c.code));
    }
  });

  const names = asArray(patient.name);
  const name = names.find((n) => n.use === 'official') ?? names.find((n) => n.use !== 'old') ?? names[0];
  if (name) {
    const family = asString(name.family);
    const given = (Array.isArray(name.given) ? name.given : []).filter((g): g is string => typeof g === 'string' && g.trim() !== '');
    if (family) demographics.family = family;
    if (given.length > 0) demographics.given = given;
  }

  const birthDate = asString(patient.birthDate);
  if (birthDate !== undefined) {
    if (/^\d{4}(-\d{2})?$/.test(birthDate)) flag('birthDate', 'other', 'is a partial date');
    else {
      const checked = checkBirthDate(birthDate, today);
      if (checked.ok) demographics.birthDate = checked.value;
      else flag('birthDate', 'impossible-date', checked.reason);
    }
  }

  const gender = patient.gender;
  if (gender === 'male' || gender === 'female' || gender === 'other' || gender === 'unknown') demographics.sex = gender;

  const addresses = asArray(patient.address);
  const home = addresses.findIndex((a) => a.use === 'home');
  const chosen = home >= 0 ? home : addresses.findIndex((a) => a.use !== 'old');
  const address = chosen >= 0 ? addresses[chosen] : undefined;
  if (address) {
    const lines = (Array.isArray(address.line) ? address.line : []).filter((l): l is string => typeof l === 'string' && l.trim() !== '');
    const city = asString(address.city);
    const addressLines = city ? [...lines, city] : lines;
    if (addressLines.length > 0) demographics.addressLines = addressLines;
    const postalCode = asString(address.postalCode);
    if (postalCode !== undefined) {
      const checked = checkUkPostcode(postalCode);
      if (checked.ok) demographics.postcode = checked.value;
      else flag(`address[${chosen}].postalCode`, 'malformed-postcode', checked.reason);
    }
  }

  const telecoms = asArray(patient.telecom);
  const phoneIndex = telecoms.findIndex((t) => t.system === 'phone' && asString(t.value) !== undefined);
  const phone = phoneIndex >= 0 ? asString(telecoms[phoneIndex]?.value) : undefined;
  if (phone !== undefined) {
    const checked = checkUkPhone(phone);
    if (checked.ok) demographics.phone = checked.value;
    else flag(`telecom[${phoneIndex}].value`, 'malformed-phone', checked.reason);
  }

  const deceased = asString(patient.deceasedDateTime);
  if (deceased !== undefined) {
    const checked = checkCalendarDate(deceased.slice(0, 10));
    if (checked.ok) demographics.deceasedDate = checked.value;
    else flag('deceasedDateTime', 'impossible-date', checked.reason);
  }

  for (const gp of asArray(patient.generalPractitioner)) {
    const ods = odsOf(gp, index);
    if (ods) {
      demographics.gpPracticeOds = ods;
      break;
    }
  }
  return { demographics, warnings };
}

/** The ODS code a reference states: a logical identifier, or an Organization entry's identifier. */
function odsOf(reference: Json, index: BundleIndex): string | undefined {
  const identifier = reference.identifier as Json | undefined;
  if (identifier?.system === ODS_ORGANIZATION_SYSTEM && asString(identifier.value)) return asString(identifier.value);
  const ref = asString(reference.reference);
  const target = ref ? index.resolve(ref) : undefined;
  if (target?.resourceType !== 'Organization' || !target.resource) return undefined;
  const own = asArray(target.resource.identifier).find((i) => i.system === ODS_ORGANIZATION_SYSTEM);
  return own ? asString(own.value) : undefined;
}
