/**
 * The CapabilityStatement: exactly what this server implements, built from the same tables the
 * routes and the parameter parser use, so it cannot drift from the code.
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4';
import { CLINICAL_TYPES, TYPE_SEARCH } from './params.ts';

export const DECLARE_RELATIONSHIP_DEFINITION = 'https://fhir.ohc.example/OperationDefinition/Patient-declare-relationship';

const COMMON_PARAMS = [
  { name: '_count', type: 'number' as const, documentation: 'Page size, 1 to 500 (default 50); further pages by the next link' },
];

export function capabilityStatement(opts: { date: string; software: { name: string; version: string }; url?: string }): CapabilityStatement {
  const clinical: CapabilityStatementRestResource[] = CLINICAL_TYPES.map((type) => {
    const spec = TYPE_SEARCH[type]!;
    return {
      type,
      interaction: [{ code: 'search-type' }],
      searchParam: [
        { name: 'patient', type: 'reference', documentation: 'Required: the person (Patient/{id})' },
        { name: 'date', type: 'date', documentation: 'Clinical date; prefixes eq, ge, le, gt, lt; repeat for a range' },
        ...(spec.code.length > 0 ? [{ name: 'code', type: 'token' as const, documentation: `system|code on ${spec.code.join(', ')}` }] : []),
        ...(spec.category.length > 0 ? [{ name: 'category', type: 'token' as const, documentation: `system|code on ${spec.category.join(', ')}` }] : []),
        { name: '_sort', type: 'string', documentation: 'date or -date (default -date: newest first)' },
        ...COMMON_PARAMS,
      ],
    };
  });
  const patient: CapabilityStatementRestResource = {
    type: 'Patient',
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: [
      { name: 'identifier', type: 'token', documentation: 'https://fhir.nhs.uk/Id/nhs-number|{NHS number}' },
      { name: 'family', type: 'string', documentation: 'Tolerant of case, accents and small typing errors; with birthdate or address-postcode' },
      { name: 'given', type: 'string', documentation: 'As family' },
      { name: 'birthdate', type: 'date', documentation: 'Prefixes eq, ge, le, gt, lt' },
      { name: 'address-postcode', type: 'string', documentation: 'Whole postcode, spacing and case ignored' },
      ...COMMON_PARAMS,
    ],
    operation: [
      { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything', documentation: 'The combined record the caller may see; _count pages it' },
      { name: 'declare-relationship', definition: DECLARE_RELATIONSHIP_DEFINITION, documentation: 'Parameters reason (emergency, new-referral, present-and-consenting, other) and detail' },
    ],
  };
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: opts.date,
    publisher: 'One Health and Care',
    kind: 'instance',
    software: { name: opts.software.name, version: opts.software.version },
    implementation: { description: 'One Health and Care shared care record: FHIR R4 read API', ...(opts.url ? { url: opts.url } : {}) },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [{
      mode: 'server',
      documentation: 'Every search, read and operation is audited before data is returned. Each resource names its source organisation in meta.tag (https://fhir.nhs.uk/Id/ods-organization-code) and the source\'s last update in meta.lastUpdated.',
      security: { description: 'Bearer token (Authorization: Bearer …) for every interaction except metadata' },
      resource: [patient, ...clinical],
    }],
  };
}
