/**
 * MLLP framing (start block 0x0B, end block 0x1C 0x0D) as a pure incremental decoder: feed it the
 * chunks a socket delivers, in any split, and get whole message payloads back. It enforces a maximum
 * message size (report once, then skip to the next start block), discards bytes between frames, and
 * treats a start block inside an unfinished frame as the sender starting over.
 */

export const START_BLOCK = 0x0b;
export const END_BLOCK = 0x1c;
export const CARRIAGE_RETURN = 0x0d;

export type MllpEvent =
  | { kind: 'message'; payload: Buffer }
  | { kind: 'error'; code: 'message-too-large' | 'unterminated-frame'; message: string }
  /** Bytes outside any frame were dropped (noise, keep-alives, a sender without framing). */
  | { kind: 'discarded'; bytes: number };

export interface MllpDecoderOptions {
  /** Largest payload accepted, in bytes (default 16 MiB). */
  maxMessageBytes?: number;
}

type State = 'idle' | 'frame' | 'skip';

export class MllpDecoder {
  private readonly max: number;
  private state: State = 'idle';
  private parts: Buffer[] = [];
  private size = 0;
  /** The previous chunk ended with 0x1C inside a frame; its meaning depends on the next byte. */
  private pendingEnd = false;

  constructor(options: MllpDecoderOptions = {}) {
    this.max = options.maxMessageBytes ?? 16 * 1024 * 1024;
  }

  push(chunk: Uint8Array): MllpEvent[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: MllpEvent[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'idle') {
        const start = buf.indexOf(START_BLOCK, i);
        const stop = start < 0 ? buf.length : start;
        if (stop > i) events.push({ kind: 'discarded', bytes: stop - i });
        if (start < 0) return events;
        this.begin();
        i = start + 1;
        continue;
      }
      if (this.pendingEnd) {
        this.pendingEnd = false;
        if (buf[i] === CARRIAGE_RETURN) {
          this.finish(events);
          i += 1;
          continue;
        }
        // A lone 0x1C is not an end block; keep it as data.
        this.append(Buffer.from([END_BLOCK]), events);
      }
      i = this.scanFrame(buf, i, events);
    }
    return events;
  }

  /** The connection closed: a frame still open is reported and dropped. */
  end(): MllpEvent[] {
    const events: MllpEvent[] = [];
    if (this.state === 'frame') {
      events.push({ kind: 'error', code: 'unterminated-frame', message: 'the connection ended inside a frame; the partial message was dropped' });
    }
    this.reset();
    return events;
  }

  private scanFrame(buf: Buffer, from: number, events: MllpEvent[]): number {
    const fs = buf.indexOf(END_BLOCK, from);
    const vt = buf.indexOf(START_BLOCK, from);
    if (vt >= 0 && (fs < 0 || vt < fs)) {
      if (this.state === 'frame') {
        events.push({ kind: 'error', code: 'unterminated-frame', message: 'a new frame started before the previous one ended; the partial message was dropped' });
      }
      this.begin();
      return vt + 1;
    }
    if (fs < 0) {
      this.append(buf.subarray(from), events);
      return buf.length;
    }
    this.append(buf.subarray(from, fs), events);
    if (fs + 1 >= buf.length) {
      this.pendingEnd = true;
      return buf.length;
    }
    if (buf[fs + 1] === CARRIAGE_RETURN) {
      this.finish(events);
      return fs + 2;
    }
    this.append(buf.subarray(fs, fs + 1), events);
    return fs + 1;
  }

  private append(part: Buffer, events: MllpEvent[]): void {
    if (this.state !== 'frame' || part.length === 0) return;
    if (this.size + part.length > this.max) {
      events.push({ kind: 'error', code: 'message-too-large', message: `a message exceeded the maximum of ${this.max} bytes and was dropped` });
      this.parts = [];
      this.size = 0;
      this.state = 'skip';
      return;
    }
    // Copy: the caller may reuse its buffer once push returns.
    this.parts.push(Buffer.from(part));
    this.size += part.length;
  }

  private finish(events: MllpEvent[]): void {
    if (this.state === 'frame') events.push({ kind: 'message', payload: this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size) });
    this.reset();
  }

  private begin(): void {
    this.state = 'frame';
    this.parts = [];
    this.size = 0;
    this.pendingEnd = false;
  }

  private reset(): void {
    this.state = 'idle';
    this.parts = [];
    this.size = 0;
    this.pendingEnd = false;
  }
}

/** One message wrapped for sending: 0x0B payload 0x1C 0x0D (text is written as UTF-8). */
export function frame(message: string | Uint8Array): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : Buffer.from(message);
  return Buffer.concat([Buffer.from([START_BLOCK]), body, Buffer.from([END_BLOCK, CARRIAGE_RETURN])]);
}
