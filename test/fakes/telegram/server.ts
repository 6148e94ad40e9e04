import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { chatStats } from './context.js';
import type { Handler } from './context.js';
import { ApiError } from './errors.js';
import type { ResponseParameters, Violation } from './errors.js';
import type { FailureInjector } from './failures.js';
import { readParams } from './request-body.js';
import type { RawParams } from './request-body.js';
import { findMethod } from './spec.js';
import { validateParams } from './spec-validate.js';
import type { CallRecord, FakeStats } from './types.js';

export interface ApiServerOptions {
  token: string;
  /** Keyed by the canonical method name from the spec. */
  handlers: ReadonlyMap<string, Handler>;
  failures: FailureInjector;
  calls: CallRecord[];
  violations: Violation[];
  stats: FakeStats;
}

type Envelope =
  | { ok: true; result: unknown }
  | { ok: false; error_code: number; description: string; parameters?: ResponseParameters };

/** Status recorded for a call whose client hung up or whose connection the fake dropped on purpose. */
const NO_RESPONSE = 0;

/** The HTTP side: routing, token check, parameter parsing and spec validation, then the method handler. */
export function createApiServer(options: ApiServerOptions): Server {
  return createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      // A bug in the fake itself: answer like the real server's internal error so the test fails visibly.
      console.error('fake Telegram server error', err);
      write(res, 500, failure(500, `Internal Server Error: ${(err as Error).message}`));
    });
  });
}

async function handle(o: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const url = new URL(req.url ?? '/', 'http://fake-telegram.invalid');
  const route = /^\/bot([^/]*)\/([^/]+)$/.exec(url.pathname);
  const [, token = '', name = ''] = route ?? [];
  if (route === null) {
    write(res, 404, failure(404, 'Not Found'));
    return;
  }
  // A token the server cannot even parse gets a more specific message than a well-formed unknown one.
  if (!/^[1-9]\d*:.+$/.test(token) || token.length > 80) {
    write(res, 401, failure(401, 'Unauthorized: invalid token specified'));
    return;
  }
  if (token !== o.token) {
    write(res, 401, failure(401, 'Unauthorized'));
    return;
  }

  const record = (method: string, params: Record<string, unknown>, status: number, envelope?: Envelope) => {
    if (envelope !== undefined) write(res, status, envelope);
    o.calls.push({ method, params, status: res.writableEnded ? status : NO_RESPONSE, at });
    if (status === 429) {
      o.stats.tooManyRequests += 1;
      if (typeof params.chat_id === 'number') chatStats(o.stats, params.chat_id).tooManyRequests += 1;
    }
  };

  const method = findMethod(name);
  if (method === undefined) {
    o.violations.push({ method: name, problem: 'unknown Bot API method' });
    record(name, Object.fromEntries(url.searchParams), 404, failure(404, 'Not Found'));
    return;
  }

  // Created before the body is read so that a client hanging up at any point is noticed.
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });

  let raw: RawParams;
  try {
    raw = await readParams(req, url);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.extra.violation !== undefined) o.violations.push({ method: method.name, ...err.extra.violation });
    record(method.name, {}, err.status, failure(err.status, err.description));
    return;
  }

  const { params: typed, issues } = validateParams(method, raw.fields, raw.files);
  for (const issue of issues)
    o.violations.push({ method: method.name, field: issue.field, problem: issue.problem });
  // Record what the bot sent, with typed values where the spec check could produce them.
  const params = { ...raw.fields, ...typed };

  const injected = o.failures.take(method.name);
  if (injected !== undefined) {
    if ('dropConnection' in injected) {
      req.socket.destroy();
      record(method.name, params, NO_RESPONSE);
      return;
    }
    if ('delayMs' in injected) {
      await sleep(injected.delayMs);
    } else {
      const parameters = injected.retryAfter === undefined ? undefined : { retry_after: injected.retryAfter };
      record(
        method.name,
        params,
        injected.status,
        failure(injected.status, injected.description, parameters),
      );
      return;
    }
  }

  const fatal = issues.find((i) => i.fatal);
  if (fatal !== undefined) {
    record(method.name, params, 400, failure(400, fatal.description));
    return;
  }

  const handler = o.handlers.get(method.name);
  if (handler === undefined) {
    o.violations.push({
      method: method.name,
      problem: 'valid Bot API method that the fake does not implement; extend test/fakes/telegram',
    });
    record(method.name, params, 501, failure(501, `Not Implemented: the fake has no ${method.name}`));
    return;
  }

  try {
    const result: unknown = await handler({ params, signal: abort.signal, now: at });
    record(method.name, params, 200, { ok: true, result });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.extra.violation !== undefined) o.violations.push({ method: method.name, ...err.extra.violation });
    record(method.name, params, err.status, failure(err.status, err.description, err.extra.parameters));
  }
}

function failure(status: number, description: string, parameters?: ResponseParameters): Envelope {
  return parameters === undefined
    ? { ok: false, error_code: status, description }
    : { ok: false, error_code: status, description, parameters };
}

/** Every reply is a JSON envelope: grammY parses the body whatever the status. */
function write(res: ServerResponse, status: number, envelope: Envelope): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(envelope);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  };
  const retryAfter = envelope.ok ? undefined : envelope.parameters?.retry_after;
  if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
  res.writeHead(status, headers).end(body);
}
