import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An agent whose health endpoint answers 200 with `bytes` of body (announced, or chunked), counting the
 * bytes it managed to hand to its socket before the other side stopped reading.
 */
export async function hostileHealth(answer: { chunked: boolean; bytes: number }) {
  let sent = 0;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(answer.chunked ? {} : { 'content-length': String(answer.bytes) }),
    });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = (): void => {
      while (sent < answer.bytes) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`,
    sent: () => sent,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
