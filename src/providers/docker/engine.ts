import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { stripControls } from '../../core/chat/text.js';
import { UserError } from '../../core/runtime/errors.js';

/**
 * The Engine API version fleetbot speaks: Docker 20.10 (Debian 12's docker.io) and every later
 * Engine serve it, and tests check each request against its published document.
 */
export const engineApiVersion = '1.41';

/** How long one Engine call may take unless it says otherwise; image builds and waits pass their own. */
const defaultTimeoutMs = 30_000;
/** What an error or a body read into memory may be: a listing of a busy host fits, a runaway does not. */
const maxBodyBytes = 8 * 1024 * 1024;

/** The Engine refused a call: its status and its own words, with what fleetbot was doing. */
export class EngineError extends UserError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The Engine never answered (not running, refused, timed out). */
export class EngineUnreachableError extends UserError {}

export const isNotFound = (err: unknown): boolean => err instanceof EngineError && err.status === 404;

const errorBody = z.object({ message: z.string() });

export type EngineCall = {
  /** What fleetbot was doing, for messages: "creating container fleetbot-alice". */
  what: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A request body sent as it is (a tar archive), with its content type. */
  raw?: { body: Buffer; contentType: string };
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type Engine = {
  /** How messages name it: "the Docker socket /var/run/docker.sock", "Docker on deploy@lab1". */
  readonly where: string;
  /** A call whose answer is JSON, checked against `schema`. */
  json<S extends z.ZodType>(
    method: Dispatcher.HttpMethod,
    path: string,
    schema: S,
    call: EngineCall,
  ): Promise<z.output<S>>;
  /** A call whose answer carries nothing to read (204, 201 with an id nobody needs, 304). */
  send(method: Dispatcher.HttpMethod, path: string, call: EngineCall): Promise<void>;
  /** A call whose answer is bytes (logs, an archive), read up to `maxBytes`. */
  bytes(
    method: Dispatcher.HttpMethod,
    path: string,
    call: EngineCall & { maxBytes: number },
  ): Promise<Buffer>;
  /**
   * A call whose answer is read as it comes (an image build's progress): its chunks to the end, within
   * the call's timeout; leaving the loop early drops the connection, which ends what the Engine was doing.
   */
  stream(method: Dispatcher.HttpMethod, path: string, call: EngineCall): AsyncIterable<Buffer>;
  /** A call the Engine answers by handing over the connection (an attached exec): its raw stream. */
  hijack(path: string, call: EngineCall): Promise<Duplex>;
  close(): Promise<void>;
};

const versioned = (path: string, query: EngineCall['query']): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined)
      params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  const search = params.toString();
  return `/v${engineApiVersion}${path}${search ? `?${search}` : ''}`;
};

/** Reads a body to its end, refusing one past `max` bytes (it is dropped, not buffered). */
async function readCapped(body: AsyncIterable<Buffer>, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new Error(`the answer to ${what} is over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The Engine's own words, one line and capped: they name images and containers, never secrets. */
const engineWords = (body: Buffer): string => {
  const text = body.toString('utf8');
  let message = text;
  try {
    message = errorBody.parse(JSON.parse(text)).message;
  } catch {
    // Not the Engine's JSON error (a proxy's page): its text, as it is, says what there is to say.
  }
  return stripControls(message).replace(/\s+/g, ' ').trim().slice(0, 400) || 'no reason given';
};

/**
 * A client for the Docker Engine API over a dispatcher that reaches its socket (`engineDispatcher`):
 * every call has a timeout, every JSON answer is checked, every refusal says what fleetbot was doing.
 */
export function createEngine(opts: { dispatcher: Dispatcher; where: string }): Engine {
  const { dispatcher, where } = opts;

  const unreachable = (err: unknown, call: EngineCall, timeoutMs: number, timedOut: boolean): never => {
    if (call.signal?.aborted) throw call.signal.reason;
    if (err instanceof UserError) throw err;
    const code = (err as { code?: string }).code;
    const why = timedOut
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : (code ?? (err as Error).message);
    throw new EngineUnreachableError(
      `${where} did not answer while ${call.what} (${why}). Check that dockerd is running there (systemctl status docker) and that fleetbot may use its socket.`,
    );
  };

  const dispatch = async (method: Dispatcher.HttpMethod, path: string, call: EngineCall) => {
    const timeoutMs = call.timeoutMs ?? defaultTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const body =
      call.raw?.body ?? (call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body)));
    try {
      const res = await dispatcher.request({
        method,
        path: versioned(path, call.query),
        headers: {
          ...(body === undefined ? {} : { 'content-type': call.raw?.contentType ?? 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.statusCode >= 400) {
        const words = engineWords(await readCapped(res.body, 64 * 1024, call.what));
        throw new EngineError(`${where} refused ${call.what}: ${words}`, res.statusCode);
      }
      return { res, timeout, timeoutMs };
    } catch (err) {
      return unreachable(err, call, timeoutMs, timeout.aborted);
    }
  };

  const readBody = async (
    reply: Awaited<ReturnType<typeof dispatch>>,
    call: EngineCall,
    max: number,
  ): Promise<Buffer> => {
    try {
      return await readCapped(reply.res.body, max, call.what);
    } catch (err) {
      return unreachable(err, call, reply.timeoutMs, reply.timeout.aborted);
    }
  };

  return {
    where,
    async json(method, path, schema, call) {
      const reply = await dispatch(method, path, call);
      const text = (await readBody(reply, call, maxBodyBytes)).toString('utf8');
      const parsed = schema.safeParse(text === '' ? undefined : JSON.parse(text));
      if (!parsed.success)
        throw new EngineError(
          `${where} answered ${call.what} with something fleetbot does not understand (${z.prettifyError(parsed.error).split('\n')[0]}). Is it Docker Engine 20.10 or later?`,
          reply.res.statusCode,
        );
      return parsed.data;
    },
    async send(method, path, call) {
      const reply = await dispatch(method, path, call);
      await readBody(reply, call, maxBodyBytes);
    },
    async bytes(method, path, call) {
      return readBody(await dispatch(method, path, call), call, call.maxBytes);
    },
    async *stream(method, path, call) {
      const reply = await dispatch(method, path, call);
      try {
        for await (const chunk of reply.res.body) yield chunk as Buffer;
      } catch (err) {
        unreachable(err, call, reply.timeoutMs, reply.timeout.aborted);
      } finally {
        reply.res.body.destroy();
      }
    },
    async hijack(path, call) {
      const timeoutMs = call.timeoutMs ?? defaultTimeoutMs;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        // The Engine reads the exec's options from the body of the upgrade request; undici sends a body
        // on any request, though its upgrade types leave the field out.
        const options = {
          method: 'POST',
          path: versioned(path, call.query),
          protocol: 'tcp',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(call.body ?? {}),
          signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
        } as Dispatcher.UpgradeOptions;
        const { socket } = await dispatcher.upgrade(options);
        return socket;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status !== undefined && status >= 400)
          throw new EngineError(`${where} refused ${call.what} (HTTP ${status})`, status);
        return unreachable(err, call, timeoutMs, timeout.aborted);
      }
    },
    close: () => dispatcher.close(),
  };
}
