import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { startMllpListener } from './listener.ts';
import { MllpDecoder, frame } from './frame.ts';

// The handler stands in for the receive path: it answers each message with an ACK naming it.
const handler = async (text: string) => `MSH|^~\\&|OHC|OHC|||20240101||ACK|A1|P|2.4\rMSA|AA|${text.split('|')[9] ?? ''}`;
const message = (id: string) => `MSH|^~\\&|PAS|RJE|OHC|OHC|20240101||ADT^A28|${id}|P|2.4\rPID|1||X`;

function collect(socket: net.Socket, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    const decoder = new MllpDecoder();
    const out: string[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) if (ev.kind === 'message') out.push(ev.payload.toString());
      if (out.length >= n) resolve(out);
    });
  });
}

describe('MLLP listener', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ohc-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every message of a connection in order, whatever the packet splits', async () => {
    const l = await startMllpListener({ port: 0, host: '127.0.0.1', maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000 }, handler);
    const socket = net.createConnection({ host: '127.0.0.1', port: l.port });
    const acks = collect(socket, 3);
    const bytes = Buffer.concat([frame(message('M1')), frame(message('M2')), frame(message('M3'))]);
    for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
    expect((await acks).map((a) => a.split('MSA|AA|')[1])).toEqual(['M1', 'M2', 'M3']);
    socket.destroy();
    await l.close();
  });

  it('speaks TLS when given a certificate', async () => {
    const l = await startMllpListener({
      port: 0, host: '127.0.0.1', maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000,
      tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') },
    }, handler);
    const socket = tls.connect({ host: '127.0.0.1', port: l.port, ca: readFileSync(path.join(dir, 'cert.pem')), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const acks = collect(socket, 1);
    socket.write(frame(message('T1')));
    expect((await acks)[0]).toContain('MSA|AA|T1');
    socket.destroy();
    await l.close();
  });

  it('closes a connection left idle', async () => {
    const l = await startMllpListener({ port: 0, host: '127.0.0.1', maxMessageBytes: 1 << 20, idleTimeoutMs: 200 }, handler);
    const socket = net.createConnection({ host: '127.0.0.1', port: l.port });
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    expect(closed).toBe(true);
    await l.close();
  });

  it('reports an error of the listening socket and goes on answering', async () => {
    const errors: string[] = [];
    const l = await startMllpListener({ port: 0, host: '127.0.0.1', maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000, onError: (e) => errors.push((e as Error).message) }, handler);
    // As accept() reports when the process runs out of file descriptors.
    l.server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }));
    expect(errors).toEqual(['MLLP listener: accept EMFILE']);
    const socket = net.createConnection({ host: '127.0.0.1', port: l.port });
    const acks = collect(socket, 1);
    socket.write(frame(message('AFTER')));
    expect((await acks)[0]).toContain('MSA|AA|AFTER');
    socket.destroy();
    await l.close();
  });

  it('refuses an over-size message without an ACK and goes on with the next', async () => {
    const l = await startMllpListener({ port: 0, host: '127.0.0.1', maxMessageBytes: 200, idleTimeoutMs: 10_000, onError: () => undefined }, handler);
    const socket = net.createConnection({ host: '127.0.0.1', port: l.port });
    const acks = collect(socket, 1);
    socket.write(Buffer.concat([frame(message('BIG') + 'X'.repeat(500)), frame(message('OK1'))]));
    expect((await acks)[0]).toContain('MSA|AA|OK1');
    socket.destroy();
    await l.close();
  });
});
