import {
  startJsonServer,
  type FakeReply,
  type FakeRequest,
  type InjectedReply,
  type RecordedRequest,
  type RequestMatcher,
  type Violation,
} from '../http/index.js';
import { checkRequest, checkResponse } from './contract.js';
import { DEFAULT_ERROR_STATUSES, HcloudError, errorBody, renderError } from './errors.js';
import { findOperation } from './openapi.js';
import { RequestBudget } from './rate-limit.js';
import { buildRouter } from './routes/index.js';
import { HetznerState, type ServerStatus } from './state.js';
import { toFakeImage, toFakeServer, type FakeImage, type FakeServer } from './views.js';
import type { VmBackend } from './vmBackend.js';

export interface FakeHetznerOptions {
  /** Bearer token the fake accepts; default `fake-hcloud-token`. */
  token?: string;
  /** initializing → starting after this long; default 50. */
  bootDelayMs?: number;
  /** starting → running after this much more; default 0, so running arrives after bootDelayMs. */
  startingDelayMs?: number;
  /** How long other actions (power, delete, create_image, …) run before they succeed; default 20. */
  actionDelayMs?: number;
  /** Requests per hour (the bucket size); default 3600. It refills at one request per second. */
  rateLimit?: number;
  /** Cap on `per_page`; default 50, as on the real API. */
  perPageMax?: number;
  /** HTTP status per error code where the docs are unconfirmed, e.g. `{ invalid_input: 400 }`. */
  errorStatuses?: Record<string, number>;
  /** Real VMs behind the servers (the VM lab); without it servers are records only. */
  vmBackend?: VmBackend;
}

export interface FakeHetzner {
  /** HCLOUD_ENDPOINT, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly endpoint: string;
  readonly token: string;
  /** Current servers, with due state changes applied first. */
  servers(): FakeServer[];
  /** System images, snapshots and backups. */
  images(): FakeImage[];
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  assertNoViolations(): void;
  failNext(matcher: RequestMatcher, reply: InjectedReply<string>, times?: number): void;
  /** Pins a server's status (say `off`), cancelling its pending transitions. */
  setServerStatus(id: number, status: ServerStatus): void;
  /** Adds an available x86 snapshot, as if uploaded to the project before the test; answers its ID. */
  importSnapshot(description: string, labels: Record<string, string>): number;
  /** Awaited before POST /servers answers; receives a copy of the new server. */
  onServerCreated?: (server: FakeServer) => void | Promise<void>;
  close(): Promise<void>;
}

export async function startFakeHetzner(options: FakeHetznerOptions = {}): Promise<FakeHetzner> {
  const token = options.token ?? 'fake-hcloud-token';
  const rateLimit = options.rateLimit ?? 3600;
  const statuses = { ...DEFAULT_ERROR_STATUSES, ...options.errorStatuses };
  const state = new HetznerState({
    bootDelayMs: options.bootDelayMs ?? 50,
    startingDelayMs: options.startingDelayMs ?? 0,
    actionDelayMs: options.actionDelayMs ?? 20,
  });
  const budget = new RequestBudget(rateLimit, 1, Date.now());
  const router = buildRouter({
    state,
    perPageMax: options.perPageMax ?? 50,
    serverCreated: async (server) => {
      await fake.onServerCreated?.(server);
    },
    vm: options.vmBackend,
  });

  async function handle(request: FakeRequest, violation: (problem: string) => void): Promise<FakeReply> {
    const now = Date.now();
    state.advance(now);
    const match = router.match(request.method, request.path);
    // Routing comes before authentication: the API answers an unknown path with 404 even without a token.
    if (match === undefined) {
      return renderError(new HcloudError('not_found', 'api route not found'), statuses);
    }
    if (match === 'method-not-allowed') {
      return renderError(new HcloudError('method_not_allowed', 'method not allowed'), statuses);
    }
    const operation = findOperation(request.method, match.template);
    if (operation === undefined) {
      throw new Error(`${request.method} ${match.template} is not in the OpenAPI spec`);
    }

    let reply: FakeReply;
    try {
      authenticate(request.headers.authorization, token);
      if (!budget.take(now)) {
        throw new HcloudError('rate_limit_exceeded', `limit of ${rateLimit} requests per hour reached`);
      }
      const verdict = checkRequest(operation, request);
      verdict.violations.forEach(violation);
      if (verdict.error !== undefined) throw verdict.error;
      const { query, fullPath } = request;
      reply = await match.handler({ route: match, query, body: verdict.body, fullPath, now, violation });
    } catch (error) {
      if (!(error instanceof HcloudError)) throw error;
      reply = renderError(error, statuses);
    }
    // The fake's own answers are held to the spec too; a mismatch here is a bug in the fake, not the client.
    for (const problem of checkResponse(operation, reply)) {
      violation(`fake's ${reply.status} response: ${problem}`);
    }
    return reply;
  }

  const server = await startJsonServer<string>({
    basePath: '/v1',
    handle,
    errorReply: (status, code, message) => ({ status, body: errorBody(code, message, null) }),
    outsideBasePath: () => renderError(new HcloudError('not_found', 'api route not found'), statuses),
    commonHeaders: () => budget.headers(Date.now()),
  });

  const fake: FakeHetzner = {
    endpoint: server.baseUrl,
    token,
    servers() {
      state.advance(Date.now());
      return [...state.servers.values()].map(toFakeServer);
    },
    images() {
      state.advance(Date.now());
      return [...state.images.values()].map(toFakeImage);
    },
    requests: server.requests,
    violations: server.violations,
    assertNoViolations: () => server.assertNoViolations(),
    failNext: (matcher, reply, times) => server.failNext(matcher, reply, times),
    setServerStatus(id, status) {
      state.advance(Date.now());
      state.forceStatus(id, status);
    },
    importSnapshot: (description, labels) => state.importSnapshot({ description, labels }, Date.now()).id,
    close: () => server.close(),
  };
  return fake;
}

/** The two 401 wordings observed on the live API. */
function authenticate(header: string | undefined, token: string): void {
  if (header === undefined || header === '') throw new HcloudError('unauthorized', 'token is required');
  const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (presented !== token) throw new HcloudError('unauthorized', 'the token you have provided is invalid');
}
