/**
 * Canonical JSON: the one byte sequence an audit event hashes to, whoever wrote it and whatever
 * order its keys came back from the database in. Object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings in ECMAScript's JSON forms (shortest round-trip numbers, -0 as 0),
 * object members whose value is undefined dropped. The same rules as RFC 8785 (JCS) for every value
 * an audit event can hold. Anything that is not plain JSON is refused rather than guessed at,
 * because a silent coercion would make two different events hash alike.
 */

export class CanonicalJsonError extends Error {
  readonly code: 'not-json' | 'non-finite-number' | 'undefined-in-array' | 'too-deep';
  /** A JSON-pointer-like path to the offending value (keys only, never values). */
  readonly where: string;
  constructor(code: CanonicalJsonError['code'], message: string, where: string) {
    super(message);
    this.name = 'CanonicalJsonError';
    this.code = code;
    this.where = where;
  }
}

// Deep enough for any audit detail; shallow enough that a cyclic object fails fast instead of overflowing.
const MAX_DEPTH = 256;

/** The canonical serialisation of a JSON value. Throws CanonicalJsonError for non-JSON input. */
export function canonicalJson(value: unknown): string {
  return write(value, 0, '');
}

/**
 * The canonical serialisation of a plain object without one of its top-level members: the hash
 * input of an event is the event without `hash`, and copying the object just to drop it would
 * cost an allocation per event on the verifier's hot path.
 */
export function canonicalJsonWithout(obj: object, omitKey: string): string {
  if (!isPlainObject(obj)) throw new CanonicalJsonError('not-json', 'value is not a plain JSON object', '');
  return writeObject(obj as Record<string, unknown>, 0, '', omitKey);
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function write(value: unknown, depth: number, where: string): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonError('non-finite-number', `the number at ${where || '/'} is not finite`, where);
      }
      // String() is ECMAScript Number::toString: shortest round-trip form, and -0 prints as 0.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError('too-deep', `the value at ${where || '/'} is nested too deeply (or cyclic)`, where);
      if (Array.isArray(value)) return writeArray(value, depth, where);
      if (!isPlainObject(value)) {
        throw new CanonicalJsonError('not-json', `the value at ${where || '/'} is not a plain JSON object`, where);
      }
      return writeObject(value as Record<string, unknown>, depth, where, undefined);
    }
    default:
      throw new CanonicalJsonError('not-json', `the value at ${where || '/'} is a ${typeof value}, not JSON`, where);
  }
}

function writeArray(arr: readonly unknown[], depth: number, where: string): string {
  let out = '[';
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    // JSON.stringify would turn undefined into null; dropping it would shift indices. Both change meaning.
    if (item === undefined) {
      throw new CanonicalJsonError('undefined-in-array', `the array at ${where || '/'} holds undefined`, `${where}/${i}`);
    }
    if (i > 0) out += ',';
    out += write(item, depth + 1, `${where}/${i}`);
  }
  return out + ']';
}

function writeObject(obj: Record<string, unknown>, depth: number, where: string, omitKey: string | undefined): string {
  // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    if (key === omitKey) continue;
    const v = obj[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key);
    out += ':';
    out += write(v, depth + 1, `${where}/${key}`);
  }
  return out + '}';
}
