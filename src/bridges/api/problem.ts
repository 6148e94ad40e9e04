import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ProblemKind } from '../../core/api/call.js';
import type { Refuse } from '../../core/runtime/httpServer.js';

/** RFC 9457 problem details, as every error of the API is answered. */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem; about:blank for plain HTTP errors'),
    title: z.string().describe('The kind of problem, the same for every occurrence'),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What went wrong this time and what to do next'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

export const problemMediaType = 'application/problem+json';

const kinds: Record<ProblemKind, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  refused: { status: 422, title: 'Refused' },
  rate_limited: { status: 429, title: 'Too many requests' },
  error: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Unavailable' },
};

/** Statuses the HTTP layer itself answers, before any command is called. */
const httpTitles: Record<number, string> = {
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Content too large',
  415: 'Unsupported media type',
  503: 'Unavailable',
};

/** Every status a route may answer with a problem, for the OpenAPI document. */
export const problemStatuses = [
  ...new Set([...Object.values(kinds).map((k) => k.status), ...Object.keys(httpTitles).map(Number)]),
].sort((a, b) => a - b);

/** A problem of a kind programs branch on; its type names the kind and is not meant to be fetched. */
export const problemOf = (kind: ProblemKind, detail: string): Problem => ({
  type: `urn:fleetbot:problem:${kind.replace('_', '-')}`,
  ...kinds[kind],
  detail,
});

export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  headers: Record<string, string> = {},
): void {
  const extra = problem.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  res
    .writeHead(problem.status, { 'content-type': problemMediaType, ...extra, ...headers })
    .end(JSON.stringify(problem));
}

/** The shared server's own refusals (unknown path, wrong method, size, media type) as problems. */
export const refuseAsProblem: Refuse = (res, { status, detail, headers }) =>
  sendProblem(
    res,
    {
      type: 'about:blank',
      title: httpTitles[status] ?? 'Refused',
      status,
      detail: status === 404 ? 'No such route. GET /v1/openapi.json lists them.' : detail,
    },
    headers,
  );
