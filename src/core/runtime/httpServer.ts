import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from './logging.js';

export type HttpHandler = (
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  /** The path's `{name}` segments, decoded. */
  params: Record<string, string>,
) => Promise<void> | void;

/** Why a request was turned away before its handler ran; a route or an area may word it its own way. */
export type Refusal = { status: number; detail: string; headers?: Record<string, string> };
export type Refuse = (res: ServerResponse, refusal: Refusal) => void;

/** What a route accepts, decided on the request line and headers, before any byte of the body is read. */
export type RouteLimits = {
  /** The largest body the route reads; a bigger one is refused unread. Default: none for GET, 1 MiB otherwise. */
  maxBodyBytes?: number;
  /** Whether the caller may use the route (a bearer token, a webhook's secret header); 401 if not. */
  authorize?: (req: IncomingMessage) => boolean;
  /** How many of the route's requests may be open at once; more are answered 503 unread, so a flood holds at most this many bodies. */
  maxInFlight?: number;
  /** The media types the body may have (`application/json`); another is refused with 415, unread. */
  contentTypes?: readonly string[];
  /** How this route's refusals are written; plain text when absent. */
  refuse?: Refuse;
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
/**
 * Enough for programs on the API (a CI burst, open SSE streams, MCP clients) besides Prometheus and
 * webhook deliveries; a flood of idle sockets is still turned away, and headersTimeout closes the
 * slow ones.
 */
const defaultMaxConnections = 512;

/** A route's path split at `/`; a `{name}` segment matches any one segment of a request's path. */
type Pattern = readonly string[];

const matchPath = (pattern: Pattern, segments: readonly string[]): Record<string, string> | undefined => {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const given = segments[i]!;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (given === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(given);
      } catch {
        return undefined;
      }
    } else if (part !== given) return undefined;
  }
  return params;
};

const mediaType = (req: IncomingMessage): string =>
  String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();

const plainRefusal: Refuse = (res, { status, detail, headers = {} }) =>
  res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(detail);

/**
 * One small HTTP server for everything fleetbot receives over HTTP (webhooks, health, metrics, the
 * API): routes by method and path, where a `{name}` segment is a parameter; a request is checked (route, caller, declared size, the route's open requests)
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
  type Route = { method: string; pattern: Pattern; handler: HttpHandler; limits: RouteLimits; open: number };
  const routes = new Map<string, Route>();
  /** Path prefixes whose unknown paths and methods are refused in their own words (the API's problems). */
  const areas: { prefix: string; refuse: Refuse }[] = [];
  const refuseWith = (writer: Refuse, res: ServerResponse, refusal: Refusal) => {
    // The body, if any, stays unread: the connection is closed instead of being drained.
    res.shouldKeepAlive = false;
    writer(res, { ...refusal, headers: { connection: 'close', ...refusal.headers } });
  };
  const find = (
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { allowed: string[] } => {
    const segments = path.split('/');
    let allowed: string[] = [];
    for (const route of routes.values()) {
      const params = matchPath(route.pattern, segments);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed = [...allowed, route.method];
    }
    return { allowed };
  };
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const found = find(method, path);
    if (!('route' in found)) {
      const area = areas.find((a) => path === a.prefix || path.startsWith(`${a.prefix}/`));
      const writer = area?.refuse ?? plainRefusal;
      if (found.allowed.length)
        return refuseWith(writer, res, {
          status: 405,
          detail: `${method} is not served here; use ${found.allowed.join(' or ')}.`,
          headers: { allow: found.allowed.join(', ') },
        });
      return refuseWith(writer, res, { status: 404, detail: 'not found' });
    }
    const { route, params } = found;
    const { handler, limits } = route;
    const refuse = (status: number, detail: string, headers: Record<string, string> = {}) =>
      refuseWith(limits.refuse ?? plainRefusal, res, { status, detail, headers });
    if (limits.authorize && !limits.authorize(req))
      return refuse(401, 'not authorized', { 'www-authenticate': 'Bearer' });
    const maxBodyBytes = limits.maxBodyBytes ?? (method === 'GET' ? 0 : defaultMaxBodyBytes);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= maxBodyBytes)) return refuse(413, `The body is larger than ${maxBodyBytes} bytes.`);
    const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
    if (limits.contentTypes && hasBody && !limits.contentTypes.includes(mediaType(req)))
      return refuse(415, `Send the body as ${limits.contentTypes.join(' or ')}.`, {
        'accept-post': limits.contentTypes.join(', '),
      });
    if (limits.maxInFlight !== undefined && route.open >= limits.maxInFlight)
      return refuse(503, 'busy, try again', { 'retry-after': '1' });
    route.open += 1;
    res.once('close', () => (route.open -= 1));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else if (!res.headersSent) {
        refuse(413, `The body is larger than ${maxBodyBytes} bytes.`);
        req.destroy();
      }
    });
    req.on('end', () => {
      if (res.headersSent) return;
      Promise.resolve(handler(req, Buffer.concat(chunks), res, params)).catch((err: unknown) => {
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
      routes.set(`${method} ${path}`, { method, pattern: path.split('/'), handler, limits, open: 0 });
    },
    /** Unknown paths and methods under `prefix` are refused by `refuse` (an API's own error format). */
    area(prefix: string, refuse: Refuse): void {
      areas.push({ prefix, refuse });
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
