/**
 * A `persons` row → the person's demographics (for the person index) and a UK Core Patient.
 * Only local_id is required. A malformed optional value is kept as given, flagged as a data-quality
 * warning and left out of the demographics, so it never drives a match; the row is still accepted.
 */
import type { Extension, Patient } from 'fhir/r4';
import type { DataQualityWarning, SourceDemographics } from '../../sourceAction.ts';
import type { CsvRow } from '../../../formats/csv/index.ts';
import { checkBirthDate, checkNhsNumber, checkUkPhone, checkUkPostcode, isoDay } from './values.ts';
import { NHS_NUMBER_SYSTEM, UKCORE_PATIENT_PROFILE, UNVERIFIED_VALUE_EXTENSION, localIdSystem } from './identifiers.ts';
import { missingValue, rejectedRow, warningIssues, type CsvMapContext, type CsvRowOutcome } from './report.ts';

const SEXES = new Set(['male', 'female', 'other', 'unknown']);

export function mapPersonRow(row: CsvRow, ctx: CsvMapContext): CsvRowOutcome {
  const v = (column: string): string => (row.values[column] ?? '').trim();
  const localId = v('local_id');
  if (localId === '') return rejectedRow('persons', row.line, [missingValue('local_id', row.line)]);

  const warnings: DataQualityWarning[] = [];
  const unverified: Extension[] = [];
  const flag = (field: string, code: DataQualityWarning['code'], reason: string): void => {
    warnings.push({ field, code, message: `${field} on line ${row.line} ${reason}; kept as sent and not used for matching` });
  };
  const keepRaw = (field: string, value: string): void => {
    unverified.push({
      url: UNVERIFIED_VALUE_EXTENSION,
      extension: [
        { url: 'field', valueString: field },
        { url: 'value', valueString: value },
      ],
    });
  };

  const demographics: SourceDemographics = { localId };
  const patient: Patient = {
    resourceType: 'Patient',
    meta: { profile: [UKCORE_PATIENT_PROFILE] },
    identifier: [{ system: localIdSystem(ctx.feedId), value: localId }],
  };

  const nhs = v('nhs_number');
  if (nhs !== '') {
    const checked = checkNhsNumber(nhs);
    if (checked.ok) {
      demographics.nhsNumber = checked.value;
      patient.identifier?.push({ system: NHS_NUMBER_SYSTEM, value: checked.value });
    } else {
      flag('nhs_number', 'malformed-nhs-number', checked.reason);
      keepRaw('nhs_number', nhs);
    }
  }

  const family = v('family_name');
  const given = v('given_names').split(/\s+/).filter((g) => g !== '');
  if (family !== '' || given.length > 0) {
    patient.name = [{ use: 'official', ...(family !== '' ? { family } : {}), ...(given.length > 0 ? { given } : {}) }];
    if (family !== '') demographics.family = family;
    if (given.length > 0) demographics.given = given;
  }

  const dob = v('date_of_birth');
  if (dob !== '') {
    const checked = checkBirthDate(dob, isoDay(ctx.now));
    if (checked.ok) {
      demographics.birthDate = checked.value;
      patient.birthDate = checked.value;
    } else {
      flag('date_of_birth', 'impossible-date', checked.reason);
      keepRaw('date_of_birth', dob);
    }
  }

  const sex = v('sex');
  if (sex !== '') {
    if (SEXES.has(sex)) {
      demographics.sex = sex as SourceDemographics['sex'];
      patient.gender = sex as Patient['gender'];
    } else {
      flag('sex', 'other', 'is not one of male, female, other, unknown');
      keepRaw('sex', sex);
    }
  }

  const lines = [v('address_line_1'), v('address_line_2')].filter((l) => l !== '');
  const town = v('town');
  const postcode = v('postcode');
  if (lines.length > 0 || town !== '' || postcode !== '') {
    // A malformed postcode is still a plain string in FHIR, so it stays where a reader expects it.
    patient.address = [
      {
        use: 'home',
        ...(lines.length > 0 ? { line: lines } : {}),
        ...(town !== '' ? { city: town } : {}),
        ...(postcode !== '' ? { postalCode: postcode } : {}),
      },
    ];
    const addressLines = town !== '' ? [...lines, town] : lines;
    if (addressLines.length > 0) demographics.addressLines = addressLines;
  }
  if (postcode !== '') {
    const checked = checkUkPostcode(postcode);
    if (checked.ok) demographics.postcode = checked.value;
    else flag('postcode', 'malformed-postcode', checked.reason);
  }

  const phone = v('phone');
  if (phone !== '') {
    patient.telecom = [{ system: 'phone', value: phone }];
    const checked = checkUkPhone(phone);
    if (checked.ok) demographics.phone = checked.value;
    else flag('phone', 'malformed-phone', checked.reason);
  }

  if (unverified.length > 0) patient.extension = unverified;

  return {
    dataset: 'persons',
    line: row.line,
    sourceId: localId,
    result: {
      ok: true,
      actions: [
        {
          kind: 'upsert',
          resource: patient,
          resourceType: 'Patient',
          sourceId: localId,
          sourceVersion: ctx.asOf,
          subjectLocalId: localId,
          demographics,
          ...(warnings.length > 0 ? { dataQuality: warnings } : {}),
        },
      ],
    },
    report: {
      line: row.line,
      localId,
      status: warnings.length > 0 ? 'warning' : 'accepted',
      errors: [],
      warnings: warningIssues(warnings),
    },
  };
}
