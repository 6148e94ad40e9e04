import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation } from '../../core/api/operations.js';
import type { BridgeHost } from '../../core/chat/types.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { HttpServer } from '../../core/runtime/httpServer.js';
import type { Logger } from '../../core/runtime/logging.js';
import { bearerToken, fieldTypes, gatherInput, header } from './input.js';
import { openApiDocument } from './openapi.js';
import { problemOf, refuseAsProblem, sendProblem } from './problem.js';
import { sendEvents } from './sse.js';

/** Far above any operation's input (a prompt is at most 20,000 characters); read only up to this. */
export const maxApiBodyBytes = 64 * 1024;
/** Requests open at once per route; a stream holds its slot until it ends or the client leaves. */
const maxInFlight = 16;

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** Seconds a client should wait, whole and at least one (Retry-After takes no fractions). */
const retryAfter = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

/** Repeating a POST that only starts something must not start it twice (deploy, restart, cancel). */
export const takesIdempotencyKey = (op: Operation): boolean => op.http?.method === 'POST' && !op.http.sse;

/**
 * One operation's route: its input from the path, the query string and the JSON body, checked by the
 * operation's own schema, then called through the router with the request's bearer key; the record
 * (or the events, for a stream) answers, and every refusal is a problem.
 */
function operationHandler(
  op: Operation & { http: NonNullable<Operation['http']> },
  deps: { host: () => BridgeHost | undefined; clock: Clock; log: Logger },
) {
  const types = fieldTypes(op);
  return async (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    params: Record<string, string>,
  ): Promise<void> => {
    const host = deps.host();
    if (!host) return sendProblem(res, problemOf('unavailable', 'fleetbot is stopping. Try again shortly.'));
    const query = new URL(req.url ?? '/', 'http://api').searchParams;
    const gathered = gatherInput(op, types, { params, query, body });
    if (!gathered.ok) return sendProblem(res, problemOf('invalid', gathered.detail));
    const parsed = op.input.safeParse(gathered.input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.map(String).join('.').slice(0, 80)}: ` : '';
      return sendProblem(
        res,
        problemOf('invalid', `${where}${issue?.message ?? 'invalid input'}`.slice(0, 300)),
      );
    }
    const input = parsed.data;
    const idempotencyKey = takesIdempotencyKey(op) ? header(req, 'idempotency-key') : undefined;
    const answer = await host.call({
      who: { key: bearerToken(req) },
      command: op.command,
      args: op.toArgs(input),
      ...(op.conversation && typeof input.conversation === 'string'
        ? { conversation: input.conversation }
        : {}),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    if (!answer.ok) {
      return sendProblem(
        res,
        problemOf(answer.problem, answer.detail),
        answer.retryAfterMs === undefined ? {} : { 'retry-after': retryAfter(answer.retryAfterMs) },
      );
    }
    const result = answer.result;
    if (op.http.sse) {
      if (!result?.events)
        return sendProblem(res, problemOf('error', 'The command started nothing to follow. Try again.'));
      return sendEvents(res, op.http.status, result.events, header(req, 'last-event-id'), deps.clock);
    }
    if (!result) return sendProblem(res, problemOf('error', 'The command answered nothing. Try again.'));
    json(res, result.pending ? 202 : op.http.status, result.record);
  };
}

/**
 * Serves every operation that has an HTTP route under /v1, and the OpenAPI document made from the
 * same table; anything else under /v1 is answered with a problem. A handler's failure is a 500
 * problem (or a cut stream) and never reaches the process.
 */
export function serveApi(
  http: HttpServer,
  operations: readonly Operation[],
  deps: { host: () => BridgeHost | undefined; clock: Clock; log: Logger; version: string },
): void {
  const document = JSON.stringify(openApiDocument(operations, deps.version));
  http.area('/v1', refuseAsProblem);
  http.route(
    'GET',
    '/v1/openapi.json',
    (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(document);
    },
    { refuse: refuseAsProblem },
  );
  for (const op of operations) {
    if (!op.http) continue;
    const handler = operationHandler({ ...op, http: op.http }, deps);
    const post = op.http.method === 'POST';
    http.route(
      op.http.method,
      op.http.path,
      async (req, body, res, params) => {
        try {
          await handler(req, body, res, params);
        } catch (err) {
          deps.log.error({ err, operation: op.name }, 'an API request failed');
          if (!res.headersSent)
            sendProblem(
              res,
              problemOf('error', 'Something went wrong on fleetbot’s side. Try again; the log says more.'),
            );
          else res.destroy();
        }
      },
      {
        maxBodyBytes: post ? maxApiBodyBytes : 0,
        ...(post ? { contentTypes: ['application/json'] } : {}),
        maxInFlight,
        refuse: refuseAsProblem,
      },
    );
  }
}
