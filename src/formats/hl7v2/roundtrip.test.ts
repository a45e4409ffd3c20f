import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from './parse.ts';
import { serialise } from './serialise.ts';
import { escape, unescape } from './escape.ts';
import { encodingCharacters, type Hl7Encoding, type Hl7Field, type Hl7Message, type Hl7Segment } from './model.ts';

/** Encodings: the standard one and random distinct non-alphanumeric characters, some with truncation. */
const encodingArb: fc.Arbitrary<Hl7Encoding> = fc
  .uniqueArray(fc.constantFrom(...'|^~\\&#!$%*@+=:;?/'.split('')), { minLength: 6, maxLength: 6 })
  .chain((cs) => fc.boolean().map((trunc) => ({ field: cs[0]!, component: cs[1]!, repetition: cs[2]!, escape: cs[3]!, subcomponent: cs[4]!, truncation: trunc ? cs[5] : undefined })));

/** Leaf wire text: escaped free text (every separator and escape character included) plus verbatim escapes. */
function leafArb(enc: Hl7Encoding): fc.Arbitrary<string> {
  const specials = [enc.field, enc.component, enc.repetition, enc.escape, enc.subcomponent, enc.truncation ?? 'x', '\r', '\n', 'é', 'A', '1', ' '];
  const text = fc.array(fc.oneof(fc.constantFrom(...specials), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((p) => escape(p.join(''), enc));
  const e = enc.escape;
  const verbatim = fc.constantFrom(`${e}H${e}`, `${e}N${e}`, `${e}.br${e}`, `${e}Zab${e}`, `${e}X0D0A${e}`, `${e}XC3A9${e}`, `${e}C2842${e}`);
  return fc.array(fc.oneof(text, verbatim), { maxLength: 3 }).map((p) => p.join(''));
}

function fieldArb(enc: Hl7Encoding): fc.Arbitrary<Hl7Field> {
  const leaf = leafArb(enc);
  return fc.array(fc.array(fc.array(leaf, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });
}

const messageArb: fc.Arbitrary<Hl7Message> = encodingArb.chain((enc) => {
  const field = fieldArb(enc);
  const msh = fc.array(field, { maxLength: 8 }).map(
    (rest): Hl7Segment => ({
      name: 'MSH',
      fields: [[[[enc.field]]], [[[encodingCharacters(enc)]]], [[['A']]], [[['B']]], [[['C']]], [[['D']]], [[['20240101']]], [[['']]], [[['ADT'], ['A01']]], ...rest],
    }),
  );
  const name = fc.constantFrom('PID', 'PV1', 'OBX', 'NTE', 'ZU1', 'ZXY', 'Z01');
  const seg = fc.record({ name, fields: fc.array(field, { maxLength: 6 }) });
  return fc.tuple(msh, fc.array(seg, { maxLength: 6 })).map(([m, rest]) => ({ encoding: enc, segments: [m, ...rest] }));
});

describe('round trips', () => {
  it('parse(serialise(m)) equals m for generated messages', () => {
    fc.assert(
      fc.property(messageArb, fc.constantFrom<('\r' | '\n' | '\r\n')[]>('\r', '\n', '\r\n'), (m, eol) => {
        const text = serialise(m, eol);
        const r = parse(text);
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
        expect(r.message).toEqual(m);
      }),
      { numRuns: 400 },
    );
  });

  it('serialise(parse(text)) reproduces the text', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const text = serialise(m);
        const r = parse(text);
        expect(r.ok && serialise(r.message)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('a decoded value survives being written into a message and read back', () => {
    fc.assert(
      fc.property(encodingArb, fc.string({ unit: 'binary', maxLength: 30 }), (enc, value) => {
        const msh = `MSH${enc.field}${encodingCharacters(enc)}${enc.field}A${enc.field}B${enc.field}C${enc.field}D${enc.field}2024${enc.field}${enc.field}ADT${enc.component}A01`;
        const r = parse(`${msh}\rNTE${enc.field}1${enc.field}${enc.field}${escape(value, enc)}`);
        if (!r.ok) throw new Error(r.error.message);
        const raw = r.message.segments[1]?.fields[2]?.[0]?.[0]?.[0] ?? '';
        expect(unescape(raw, enc)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});
