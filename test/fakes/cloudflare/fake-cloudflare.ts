import { randomBytes } from 'node:crypto';
import {
  startJsonServer,
  type FakeReply,
  type FakeRequest,
  type InjectedReply,
  type RecordedRequest,
  type RequestMatcher,
  type Violation,
} from '../http/index.js';
import { authenticate } from './auth.js';
import { CfError, couldNotRoute, failure, invalidBody, noRoute } from './envelope.js';
import { WindowLimiter } from './rate-limit.js';
import { DnsZone, type DnsRecord } from './records.js';
import { buildRouter } from './routes.js';

export interface FakeCloudflareOptions {
  /** Bearer token the fake accepts; default `fake-cloudflare-token`. */
  token?: string;
  /** 32-hex zone ID; random by default. */
  zoneId?: string;
  /** Default `example.test`. */
  zoneName?: string;
  /** For `GET /accounts/{id}/tokens/verify`; random by default. */
  accountId?: string;
  /** Requests per window before every call is blocked for a window; default 1200. */
  rateLimit?: number;
  /** Default 300 (five minutes). */
  rateLimitWindowSec?: number;
}

export interface FakeDnsRecord {
  id: string;
  type: DnsRecord['type'];
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment: string | null;
  tags: string[];
  createdOn: string;
  modifiedOn: string;
}

export interface FakeCloudflare {
  /** CLOUDFLARE_API_BASE, e.g. `http://127.0.0.1:PORT/client/v4`. */
  readonly apiBase: string;
  readonly token: string;
  readonly zoneId: string;
  readonly zoneName: string;
  /** Copies of the zone's records, oldest first. */
  records(): FakeDnsRecord[];
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  assertNoViolations(): void;
  /** Injected errors use Cloudflare's numeric codes; an injected 429 carries `Retry-After: 1`. */
  failNext(matcher: RequestMatcher, reply: InjectedReply<number>, times?: number): void;
  /** Awaited before a request that created a record answers; receives a copy of the new record. */
  onRecordCreated?: (record: FakeDnsRecord) => void | Promise<void>;
  close(): Promise<void>;
}

export async function startFakeCloudflare(options: FakeCloudflareOptions = {}): Promise<FakeCloudflare> {
  const token = options.token ?? 'fake-cloudflare-token';
  const zone = new DnsZone(options.zoneId ?? randomHex(), options.zoneName ?? 'example.test');
  const accountId = options.accountId ?? randomHex();
  const limiter = new WindowLimiter(options.rateLimit ?? 1200, options.rateLimitWindowSec ?? 300, Date.now());
  const router = buildRouter({ zone, accountId, tokenId: randomHex() });

  function serve(request: FakeRequest, violation: (problem: string) => void): FakeReply {
    const now = Date.now();
    const match = router.match(request.method, request.path);
    if (match === undefined || match === 'method-not-allowed') throw noRoute();
    const route = match.handler;
    authenticate(request.headers.authorization, token, route.scope);
    limiter.take(now);
    if (match.template.includes('{zone_id}') && match.param('zone_id') !== zone.id) {
      throw couldNotRoute(request.path);
    }
    for (const name of new Set(request.query.keys())) {
      if (!(route.query ?? []).includes(name)) violation(`query parameter '${name}' is not supported here`);
    }
    const body = route.body === true ? jsonBody(request, violation) : undefined;
    return route.handle({ request, route: match, body, now, violation });
  }

  const server = await startJsonServer<number>({
    basePath: '/client/v4',
    async handle(request, violation) {
      const before = new Set(zone.records.keys());
      let reply: FakeReply;
      try {
        reply = serve(request, violation);
      } catch (error) {
        if (error instanceof CfError) return failure(error);
        throw error;
      }
      for (const [id, record] of zone.records)
        if (!before.has(id)) await fake.onRecordCreated?.(toFakeRecord(record));
      return reply;
    },
    errorReply: (status, code, message) =>
      failure(new CfError(status, [{ code, message }], status === 429 ? { 'Retry-After': '1' } : {})),
    outsideBasePath: () => failure(noRoute()),
    commonHeaders: () => limiter.headers(Date.now()),
  });

  const fake: FakeCloudflare = {
    apiBase: server.baseUrl,
    token,
    zoneId: zone.id,
    zoneName: zone.name,
    records: () => [...zone.records.values()].map(toFakeRecord),
    requests: server.requests,
    violations: server.violations,
    assertNoViolations: () => server.assertNoViolations(),
    failNext: (matcher, reply, times) => server.failNext(matcher, reply, times),
    close: () => server.close(),
  };
  return fake;
}

/** Cloudflare takes JSON bodies only with a JSON Content-Type, and says so in a header error. */
function jsonBody(request: FakeRequest, violation: (problem: string) => void): unknown {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/json')) {
    violation(`Content-Type '${contentType}' is not application/json`);
    throw new CfError(400, [
      {
        code: 6003,
        message: 'Invalid request headers',
        error_chain: [
          {
            code: 6105,
            message: 'Invalid Content-Type header, valid values are application/json,multipart/form-data',
          },
        ],
      },
    ]);
  }
  if (request.body.kind !== 'json') {
    violation(request.body.kind === 'none' ? 'request body is missing' : 'request body is not valid JSON');
    throw invalidBody();
  }
  return request.body.value;
}

function toFakeRecord(record: DnsRecord): FakeDnsRecord {
  const { id, type, name, content, ttl, proxied, comment, tags, createdOn, modifiedOn } = record;
  return { id, type, name, content, ttl, proxied, comment, tags: [...tags], createdOn, modifiedOn };
}

function randomHex(): string {
  return randomBytes(16).toString('hex');
}
