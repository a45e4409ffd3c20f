import { describe, expect, it } from 'vitest';
import { fhirSchemaProblems } from './schema.ts';

describe('FHIR R4 schema', () => {
  it('accepts a valid Patient', () => {
    expect(fhirSchemaProblems({ resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01', gender: 'female' })).toEqual([]);
  });
  it('rejects a bad gender code and an unknown resource type', () => {
    expect(fhirSchemaProblems({ resourceType: 'Patient', gender: 'feminine' }).length).toBeGreaterThan(0);
    expect(fhirSchemaProblems({ resourceType: 'Nonsense' }).length).toBeGreaterThan(0);
  });
});
