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
  /** The message without its location. */
  readonly reason: string;
  constructor(code: CanonicalJsonError['code'], reason: string, where: string) {
    super(where ? `${reason} at ${where}` : reason);
    this.reason = reason;
    this.name = 'CanonicalJsonError';
    this.code = code;
    this.where = where;
  }
}

// Deep enough for any audit detail; shallow enough that a cyclic object fails fast instead of overflowing.
const MAX_DEPTH = 256;

/** The canonical serialisation of a JSON value. Throws CanonicalJsonError for non-JSON input. */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

/**
 * The canonical serialisation of a plain object without one of its top-level members: the hash
 * input of an event is the event without `hash`, and copying the object just to drop it would
 * cost an allocation per event on the verifier's hot path.
 */
export function canonicalJsonWithout(obj: object, omitKey: string): string {
  if (!isPlainObject(obj)) throw new CanonicalJsonError('not-json', 'value is not a plain JSON object', '');
  return writeObject(obj as Record<string, unknown>, 0, omitKey);
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

// Strings that need no escaping are quoted directly; JSON.stringify handles the rest (control
// characters, quotes, backslashes, lone surrogates), exactly as ECMAScript specifies.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: JSON must escape them.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

// Audit events repeat the same few dozen keys; quoting each once saves most of the string work.
const quotedKeys = new Map<string, string>();
const MAX_CACHED_KEYS = 4096;

function quoteKey(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = quote(key);
    if (quotedKeys.size < MAX_CACHED_KEYS) quotedKeys.set(key, q);
  }
  return q;
}

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('non-finite-number', 'a number is not finite', '');
      // String() is ECMAScript Number::toString: shortest round-trip form, and -0 prints as 0.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalJsonError('too-deep', 'a value is nested too deeply (or cyclic)', '');
      if (Array.isArray(value)) return writeArray(value, depth);
      if (!isPlainObject(value)) throw new CanonicalJsonError('not-json', 'a value is not a plain JSON object', '');
      return writeObject(value as Record<string, unknown>, depth, undefined);
    }
    default:
      throw new CanonicalJsonError('not-json', `a value is a ${typeof value}, not JSON`, '');
  }
}

function writeArray(arr: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    try {
      // JSON.stringify would turn undefined into null; dropping it would shift indices. Both change meaning.
      if (item === undefined) throw new CanonicalJsonError('undefined-in-array', 'an array holds undefined', '');
      if (i > 0) out += ',';
      out += write(item, depth + 1);
    } catch (err) {
      throw located(err, String(i));
    }
  }
  return out + ']';
}

function writeObject(obj: Record<string, unknown>, depth: number, omitKey: string | undefined): string {
  if (ownKeysSorted(obj)) return writeSortedObject(obj, depth, omitKey);
  // Keys and values are read together in the object's own order (V8's fast path for for-in),
  // then sorted as pairs: reading values by sorted key afterwards costs more than the sort.
  let keys: string[] = [];
  let values: unknown[] = [];
  for (const key in obj) {
    if (key === omitKey || !Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const v = obj[key];
    if (v === undefined) continue;
    keys.push(key);
    values.push(v);
  }
  if (keys.length <= 32) {
    sortPairs(keys, values);
  } else {
    const order = keys.map((_, i) => i).sort((a, b) => compareUnits(keys[a] as string, keys[b] as string));
    keys = order.map((i) => keys[i] as string);
    values = order.map((i) => values[i]);
  }
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += ',';
    out += quoteKey(key);
    out += ':';
    try {
      out += write(values[i], depth + 1);
    } catch (err) {
      throw located(err, key);
    }
  }
  return out + '}';
}

// Objects built in key order (chainNext and auditEventFromStored build events so) skip the
// sort and its two arrays: less garbage on the verifier's hot path.
function ownKeysSorted(obj: Record<string, unknown>): boolean {
  let prev: string | undefined;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) return false;
    if (prev !== undefined && prev > key) return false;
    prev = key;
  }
  return true;
}

function writeSortedObject(obj: Record<string, unknown>, depth: number, omitKey: string | undefined): string {
  let out = '{';
  let first = true;
  for (const key in obj) {
    if (key === omitKey) continue;
    const v = obj[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quoteKey(key);
    out += ':';
    try {
      out += write(v, depth + 1);
    } catch (err) {
      throw located(err, key);
    }
  }
  return out + '}';
}

/** UTF-16 code-unit order, which is RFC 8785's and JavaScript's default string order. */
function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Insertion sort: an audit object has a handful of keys, usually already nearly in order.
function sortPairs(keys: string[], values: unknown[]): void {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      values[j + 1] = values[j];
      j--;
    }
    keys[j + 1] = k;
    values[j + 1] = v;
  }
}

// The path is built only when something fails, so the hot path carries no strings for it.
function located(err: unknown, step: string): unknown {
  if (!(err instanceof CanonicalJsonError)) return err;
  const where = `/${step}${err.where}`;
  return new CanonicalJsonError(err.code, err.reason, where);
}
