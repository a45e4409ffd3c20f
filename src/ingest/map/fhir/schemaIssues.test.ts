import { describe, expect, it } from 'vitest';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';
import { pointerToPath, schemaIssues } from './schemaIssues.ts';

const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Example', given: ['Jo'] }], birthDate: '1970-01-01', gender: 'female', ...extra });
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, ...extra });

// Each resource is checked against its own type's definition, not the schema's oneOf over every
// type: the verdict must be the one the whole official schema gives, and the paths the sender's.
const cases: Array<[string, Record<string, unknown>, Array<Pick<ReturnType<typeof schemaIssues>[number], 'path' | 'code'>>]> = [
  ['a valid Patient', patient(), []],
  ['a valid Observation with a quantity', observation({ valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }), []],
  ['a valid Condition', { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] } }, []],
  ['a birthDate in the wrong format', patient({ birthDate: '11/09/1970' }), [{ path: 'birthDate', code: 'schema-invalid' }]],
  ['a gender outside the code list', patient({ gender: 'F' }), [{ path: 'gender', code: 'schema-invalid' }]],
  ['given as a string, not a list', patient({ name: [{ given: 'Jo' }] }), [{ path: 'name[0].given', code: 'schema-invalid' }]],
  ['an element R4 does not define', patient({ shoeSize: 9 }), [{ path: 'shoeSize', code: 'schema-invalid' }]],
  ['a required element missing', { resourceType: 'Observation', status: 'final' }, [{ path: 'code', code: 'required-field-missing' }]],
  ['a quantity value as text', observation({ valueQuantity: { value: 'high' } }), [{ path: 'valueQuantity.value', code: 'schema-invalid' }]],
  ['a resource type R4 does not define', { resourceType: 'Nonsense' }, [{ path: '', code: 'schema-invalid' }]],
];

describe('schemaIssues', () => {
  it.each(cases)('%s', (_name, resource, expected) => {
    const issues = schemaIssues(resource);
    expect(issues.map(({ path, code }) => ({ path, code }))).toEqual(expected);
    expect(issues.length === 0).toBe(fhirSchemaProblems(resource).length === 0);
  });

  it.each([
    ['/name/0/given', 'name[0].given'],
    ['/a~1b/c~0d', 'a/b.c~d'],
    ['/', ''],
  ])('pointer %s is path %s', (pointer, path) => {
    expect(pointerToPath(pointer)).toBe(path);
  });
});
