import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonWithout, CanonicalJsonError } from './canonical.ts';

/** The same value with every object's keys in a shuffled order (driven by fast-check's seed). */
function shuffleKeys(value: unknown, pick: (n: number) => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, pick));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = pick(i + 1);
      [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: shuffleKeys(v, pick), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

describe('canonicalJson', () => {
  it.each([
    ['sorted keys, no whitespace', { b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    ['nested objects sorted', { z: { y: 1, x: 2 }, a: {} }, '{"a":{},"z":{"x":2,"y":1}}'],
    ['undefined members dropped', { a: undefined, b: 2 }, '{"b":2}'],
    ['-0 as 0', { n: -0 }, '{"n":0}'],
    ['shortest round-trip numbers', [0.1, 1e21, 1e-7, 100, -1.5], '[0.1,1e+21,1e-7,100,-1.5]'],
    ['strings escaped as JSON', { s: 'a"b\\c\n\u0001' }, '{"s":"a\\"b\\\\c\\n\\u0001"}'],
    ['non-ASCII kept as is', { s: 'café ✓' }, '{"s":"café ✓"}'],
    ['lone surrogate escaped', { s: '\ud800' }, '{"s":"\\ud800"}'],
    ['keys by UTF-16 code units', { b: 1, B: 2, é: 3, aa: 4, a: 5 }, '{"B":2,"a":5,"aa":4,"b":1,"é":3}'],
    ['top-level scalars', 'x', '"x"'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it.each([
    ['NaN', { n: Number.NaN }, 'non-finite-number', '/n'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], 'non-finite-number', '/1'],
    ['undefined in an array', { a: [1, undefined] }, 'undefined-in-array', '/a/1'],
    ['a Date', { d: new Date(0) }, 'not-json', '/d'],
    ['a function', { f: () => 1 }, 'not-json', '/f'],
    ['a bigint', { b: 1n }, 'not-json', '/b'],
  ])('refuses %s, saying where', (_name, input, code, where) => {
    try {
      canonicalJson(input);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(CanonicalJsonError);
      expect((err as CanonicalJsonError).code).toBe(code);
      expect((err as CanonicalJsonError).where).toBe(where);
    }
  });

  it('refuses a cyclic object instead of overflowing', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(CanonicalJsonError);
  });

  it('sorts objects with many keys', () => {
    const obj: Record<string, number> = {};
    for (let i = 99; i >= 0; i--) obj[`k${i}`] = i;
    const keys = Object.keys(JSON.parse(canonicalJson(obj)) as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('leaves out one top-level member on request', () => {
    expect(canonicalJsonWithout({ hash: 'x', b: 1, a: { hash: 'kept' } }, 'hash')).toBe('{"a":{"hash":"kept"},"b":1}');
  });

  it('property: equal objects with keys in any order give the same bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.infiniteStream(fc.nat()), (value, rand) => {
        const it = rand[Symbol.iterator]();
        const shuffled = shuffleKeys(value, (n) => (it.next().value as number) % n);
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('property: parsing the canonical form gives back the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON itself cannot tell -0 from 0; compare with the value as JSON means it.
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('property: canonical form is a fixed point and has no whitespace outside strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        expect(once.replace(/"(?:[^"\\]|\\.)*"/g, '')).not.toMatch(/\s/);
      }),
      { numRuns: 300 },
    );
  });
});
