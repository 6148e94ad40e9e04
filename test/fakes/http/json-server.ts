import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureInjector, type InjectedReply, type RequestMatcher } from './failure-injection.js';

export type RequestBody =
  { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'invalid'; text: string };

export interface FakeRequest {
  method: string;
  /** Below the base path and without the query, exactly as the request log and failNext matchers see it. */
  path: string;
  /** The path as sent, for error messages that quote it. */
  fullPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: RequestBody;
}

export interface FakeReply {
  status: number;
  /** Serialised as JSON; `undefined` sends no body at all (204). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Last value wins for repeated parameters. */
  query: Record<string, string>;
  /** Parsed JSON, the raw text when it was not JSON, or undefined when there was no body. */
  body: unknown;
  /** 0 when the connection was dropped on purpose. */
  status: number;
  /** Arrival time, ms since the epoch. */
  at: number;
}

/** Something the client did that the real API would reject or silently ignore. */
export interface Violation {
  method: string;
  path: string;
  problem: string;
}

export interface JsonServerOptions<C> {
  /** API prefix such as `/v1`; anything outside it is answered by `outsideBasePath`. */
  basePath: string;
  /** The API itself; `violation` records a client mistake against this request. */
  handle(request: FakeRequest, violation: (problem: string) => void): FakeReply | Promise<FakeReply>;
  /** Wraps a failure injected with failNext in the API's error envelope. */
  errorReply(status: number, code: C, message: string): FakeReply;
  outsideBasePath(request: FakeRequest): FakeReply;
  /** Headers the API sends on every response, read once the reply is known (rate-limit state, for one). */
  commonHeaders?(): Record<string, string>;
}

export interface JsonServer<C> {
  /** `http://127.0.0.1:PORT` plus the base path. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  assertNoViolations(): void;
  failNext(matcher: RequestMatcher, reply: InjectedReply<C>, times?: number): void;
  close(): Promise<void>;
}

/**
 * A JSON API on a random 127.0.0.1 port: the request log, violations and failure injection live here so
 * that each fake only decides what its API answers.
 */
export async function startJsonServer<C>(options: JsonServerOptions<C>): Promise<JsonServer<C>> {
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const injector = new FailureInjector<C>();
  // Aborts injected delays on close(), so a test that ends early leaves no timer holding the worker open.
  const closing = new AbortController();
  const base = options.basePath;

  const violation = (method: string, path: string, problem: string): void => {
    violations.push({ method, path, problem });
  };

  async function answer(request: FakeRequest): Promise<FakeReply> {
    try {
      return await options.handle(request, (problem) => violation(request.method, request.path, problem));
    } catch (error) {
      // A crash is a bug in the fake; recording it makes assertNoViolations fail loudly instead of a vague 500.
      violation(request.method, request.path, `fake crashed: ${String(error)}`);
      return { status: 500, body: { fake_error: String(error) } };
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const underBase = url.pathname === base || url.pathname.startsWith(`${base}/`);
    const request: FakeRequest = {
      method,
      path: underBase ? url.pathname.slice(base.length) || '/' : url.pathname,
      fullPath: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: await readBody(req),
    };
    const record = (status: number): void => {
      const { path, body } = request;
      requests.push({
        method,
        path,
        query: Object.fromEntries(url.searchParams),
        body: logged(body),
        status,
        at,
      });
    };

    const injected = injector.take(method, request.path);
    if (injected?.delayMs !== undefined) await sleep(injected.delayMs, undefined, { signal: closing.signal });
    if (injected !== undefined && 'dropConnection' in injected) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (injected !== undefined && 'malformedJson' in injected) {
      const status = injected.status ?? 200;
      record(status);
      send(res, { status, headers: options.commonHeaders?.() }, '{"truncated":');
      return;
    }
    let reply: FakeReply;
    if (injected !== undefined && 'code' in injected) {
      reply = options.errorReply(injected.status, injected.code, injected.message);
    } else {
      reply = underBase ? await answer(request) : options.outsideBasePath(request);
    }
    record(reply.status);
    const headers = { ...options.commonHeaders?.(), ...reply.headers };
    send(
      res,
      { status: reply.status, headers },
      reply.body === undefined ? undefined : JSON.stringify(reply.body),
    );
  }

  // serve() only rejects when close() aborted an injected delay or the client vanished mid-body.
  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${base}`,
    requests,
    violations,
    assertNoViolations() {
      if (violations.length === 0) return;
      const lines = violations.map((v) => `  ${v.method} ${v.path}: ${v.problem}`);
      throw new Error(`${violations.length} API contract violation(s):\n${lines.join('\n')}`);
    },
    failNext(matcher, reply, times) {
      injector.add(matcher, reply, times);
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function readBody(req: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return { kind: 'none' };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'invalid', text };
  }
}

function logged(body: RequestBody): unknown {
  if (body.kind === 'json') return body.value;
  return body.kind === 'invalid' ? body.text : undefined;
}

function send(
  res: ServerResponse,
  head: { status: number; headers: Record<string, string> | undefined },
  body: string | undefined,
): void {
  const headers = body === undefined ? head.headers : { 'content-type': 'application/json', ...head.headers };
  res.writeHead(head.status, headers);
  res.end(body);
}
