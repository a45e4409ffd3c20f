/**
 * References inside a bundle: which entry each fullUrl or `Type/id` names, rewriting references
 * between entries to `Type/<source id>` (so the pipeline can link them), and finding the Patient a
 * clinical resource is about.
 */

export interface IndexedEntry {
  resourceType: string;
  sourceId: string;
  resource?: Record<string, unknown> | undefined;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABSOLUTE = /^https?:\/\/.+\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const URN_UUID = /^urn:uuid:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** `Type/id` (optionally with a version) → its parts. */
export function parseRelative(reference: string): { resourceType: string; id: string } | null {
  const m = RELATIVE.exec(reference);
  return m ? { resourceType: m[1] as string, id: m[2] as string } : null;
}

/** The uuid of `urn:uuid:…`, lower-cased so that the same uuid always gives the same id. */
export function uuidOf(fullUrl: string): string | null {
  const m = URN_UUID.exec(fullUrl);
  return m ? (m[1] as string).toLowerCase() : null;
}

/** `…/Type/id` at the end of an absolute URL. */
export function parseAbsolute(url: string): { resourceType: string; id: string } | null {
  const m = ABSOLUTE.exec(url);
  return m ? { resourceType: m[1] as string, id: m[2] as string } : null;
}

export class BundleIndex {
  private readonly byKey = new Map<string, IndexedEntry>();

  add(entry: IndexedEntry, fullUrl: string | undefined): void {
    if (fullUrl !== undefined) this.byKey.set(fullUrl, entry);
    this.byKey.set(`${entry.resourceType}/${entry.sourceId}`, entry);
  }

  /** The entry a reference names, if it is in this bundle. */
  resolve(reference: string): IndexedEntry | undefined {
    const direct = this.byKey.get(reference);
    if (direct) return direct;
    const relative = parseRelative(reference);
    if (relative) return this.byKey.get(`${relative.resourceType}/${relative.id}`);
    return undefined;
  }

  /** A copy of `value` whose references to entries of this bundle read `Type/<source id>`. */
  rewrite<T>(value: T): T {
    if (Array.isArray(value)) return value.map((v: unknown) => this.rewrite(v)) as T;
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'reference' && typeof v === 'string') {
        const target = this.resolve(v);
        out[key] = target ? `${target.resourceType}/${target.sourceId}` : v;
      } else {
        out[key] = this.rewrite(v);
      }
    }
    return out as T;
  }
}

export type SubjectResolution =
  | { ok: true; localId: string }
  | { ok: false; code: 'subject-unresolved' | 'subject-not-patient'; message: string };

/** The Patient a reference names: an entry of this bundle, or a plain `Patient/<id>`. */
export function resolvePatient(reference: unknown, index: BundleIndex): SubjectResolution {
  const ref = typeof reference === 'object' && reference !== null ? (reference as Record<string, unknown>).reference : undefined;
  if (typeof ref !== 'string' || ref === '') {
    return { ok: false, code: 'subject-unresolved', message: 'the reference has no literal reference (an identifier alone cannot be resolved)' };
  }
  const entry = index.resolve(ref);
  if (entry) {
    if (entry.resourceType !== 'Patient') return { ok: false, code: 'subject-not-patient', message: `the reference names a ${entry.resourceType}, not a Patient` };
    return { ok: true, localId: entry.sourceId };
  }
  const relative = parseRelative(ref);
  if (relative) {
    if (relative.resourceType !== 'Patient') return { ok: false, code: 'subject-not-patient', message: `the reference names a ${relative.resourceType}, not a Patient` };
    return { ok: true, localId: relative.id };
  }
  return { ok: false, code: 'subject-unresolved', message: 'the reference names no Patient in this bundle and is not of the form Patient/<id>' };
}
