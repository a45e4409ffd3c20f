import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parse, parseBatch } from './parse.ts';
import { get, segments } from './access.ts';
import { buildAck, sniffHeader } from './ack.ts';
import { serialise } from './serialise.ts';
import { decodeHl7Bytes } from './text.ts';

const ROOT = new URL('../../../../shared/data/hl7v2/', import.meta.url);
const samples: Buffer[] = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(new URL(`${d.name}/`, ROOT)).map((f) => readFileSync(new URL(`${d.name}/${f}`, ROOT))));

/** Everything a listener does with untrusted input: none of it may throw, and all of it is bounded. */
function exercise(bytes: Uint8Array): void {
  const text = decodeHl7Bytes(bytes);
  const t0 = performance.now();
  const r = parse(text);
  const b = parseBatch(text);
  if (r.ok) {
    serialise(r.message);
    get(r.message, 'PID-3[2].1');
    segments(r.message, 'OBX');
    buildAck(r.message, 'AA', undefined, 'ACK1', new Date(0));
  } else {
    expect(typeof r.error.code).toBe('string');
    serialise(buildAck(sniffHeader(text), 'AR', r.error, 'ACK1', new Date(0)));
  }
  expect(typeof b.ok).toBe('boolean');
  expect(performance.now() - t0).toBeLessThan(1000);
}

const mutate = (base: Buffer, edits: { at: number; byte: number; op: number }[]): Buffer => {
  const out = [...base];
  for (const e of edits) {
    const i = e.at % (out.length + 1);
    if (e.op === 0) out.splice(i, 1);
    else if (e.op === 1) out.splice(i, 0, e.byte);
    else out[i] = e.byte;
  }
  return Buffer.from(out);
};

describe('fuzz: the parser never throws and never hangs', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => exercise(bytes)), { numRuns: 500 });
  });

  it('random text built from HL7 pieces', () => {
    const piece = fc.constantFrom('MSH', '|', '^~\\&', '^', '~', '\\', '&', '\r', '\n', 'PID', 'BHS', 'FHS', 'BTS', 'FTS', 'ADT', 'A01', '\\X', '\\F\\', '1', '#');
    fc.assert(fc.property(fc.array(piece, { maxLength: 200 }), (parts) => exercise(Buffer.from(parts.join(''), 'latin1'))), { numRuns: 500 });
  });

  it('mutated shared files', () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.constantFrom(0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x0d, 0x0a, 0x00, 0xff, 0x41), op: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 8 }), (base, edits) => exercise(mutate(base, edits))),
      { numRuns: 600 },
    );
  });
});
