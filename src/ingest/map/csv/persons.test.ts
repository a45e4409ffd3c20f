import { describe, it, expect } from 'vitest';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';
import { CSV_DATASETS } from '../../../formats/csv/index.ts';
import { mapPersonRow } from './persons.ts';
import type { CsvMapContext } from './report.ts';
import type { SourceAction } from '../../sourceAction.ts';

const ctx: CsvMapContext = { feedId: 'staffs-sc', odsCode: 'X1A2B', asOf: '2024-06-01T00:00:00Z', now: new Date('2024-06-01T09:00:00Z') };
const good = {
  local_id: 'SC-1',
  nhs_number: '943 476 5919',
  family_name: 'Smith',
  given_names: 'Jo Ann',
  date_of_birth: '1970-09-11',
  sex: 'female',
  address_line_1: '4 High Street',
  address_line_2: '',
  town: 'Stoke-on-Trent',
  postcode: 'st4 7lp',
  phone: '01782 123456',
};
const row = (over: Partial<Record<(typeof CSV_DATASETS.persons)[number], string>> = {}) => ({ line: 7, values: { ...good, ...over } });
const upsertOf = (a: SourceAction | undefined) => {
  if (a?.kind !== 'upsert') throw new Error('expected an upsert');
  return a;
};

describe('mapPersonRow', () => {
  it('maps a clean row to demographics and a valid UK Core Patient', () => {
    const out = mapPersonRow(row(), ctx);
    expect(out.report).toEqual({ line: 7, localId: 'SC-1', status: 'accepted', errors: [], warnings: [] });
    expect(out.result.ok).toBe(true);
    const action = upsertOf(out.result.ok ? out.result.actions[0] : undefined);
    expect(action).toMatchObject({ resourceType: 'Patient', sourceId: 'SC-1', subjectLocalId: 'SC-1', sourceVersion: ctx.asOf });
    expect(action.demographics).toEqual({
      localId: 'SC-1',
      nhsNumber: '9434765919',
      family: 'Smith',
      given: ['Jo', 'Ann'],
      birthDate: '1970-09-11',
      sex: 'female',
      addressLines: ['4 High Street', 'Stoke-on-Trent'],
      postcode: 'ST4 7LP',
      phone: '01782123456',
    });
    expect(action.resource).toMatchObject({
      identifier: [
        { system: 'https://fhir.ohc.example/Id/staffs-sc/local', value: 'SC-1' },
        { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' },
      ],
    });
    expect(fhirSchemaProblems(action.resource)).toEqual([]);
  });

  it('treats empty cells as unknown values', () => {
    const empty = Object.fromEntries(CSV_DATASETS.persons.map((c) => [c, ''])) as Record<string, string>;
    const out = mapPersonRow({ line: 2, values: { ...empty, local_id: 'SC-2' } }, ctx);
    const action = upsertOf(out.result.ok ? out.result.actions[0] : undefined);
    expect(action.demographics).toEqual({ localId: 'SC-2' });
    expect(out.report.status).toBe('accepted');
    expect(fhirSchemaProblems(action.resource)).toEqual([]);
  });

  it.each([['', 'empty'], ['   ', 'blank']])('rejects a row whose local_id is %j (%s) with line and column', (localId) => {
    const out = mapPersonRow(row({ local_id: localId }), ctx);
    expect(out.result).toEqual({
      ok: false,
      error: { code: 'required-field-missing', message: expect.any(String) as string, where: { line: 7, column: 'local_id' } },
    });
    expect(out.report.status).toBe('rejected');
    expect(out.report.errors[0]?.column).toBe('local_id');
  });

  it.each([
    ['postcode', 'LS1288T', 'malformed-postcode', 'postcode'],
    ['phone', '12345', 'malformed-phone', 'phone'],
    ['phone', '+33 1 23 45 67 89', 'malformed-phone', 'phone'],
    ['date_of_birth', '2023-02-30', 'impossible-date', 'birthDate'],
    ['date_of_birth', '11/09/1970', 'impossible-date', 'birthDate'],
    ['date_of_birth', '2024-06-02', 'impossible-date', 'birthDate'],
    ['nhs_number', '9434765918', 'malformed-nhs-number', 'nhsNumber'],
    ['nhs_number', '12345', 'malformed-nhs-number', 'nhsNumber'],
    ['sex', 'M', 'other', 'sex'],
  ] as const)('keeps a malformed %s (%s) as given, flags it, and leaves it out of matching', (column, value, code, demographic) => {
    const out = mapPersonRow(row({ [column]: value }), ctx);
    expect(out.report.status).toBe('warning');
    expect(out.report.warnings).toEqual([{ code, column, message: expect.any(String) as string }]);
    expect(out.report.warnings[0]?.message).not.toContain(value);
    const action = upsertOf(out.result.ok ? out.result.actions[0] : undefined);
    expect(action.dataQuality).toEqual([{ field: column, code, message: expect.any(String) as string }]);
    expect(action.demographics?.[demographic]).toBeUndefined();
    // Kept: either in its natural place (a string element) or in the unverified-value extension.
    expect(JSON.stringify(action.resource)).toContain(JSON.stringify(value).slice(1, -1));
    expect(fhirSchemaProblems(action.resource)).toEqual([]);
    expect(JSON.stringify(action.resource)).not.toContain('"https://fhir.nhs.uk/Id/nhs-number","value":"' + value);
  });

  it('flags several malformed values on one row and still accepts it', () => {
    const out = mapPersonRow(row({ postcode: 'nowhere', phone: 'x', date_of_birth: '1970-13-01' }), ctx);
    expect(out.result.ok).toBe(true);
    expect(out.report.warnings.map((w) => w.column)).toEqual(['date_of_birth', 'postcode', 'phone']);
  });
});
