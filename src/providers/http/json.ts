import type { Dispatcher } from 'undici';

export type JsonReply = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body; undefined when it was empty, a string when it was not JSON. */
  body: unknown;
};

/** The request never reached an answer: refused, reset, timed out. Safe to retry only if the call is. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

const describe = (err: unknown): string => {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code ?? (err instanceof Error ? err.message : String(err));
};

/** One JSON call with a hard timeout; never retries (callers decide what is safe to repeat). */
export async function sendJson(
  url: string,
  opts: {
    method: Dispatcher.HttpMethod;
    headers: Record<string, string>;
    body?: unknown;
    timeoutMs: number;
    signal?: AbortSignal;
  },
): Promise<JsonReply> {
  // Loaded with the first call, not at start (B7 in BENCHMARKS.md): most starts call no cloud API.
  const { request } = await import('undici');
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let reply: JsonReply;
  let notJson = false;
  try {
    const res = await request(url, {
      method: opts.method,
      headers: {
        accept: 'application/json',
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...opts.headers,
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const text = await res.body.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        notJson = true;
      }
    }
    reply = { status: res.statusCode, headers: res.headers, body };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const timedOut = timeout.aborted;
    throw new NetworkError(
      timedOut ? `no answer within ${Math.round(opts.timeoutMs / 1000)} s` : describe(err),
      timedOut,
    );
  }
  // A success that is not JSON was cut off or mangled on the way: its answer is lost, as after a reset,
  // so it is retried wherever a reset is. An error page in HTML is still an answer.
  if (notJson && reply.status < 400)
    throw new NetworkError('the answer was not JSON (cut off on the way?)', false);
  return reply;
}

export const header = (reply: JsonReply, name: string): string | undefined => {
  const value = reply.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};
