/**
 * Where a resource breaks the FHIR R4 schema, as paths a sender can act on. The schema is the
 * official fhir.schema.json (as src/fhir/schema.ts uses for tests), but each resource is checked
 * against its own type's definition rather than the file's root `oneOf` over every resource type:
 * the verdict is the same (every other branch fails on its `resourceType` constant), but `oneOf`
 * tries all ~145 branches for every resource, which made schema checking most of the time spent
 * receiving a bundle. A problem at the resource's root (an unknown element, a missing required
 * one) is explained from the type's definition in the same file.
 */
import type { Ajv, ValidateFunction } from 'ajv';
import { fhirSchemaAjv, readFhirSchema } from '../../../fhir/schema.ts';

export interface SchemaIssue {
  /** FHIRPath-style, relative to the resource: `name[0].given`; '' is the resource itself. */
  path: string;
  message: string;
  code: 'schema-invalid' | 'required-field-missing';
}

interface Definition {
  properties?: Record<string, unknown>;
  required?: string[];
}

interface FhirSchema { definitions: Record<string, Definition>; discriminator: { mapping: Record<string, string> } }

let loaded: { schema: FhirSchema; ajv: Ajv; validators: Map<string, ValidateFunction> } | null = null;

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const schema = readFhirSchema() as unknown as FhirSchema;
  const ajv = fhirSchemaAjv();
  ajv.addSchema(schema, 'fhir');
  loaded = { schema, ajv, validators: new Map() };
  return loaded;
}

/** The compiled check for one resource type (compiled on first use, then kept); null for a type R4 does not define. */
function validatorFor(resourceType: string): ValidateFunction | null {
  const { schema, ajv, validators } = load();
  const known = validators.get(resourceType);
  if (known) return known;
  const ref = Object.hasOwn(schema.discriminator.mapping, resourceType) ? schema.discriminator.mapping[resourceType] : undefined;
  if (!ref) return null;
  const validate = ajv.getSchema(`fhir${ref}`);
  if (!validate) return null;
  validators.set(resourceType, validate);
  return validate;
}

function definitionOf(resourceType: string): Definition | undefined {
  const { definitions } = load().schema;
  return Object.hasOwn(definitions, resourceType) ? definitions[resourceType] : undefined;
}

/** Problems the official schema finds in the resource, as JSON pointers ('/' is the root). */
function schemaProblems(resource: Record<string, unknown>): Array<{ path: string; message: string }> {
  const resourceType = String(resource.resourceType);
  const validate = validatorFor(resourceType);
  if (!validate) return [{ path: '/resourceType', message: `${resourceType} is not an R4 resource type` }];
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

/** `/name/0/given` → `name[0].given` */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}

/** [] when the resource is valid R4. */
export function schemaIssues(resource: Record<string, unknown>): SchemaIssue[] {
  const problems = schemaProblems(resource);
  if (problems.length === 0) return [];

  const seen = new Set<string>();
  const deep: SchemaIssue[] = [];
  for (const p of problems) {
    if (p.path === '/' || p.path === '/resourceType') continue;
    const path = pointerToPath(p.path);
    const key = `${path} ${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // The schema's own words, minus patterns (long regular expressions help nobody).
    const message = p.message.startsWith('must match pattern') ? 'is not in the format FHIR requires' : p.message;
    deep.push({ path, message: `${path} ${message}`, code: 'schema-invalid' });
  }
  if (deep.length > 0) return deep;

  const def = definitionOf(String(resource.resourceType));
  const rootIssues: SchemaIssue[] = [];
  if (def?.properties) {
    for (const key of Object.keys(resource)) {
      if (!Object.hasOwn(def.properties, key)) {
        rootIssues.push({ path: key, message: `${key} is not an element of ${String(resource.resourceType)}`, code: 'schema-invalid' });
      }
    }
  }
  for (const key of def?.required ?? []) {
    if (!(key in resource)) rootIssues.push({ path: key, message: `${key} is required`, code: 'required-field-missing' });
  }
  if (rootIssues.length > 0) return rootIssues;
  return [{ path: '', message: `the resource does not conform to the FHIR R4 schema for ${String(resource.resourceType)}`, code: 'schema-invalid' }];
}
