import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { escape, unescape } from './escape.ts';
import { STANDARD_ENCODING, type Hl7Encoding } from './model.ts';

const CUSTOM: Hl7Encoding = { field: '!', component: '$', repetition: 'r', escape: '?', subcomponent: '@' };
const TRUNC: Hl7Encoding = { ...STANDARD_ENCODING, truncation: '#' };

describe('unescape', () => {
  it.each([
    ['a\\F\\b', 'a|b'],
    ['\\S\\\\T\\\\R\\\\E\\', '^&~\\'],
    ['x\\X0D0A\\y', 'x\r\ny'],
    ['caf\\XC3A9\\', 'café'],
    ['\\XE9\\', 'é'],
    ['\\H\\bold\\N\\', '\\H\\bold\\N\\'],
    ['line\\.br\\next', 'line\\.br\\next'],
    ['\\Zcustom\\', '\\Zcustom\\'],
    ['open \\F', 'open \\F'],
    ['\\X\\', '\\X\\'],
    ['\\X0\\', '\\X0\\'],
    ['\\P\\', '\\P\\'],
    ['plain', 'plain'],
  ])('%s → %s', (raw, text) => {
    expect(unescape(raw, STANDARD_ENCODING)).toBe(text);
  });

  it('uses the declared escape character', () => {
    expect(unescape('a?F?b?S?c?R?d', CUSTOM)).toBe('a!b$crd');
  });

  it('decodes the truncation escape only when a truncation character is declared', () => {
    expect(unescape('a\\P\\b', TRUNC)).toBe('a#b');
  });
});

describe('escape', () => {
  it.each([
    ['a|b^c&d~e\\f', 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f'],
    ['two\r\nlines', 'two\\X0D\\\\X0A\\lines'],
    ['nothing special', 'nothing special'],
  ])('%j', (text, raw) => {
    expect(escape(text, STANDARD_ENCODING)).toBe(raw);
  });

  it.each([STANDARD_ENCODING, CUSTOM, TRUNC])('unescape inverts escape for any text (%j)', (enc) => {
    const chars = fc.constantFrom('|', '^', '~', '\\', '&', '#', '!', '$', 'r', '?', '@', '\r', '\n', 'a', 'X', 'H', 'N', '0', 'é', ' ');
    fc.assert(
      fc.property(fc.array(fc.oneof(chars, fc.string()), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        const raw = escape(text, enc);
        expect(unescape(raw, enc)).toBe(text);
        for (const sep of [enc.field, enc.component, enc.repetition, enc.subcomponent, '\r', '\n']) expect(raw.includes(sep)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
