/**
 * The control channel of a running server: a Unix socket inside the data folder (mode 0600, so
 * only the owner of the folder can use it, as they could open the database anyway). Other `ohc`
 * commands send their arguments here and the server runs them on the database it owns, streaming
 * their output back. Frames are JSON lines.
 */
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';

export interface ControlRequest { argv: string[]; cwd: string; stdin: string }
type Frame = { o: string } | { e: string } | { exit: number };

export interface ForwardedIo { out: (text: string) => void; err: (text: string) => void; stdin: () => Promise<string> }

export type CommandRunner = (req: ControlRequest, io: ForwardedIo) => Promise<number>;

const MAX_REQUEST_BYTES = 1024 * 1024;

export async function startControlServer(socketPath: string, run: CommandRunner): Promise<{ close(): Promise<void> }> {
  rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buf = '';
    let started = false;
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      if (started) return;
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) return socket.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      started = true;
      const send = (f: Frame) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(f)}\n`);
      };
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
        if (!Array.isArray(req.argv) || typeof req.cwd !== 'string') throw new Error('bad request');
      } catch {
        send({ e: 'ohc: the control request was not understood\n' });
        send({ exit: 2 });
        socket.end();
        return;
      }
      const io: ForwardedIo = { out: (o) => send({ o }), err: (e) => send({ e }), stdin: () => Promise.resolve(req.stdin ?? '') };
      run(req, io)
        .then((code) => send({ exit: code }))
        .catch((err: unknown) => {
          send({ e: `ohc: ${err instanceof Error ? err.message : String(err)}\n` });
          send({ exit: 1 });
        })
        .finally(() => socket.end());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(socketPath, { force: true });
      }),
  };
}

/** Runs a command in the server; resolves with its exit code. */
export function forwardToServer(socketPath: string, req: ControlRequest, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buf = '';
    let code: number | null = null;
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const frame = JSON.parse(buf.slice(0, nl)) as Frame;
        buf = buf.slice(nl + 1);
        if ('o' in frame) out(frame.o);
        else if ('e' in frame) err(frame.e);
        else code = frame.exit;
      }
    });
    socket.on('error', reject);
    socket.on('close', () => (code === null ? reject(new Error('the server closed the control connection without an answer')) : resolve(code)));
  });
}
