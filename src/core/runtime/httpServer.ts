import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from './logging.js';

export type HttpHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void> | void;

const maxBodyBytes = 1024 * 1024;

/**
 * One small HTTP server for everything fleetbot receives over HTTP (webhooks now, health and metrics
 * later): exact-path routes, bodies capped at 1 MiB, and a handler's failure answered with 500.
 */
export function createHttpServer(opts: { port: number; host?: string; log: Logger }) {
  const routes = new Map<string, HttpHandler>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = routes.get(`${req.method ?? 'GET'} ${path}`);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('body too large');
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      Promise.resolve(handler(req, Buffer.concat(chunks), res)).catch((err: unknown) => {
        opts.log.error({ err, path }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return {
    route(method: string, path: string, handler: HttpHandler): void {
      routes.set(`${method} ${path}`, handler);
    },
    listen: (): Promise<number> =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : opts.port);
        });
      }),
    close: (): Promise<void> =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type HttpServer = ReturnType<typeof createHttpServer>;
