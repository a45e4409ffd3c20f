/**
 * Content negotiation: the API speaks FHIR JSON only. `_format` (json, application/fhir+json,
 * application/json) wins over Accept; an Accept that admits none of the JSON types is a 406.
 */
const FORMAT_PARAM = new Set(['json', 'application/fhir+json', 'application/json', 'application/json+fhir']);
const ACCEPTABLE = new Set(['application/fhir+json', 'application/json', 'application/json+fhir', 'application/*', '*/*']);

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** True when the request may be answered in FHIR JSON. */
export function acceptsFhirJson(accept: string | undefined, format: string | string[] | undefined): boolean {
  const f = Array.isArray(format) ? format[0] : format;
  if (f !== undefined) return FORMAT_PARAM.has(f.trim().toLowerCase().split(';')[0]!.trim());
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) return false;
    return type !== undefined && ACCEPTABLE.has(type);
  });
}
