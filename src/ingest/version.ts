/**
 * Orders versions of one source's resource so that an older update never overwrites a newer one.
 * Sources say "version" in different ways — HL7 timestamps, FHIR meta.lastUpdated or versionId, an
 * extract's as-of date — so each is turned into a key that sorts correctly as text.
 */

/** Text key: timestamps as UTC ISO with milliseconds, plain counters zero-padded, then a tie-breaker. */
export function versionKey(sourceVersion: string, tieBreaker = 0): string {
  const v = sourceVersion.trim();
  let key: string;
  if (/^\d{1,18}$/.test(v)) key = `n${v.padStart(18, '0')}`;
  else {
    const t = Date.parse(v);
    key = Number.isNaN(t) ? `s${v}` : `t${new Date(t).toISOString()}`;
  }
  // Two updates with the same stated version (HL7 timestamps are often to the second) are ordered
  // by arrival, so a later message of the same second still applies.
  return `${key}#${String(tieBreaker).padStart(12, '0')}`;
}
