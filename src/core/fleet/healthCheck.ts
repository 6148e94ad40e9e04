import type * as Undici from 'undici';
import { z } from 'zod';
import { agentText } from '../chat/text.js';
import { errorMessage } from '../runtime/errors.js';
import type { AgentHealth } from './provider.js';

/** What an agent's health endpoint answers (the reference agent, and any agent a role runs). */
export const healthBodySchema = z
  .object({
    status: z.string(),
    version: z.string().optional(),
    uptime: z.number().optional(),
  })
  .loose();

/**
 * The most a health answer may carry. A health answer is a small JSON object; an agent that answers
 * with more is either broken or trying to exhaust fleetbot's memory, so the check fails unread.
 */
export const maxHealthBodyBytes = 64 * 1024;

/** What a check says about an answer over the cap, here and over SSH. */
export const healthBodyTooLarge = `health answered with more than ${maxHealthBodyBytes / 1024} KiB; a health answer is a small JSON object`;

/**
 * undici, loaded with the first check, not at start: about 9 MB of an idle fleetbot's memory and
 * 150 ms of its start (B7 in BENCHMARKS.md), and a fleet with nothing running never checks. The
 * promise is kept: an `import()` per check cost a monitor cycle over 5,000 agents 0.1 s of CPU.
 */
let undici: Promise<typeof Undici> | undefined;
/** One pooled client for every health check, so checks reuse connections instead of opening new ones. */
let pool: Undici.Dispatcher | undefined;

/**
 * GET the health URL with a hard timeout. Healthy means 200 and a JSON body that parses. The agent's
 * own words are not trusted to say whose it is: telling fleetbot's agent from a stranger on a reused
 * port is its provider's job (the local provider checks who holds the port).
 */
export async function checkHealth(
  url: string,
  opts: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** Another connection pool, e.g. one that trusts a test CA; the shared pool otherwise. */
    dispatcher?: Undici.Dispatcher;
  },
): Promise<AgentHealth> {
  const { Agent: HttpAgent, request } = await (undici ??= import('undici'));
  const dispatcher =
    opts.dispatcher ?? (pool ??= new HttpAgent({ keepAliveTimeout: 10_000, connections: 64 }));
  const started = performance.now();
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)])
    : AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await request(url, {
      dispatcher,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      headers: { accept: 'application/json' },
    });
    const text = await readCapped(res.body, res.headers['content-length']);
    const latencyMs = Math.round(performance.now() - started);
    if (text === undefined) return { state: 'unhealthy', detail: healthBodyTooLarge, latencyMs };
    if (res.statusCode !== 200)
      return { state: 'unhealthy', detail: `health answered HTTP ${res.statusCode}`, latencyMs };
    let body: z.output<typeof healthBodySchema>;
    try {
      body = healthBodySchema.parse(JSON.parse(text));
    } catch {
      return { state: 'unhealthy', detail: 'health answered 200 but not with the expected JSON', latencyMs };
    }
    return {
      state: 'healthy',
      detail: `status ${agentText(body.status, 64)}${body.version ? `, version ${agentText(body.version, 64)}` : ''}`,
      latencyMs,
      ...(body.uptime === undefined ? {} : { uptimeSeconds: body.uptime }),
    };
  } catch (err) {
    const timedOut = signal.aborted && !opts.signal?.aborted;
    return {
      state: 'unhealthy',
      detail: timedOut
        ? `no answer within ${opts.timeoutMs} ms`
        : `cannot reach ${url}: ${describeNetError(err)}`,
    };
  }
}

/** The body as text, or undefined (the rest unread, the connection dropped) once it passes the cap. */
async function readCapped(
  body: Undici.Dispatcher.ResponseData['body'],
  contentLength: string | string[] | undefined,
): Promise<string | undefined> {
  if (Number(contentLength) > maxHealthBodyBytes) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxHealthBodyBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeNetError(err: unknown): string {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : (code ?? errorMessage(err));
}
