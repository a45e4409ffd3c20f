import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MllpDecoder, frame, type MllpEvent } from './frame.ts';

const messages = (events: MllpEvent[]): string[] => events.flatMap((e) => (e.kind === 'message' ? [e.payload.toString('utf8')] : []));
const errors = (events: MllpEvent[]): string[] => events.flatMap((e) => (e.kind === 'error' ? [e.code] : []));

function feed(decoder: MllpDecoder, chunks: Buffer[]): MllpEvent[] {
  return [...chunks.flatMap((c) => decoder.push(c)), ...decoder.end()];
}

const b = (...parts: (string | number[] | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.isBuffer(p) ? p : Buffer.from(p))));

describe('frame', () => {
  it('wraps a message in start and end blocks', () => {
    expect([...frame('MSH|A')]).toEqual([0x0b, 0x4d, 0x53, 0x48, 0x7c, 0x41, 0x1c, 0x0d]);
  });
});

describe('MllpDecoder', () => {
  it.each([
    ['one frame', [b([0x0b], 'A\r', [0x1c, 0x0d])], ['A\r'], []],
    ['two frames in one chunk', [b(frame('A'), frame('B'))], ['A', 'B'], []],
    ['end block split across chunks', [b([0x0b], 'A', [0x1c]), b([0x0d])], ['A'], []],
    ['every byte its own chunk', [...frame('HELLO')].map((x) => Buffer.from([x])), ['HELLO'], []],
    ['garbage between frames is dropped', [b('noise', frame('A'), '\r\n', frame('B'), 'tail')], ['A', 'B'], []],
    ['a lone 0x1C stays data', [b([0x0b], 'A', [0x1c], 'B', [0x1c, 0x0d])], ['A\x1cB'], []],
    ['a new start block abandons an unfinished frame', [b([0x0b], 'partial', frame('B'))], ['B'], ['unterminated-frame']],
    ['the connection ends inside a frame', [b([0x0b], 'partial')], [], ['unterminated-frame']],
    ['an empty frame', [b([0x0b, 0x1c, 0x0d])], [''], []],
  ])('%s', (_name, chunks, expected, expectedErrors) => {
    const events = feed(new MllpDecoder(), chunks);
    expect(messages(events)).toEqual(expected);
    expect(errors(events)).toEqual(expectedErrors);
  });

  it('reports discarded bytes', () => {
    const events = new MllpDecoder().push(b('xyz', frame('A')));
    expect(events[0]).toEqual({ kind: 'discarded', bytes: 3 });
  });

  it('enforces the maximum size once, then resynchronises at the next start block', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: 10 });
    const events = feed(decoder, [b([0x0b], 'x'.repeat(8)), b('x'.repeat(8)), b('x'.repeat(30), [0x1c, 0x0d]), frame('OK')]);
    expect(errors(events)).toEqual(['message-too-large']);
    expect(messages(events)).toEqual(['OK']);
  });

  it('accepts a message of exactly the maximum size', () => {
    expect(messages(feed(new MllpDecoder({ maxMessageBytes: 5 }), [frame('12345')]))).toEqual(['12345']);
  });

  it('copies data so the caller may reuse its buffers', () => {
    const decoder = new MllpDecoder();
    const chunk = b([0x0b], 'ABC');
    decoder.push(chunk);
    chunk.fill(0x21);
    expect(messages(decoder.push(b([0x1c, 0x0d])))).toEqual(['ABC']);
  });

  it('finds the same messages however the stream is split', () => {
    const text = fc.string({ maxLength: 50 }).map((s) => s.split(String.fromCharCode(0x0b)).join('').split(String.fromCharCode(0x1c)).join(''));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), fc.array(fc.constantFrom('', '\r\n', 'junk'), { maxLength: 6 }), (msgs, cuts, junk) => {
        const stream = Buffer.concat(msgs.flatMap((m, i) => [Buffer.from(junk[i] ?? ''), frame(m)]));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        const events = feed(new MllpDecoder(), chunks);
        expect(messages(events)).toEqual(msgs);
        expect(errors(events)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
