/**
 * A small MLLP client: one connection, messages sent one at a time, each waiting for its ACK —
 * how source systems send. Used by `ohc load` and the tests.
 */
import net from 'node:net';
import { MllpDecoder, frame } from './frame.ts';

export class MllpClient {
  private readonly decoder = new MllpDecoder();
  private waiting: { resolve: (ack: string) => void; reject: (e: Error) => void } | null = null;
  private queued: string[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: net.Socket, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind !== 'message') continue;
        const text = ev.payload.toString('utf8');
        const w = this.waiting;
        this.waiting = null;
        if (w) w.resolve(text);
        else this.queued.push(text);
      }
    });
    const fail = (e: Error) => {
      this.closedError = e;
      this.waiting?.reject(e);
      this.waiting = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the MLLP connection closed')));
  }

  static connect(host: string, port: number, timeoutMs = 30_000): Promise<MllpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port }, () => resolve(new MllpClient(socket, timeoutMs)));
      socket.once('error', reject);
    });
  }

  /** Sends one message and resolves with the ACK text. */
  send(message: string): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no ACK within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (a) => { clearTimeout(timer); resolve(a); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.socket.write(frame(message));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

/** The MSA-1 code of an ACK. */
export function ackCode(ack: string): string {
  const msa = ack.split(/\r\n|\r|\n/).find((l) => l.startsWith('MSA'));
  return msa ? (msa.split(msa[3] ?? '|')[1] ?? '') : '';
}

/** Splits a file of HL7 messages (segments ended by CR, messages separated by blank lines or not). */
export function splitHl7File(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let current: string[] = [];
  for (const line of lines) {
    if (line.startsWith('MSH') && current.length > 0) {
      out.push(current.join('\r'));
      current = [];
    }
    if (line.trim() !== '') current.push(line);
  }
  if (current.length > 0) out.push(current.join('\r'));
  return out;
}
