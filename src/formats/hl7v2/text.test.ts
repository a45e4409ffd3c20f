import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeHl7Bytes } from './text.ts';

/** The platform's strict decoder, Latin-1 when it refuses: what the bytes must read as. */
function reference(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

describe('decodeHl7Bytes', () => {
  it.each<[string, number[], string]>([
    ['ASCII', [0x4d, 0x53, 0x48], 'MSH'],
    ['UTF-8 (é as two bytes)', [0x4a, 0x6f, 0x73, 0xc3, 0xa9], 'José'],
    ['Latin-1 (é as one byte, not UTF-8)', [0x4a, 0x6f, 0x73, 0xe9], 'José'],
    ['a byte order mark is not text', [0xef, 0xbb, 0xbf, 0x4d, 0x53, 0x48], 'MSH'],
    ['a UTF-16 surrogate written as UTF-8 is not UTF-8', [0xed, 0xa0, 0x80], 'í\u00a0\u0080'],
    ['an overlong encoding is not UTF-8', [0xc0, 0xaf], 'À¯'],
    ['nothing', [], ''],
  ])('%s', (_, bytes, text) => {
    expect(decodeHl7Bytes(Uint8Array.from(bytes))).toBe(text);
  });

  it('reads any bytes as the strict decoder would, from any offset of a larger buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 8 }), (bytes, offset) => {
      const inside = Buffer.concat([Buffer.alloc(offset, 0x41), Buffer.from(bytes)]).subarray(offset);
      expect(decodeHl7Bytes(inside)).toBe(reference(bytes));
    }), { numRuns: 3000 });
    // Mostly valid UTF-8 too (random bytes rarely are).
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (s, bom) => {
      const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(s, 'utf8')]);
      expect(decodeHl7Bytes(bytes)).toBe(reference(bytes));
    }), { numRuns: 3000 });
  });
});
