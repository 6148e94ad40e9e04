import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';
import type { EngineSpecCheck } from './engineSpec.js';

/**
 * A Unix socket that serves the Docker Engine API by passing every request on to a real dockerd's
 * socket through the API document check: what reaches it from afar (a client at the other end of an
 * SSH channel) is checked where it arrives, whoever built the client. Attached execs (an HTTP upgrade)
 * are checked and passed on as raw streams both ways.
 */
export type CheckedEngineSocket = {
  path: string;
  /** Every request that arrived, as `METHOD path`, checked or not. */
  readonly received: readonly string[];
  close(): Promise<void>;
};

/** Headers about one hop's connection, which the next hop sets for itself. */
const hopHeaders = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
]);

const forwardedHeaders = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (!hopHeaders.has(name) && typeof value === 'string') out[name] = value;
  return out;
};

/** A request body, or undefined when it has none (a body-less POST is sent with `content-length: 0`). */
const bodyOf = (chunks: Buffer[]): Buffer | undefined => {
  const body = Buffer.concat(chunks);
  return body.length > 0 ? body : undefined;
};

/** The `content-length` bytes after an upgrade request's head: Node leaves them on the raw socket. */
const readUpgradeBody = (
  socket: Duplex,
  head: Buffer,
  length: number,
): Promise<{ body: Buffer; rest: Buffer }> =>
  new Promise((resolve, reject) => {
    let got = head;
    const done = (): boolean => {
      if (got.length < length) return false;
      socket.off('data', more);
      socket.off('error', reject);
      socket.pause();
      resolve({ body: got.subarray(0, length), rest: got.subarray(length) });
      return true;
    };
    const more = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      done();
    };
    if (done()) return;
    socket.on('data', more);
    socket.once('error', reject);
  });

export async function serveCheckedEngineSocket(opts: {
  path: string;
  /** The real dockerd's socket. */
  engineSocket: string;
  spec: EngineSpecCheck;
}): Promise<CheckedEngineSocket> {
  const upstream: Dispatcher = opts.spec.dispatcher(
    new Pool('http://docker', { socketPath: opts.engineSocket, connections: 16 }),
  );
  const received: string[] = [];
  const streams = new Set<Duplex>();

  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      upstream
        .request({
          method: req.method as Dispatcher.HttpMethod,
          path: req.url ?? '/',
          headers: forwardedHeaders(req),
          body: bodyOf(chunks),
        })
        .then(async (answer) => {
          const headers = Object.fromEntries(
            Object.entries(answer.headers).filter(
              ([name]) => !hopHeaders.has(name) || name === 'content-length',
            ),
          );
          res.writeHead(answer.statusCode, headers);
          await pipeline(answer.body, res);
        })
        .catch((err: unknown) => {
          if (res.headersSent) res.destroy();
          else
            res
              .writeHead(502, { 'content-type': 'application/json' })
              .end(JSON.stringify({ message: String(err) }));
        });
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    received.push(`${req.method} ${req.url}`);
    streams.add(socket);
    socket.once('close', () => streams.delete(socket));
    const length = Number(req.headers['content-length'] ?? 0);
    readUpgradeBody(socket, head, length)
      .then(async ({ body, rest }) => {
        const { headers, socket: engineStream } = await upstream.upgrade({
          method: req.method,
          path: req.url ?? '/',
          protocol: req.headers.upgrade ?? 'tcp',
          headers: forwardedHeaders(req),
          body: bodyOf([body]),
        } as Dispatcher.UpgradeOptions);
        streams.add(engineStream);
        engineStream.once('close', () => streams.delete(engineStream));
        const lines = Object.entries(headers)
          .filter(([name]) => name !== 'connection' && name !== 'upgrade')
          .map(([name, value]) => `${name}: ${String(value)}\r\n`)
          .join('');
        socket.write(
          `HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade ?? 'tcp'}\r\n${lines}\r\n`,
        );
        if (rest.length > 0) engineStream.write(rest);
        socket.pipe(engineStream);
        engineStream.pipe(socket);
        socket.resume();
        socket.once('error', () => engineStream.destroy());
        engineStream.once('error', () => socket.destroy());
      })
      .catch((err: unknown) => {
        const status = (err as { statusCode?: number }).statusCode ?? 502;
        const message = JSON.stringify({ message: String(err) });
        socket.end(
          `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`,
        );
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.path, resolve);
  });
  return {
    path: opts.path,
    received,
    async close() {
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
