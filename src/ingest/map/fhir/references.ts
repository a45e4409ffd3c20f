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

  /**
   * `value` with its references to entries of this bundle reading `Type/<source id>`: a copy along
   * the path to each reference rewritten, everything else shared with `value` (which is never
   * changed). Copying every element of every resource made receiving a bundle allocate twice.
   */
  rewrite<T>(value: T): T {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const was: unknown = value[i];
        const now = this.rewrite(was);
        if (copy === null && now !== was) copy = value.slice(0, i);
        copy?.push(now);
      }
      return (copy ?? value) as T;
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    let copy: Record<string, unknown> | null = null;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const was = obj[key];
      let now = was;
      if (key === 'reference' && typeof was === 'string') {
        const target = this.resolve(was);
        if (target) now = `${target.resourceType}/${target.sourceId}`;
      } else now = this.rewrite(was);
      if (copy === null && now !== was) {
        copy = {};
        for (let j = 0; j < i; j++) copy[keys[j]!] = obj[keys[j]!];
      }
      if (copy !== null) copy[key] = now;
    }
    return (copy ?? value) as T;
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
