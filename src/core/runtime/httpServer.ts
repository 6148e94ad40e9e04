import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from './logging.js';

export type HttpHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void> | void;

/** What a route accepts, decided on the request line and headers, before any byte of the body is read. */
export type RouteLimits = {
  /** The largest body the route reads; a bigger one is refused unread. Default: none for GET, 1 MiB otherwise. */
  maxBodyBytes?: number;
  /** Whether the caller may use the route (a bearer token, a webhook's secret header); 401 if not. */
  authorize?: (req: IncomingMessage) => boolean;
  /** How many of the route's requests may be open at once; more are answered 503 unread, so a flood holds at most this many bodies. */
  maxInFlight?: number;
};

/** An authorizer that takes a request whose header `name` is exactly `expected`, compared in constant time. */
export const headerEquals =
  (name: string, expected: string) =>
  (req: IncomingMessage): boolean => {
    const given = Buffer.from(String(req.headers[name] ?? ''));
    const wanted = Buffer.from(expected);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  };

const defaultMaxBodyBytes = 1024 * 1024;
/** Enough for Prometheus, a load balancer and webhook deliveries; a flood of idle sockets is turned away. */
const defaultMaxConnections = 64;

/**
 * One small HTTP server for everything fleetbot receives over HTTP (webhooks, health, metrics):
 * exact-path routes; a request is checked (route, caller, declared size, the route's open requests)
 * before its body is read, and
 * the body is read only up to the route's cap; a handler's failure is answered with 500. It listens on
 * 127.0.0.1 unless told otherwise.
 */
export function createHttpServer(opts: {
  port: number;
  host?: string;
  log: Logger;
  maxConnections?: number;
}) {
  const routes = new Map<string, { handler: HttpHandler; limits: RouteLimits; open: number }>();
  const refuse = (
    res: ServerResponse,
    status: number,
    text: string,
    headers: Record<string, string> = {},
  ) => {
    // The body, if any, stays unread: the connection is closed instead of being drained.
    res.shouldKeepAlive = false;
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...headers }).end(text);
  };
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.get(`${method} ${path}`);
    if (!route) return refuse(res, 404, 'not found');
    const { handler, limits } = route;
    if (limits.authorize && !limits.authorize(req))
      return refuse(res, 401, 'not authorized', { 'www-authenticate': 'Bearer' });
    const maxBodyBytes = limits.maxBodyBytes ?? (method === 'GET' ? 0 : defaultMaxBodyBytes);
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return refuse(res, 413, 'body too large');
    if (limits.maxInFlight !== undefined && route.open >= limits.maxInFlight)
      return refuse(res, 503, 'busy, try again', { 'retry-after': '1' });
    route.open += 1;
    res.once('close', () => (route.open -= 1));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else if (!res.headersSent) {
        refuse(res, 413, 'body too large');
        req.destroy();
      }
    });
    req.on('end', () => {
      if (res.headersSent) return;
      Promise.resolve(handler(req, Buffer.concat(chunks), res)).catch((err: unknown) => {
        opts.log.error({ err, path }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      });
    });
  });
  server.maxConnections = opts.maxConnections ?? defaultMaxConnections;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  return {
    route(method: string, path: string, handler: HttpHandler, limits: RouteLimits = {}): void {
      routes.set(`${method} ${path}`, { handler, limits, open: 0 });
    },
    listen: (): Promise<number> =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
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
