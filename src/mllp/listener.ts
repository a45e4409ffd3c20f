/**
 * The MLLP listener: HL7 v2 over TCP (optionally TLS). Many messages per connection, messages split
 * across packets, an upper size limit and an idle timeout. Messages on one connection are handled
 * strictly in order, one at a time — each is stored before its ACK is written — and the socket is
 * paused while a backlog builds, so a fast sender is slowed to the pace of durable storage
 * (back-pressure) rather than buffered without bound.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { MllpDecoder, frame } from './frame.ts';
import { decodeHl7Bytes } from '../formats/hl7v2/index.ts';

export interface MllpHandler {
  /** Receives one message's text and returns the ACK text to send back. */
  (text: string): Promise<string>;
}

export interface MllpOptions {
  port: number;
  host: string;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert?: boolean };
  onError?: (err: unknown) => void;
}

const MAX_BACKLOG = 32;

export async function startMllpListener(opts: MllpOptions, handle: MllpHandler): Promise<{ server: net.Server; port: number; close(): Promise<void>; connections(): number }> {
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleTimeoutMs, () => socket.end());
    const decoder = new MllpDecoder({ maxMessageBytes: opts.maxMessageBytes });
    const backlog: Buffer[] = [];
    let working = false;
    const pump = async () => {
      if (working) return;
      working = true;
      while (backlog.length > 0 && !socket.destroyed) {
        const payload = backlog.shift()!;
        try {
          const ack = await handle(decodeHl7Bytes(payload));
          if (!socket.destroyed) socket.write(frame(ack));
        } catch (err) {
          // Storage failed: no ACK is sent, so the sender keeps the message and retries; the
          // connection is closed so it does not wait for an answer that will never come.
          opts.onError?.(err);
          socket.destroy();
        }
        if (backlog.length < MAX_BACKLOG / 2 && socket.isPaused()) socket.resume();
      }
      working = false;
    };
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.kind === 'message') backlog.push(ev.payload);
        else if (ev.kind === 'error') opts.onError?.(new Error(`MLLP: ${ev.message}`));
      }
      if (backlog.length >= MAX_BACKLOG) socket.pause();
      void pump();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };
  const server = opts.tls
    ? tls.createServer({
        cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile),
        ...(opts.tls.caFile ? { ca: readFileSync(opts.tls.caFile) } : {}),
        requestCert: opts.tls.requireClientCert ?? false, rejectUnauthorized: opts.tls.requireClientCert ?? false,
      }, onConnection)
    : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  // Once listening, an error of the listening socket itself (running out of file descriptors as
  // connections are accepted, say) is reported and the listener goes on: unheard, it would end the
  // whole server. Each connection's own errors close only that connection (above).
  server.on('error', (err: Error) => opts.onError?.(new Error(`MLLP listener: ${err.message}`)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    /** The listening server (for diagnostics and tests). */
    server,
    port,
    connections: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.end();
      server.close(() => resolve());
      setTimeout(() => { for (const s of sockets) s.destroy(); }, 2000).unref();
    }),
  };
}
