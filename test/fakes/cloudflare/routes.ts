import type { FakeReply, FakeRequest, RouteMatch } from '../http/index.js';
import { Router } from '../http/index.js';
import type { AuthScope } from './auth.js';
import { couldNotRoute, ok, type ResultInfo } from './envelope.js';
import { parseRecordBody, renderRecord, type DnsRecord, type DnsZone } from './records.js';

export interface CfContext {
  request: FakeRequest;
  route: RouteMatch<CfRoute>;
  /** The parsed JSON body, for routes that take one (checked for presence and Content-Type already). */
  body: unknown;
  now: number;
  violation: (problem: string) => void;
}

export interface CfRoute {
  scope: AuthScope;
  /** Whether the route takes a JSON body. */
  body?: boolean;
  /** Query parameters the route understands; any other one is recorded as a violation. */
  query?: readonly string[];
  handle(ctx: CfContext): FakeReply;
}

export interface Account {
  zone: DnsZone;
  accountId: string;
  tokenId: string;
}

const RECORD_FILTERS = ['name', 'content', 'comment'].flatMap((field) =>
  ['', '.exact', '.contains', '.startswith', '.endswith'].map((op) => field + op),
);
const RECORD_LIST_QUERY = [
  'type',
  'proxied',
  'match',
  'order',
  'direction',
  'page',
  'per_page',
  ...RECORD_FILTERS,
];
const ORDERABLE = ['type', 'name', 'content', 'ttl', 'proxied'] as const;

export function buildRouter({ zone, accountId, tokenId }: Account): Router<CfRoute> {
  const verify: CfRoute = {
    scope: 'verify',
    handle: () =>
      ok(
        { id: tokenId, status: 'active' },
        { messages: [{ code: 10000, message: 'This API Token is valid and active', type: null }] },
      ),
  };
  const record = (ctx: CfContext): DnsRecord => {
    const id = ctx.route.param('dns_record_id');
    if (!/^[0-9a-f]{32}$/.test(id)) throw couldNotRoute(ctx.request.path);
    return zone.get(id);
  };
  const update = (mode: 'full' | 'patch'): CfRoute => ({
    scope: 'api',
    body: true,
    handle: (ctx) => {
      const fields = parseRecordBody(ctx.body, mode, ctx.violation);
      return ok(renderRecord(zone.update(record(ctx).id, fields, mode, ctx.now, ctx.violation)));
    },
  });

  return new Router<CfRoute>()
    .add('GET', '/user/tokens/verify', verify)
    .add('GET', '/accounts/{account_id}/tokens/verify', {
      ...verify,
      handle: (ctx) => {
        if (ctx.route.param('account_id') !== accountId) throw couldNotRoute(ctx.request.path);
        return verify.handle(ctx);
      },
    })
    .add('GET', '/zones', {
      scope: 'api',
      query: ['name', 'page', 'per_page'],
      handle: (ctx) => {
        const name = ctx.request.query.get('name');
        const zones = name === null || name === zone.name ? [renderZone(zone, accountId)] : [];
        return listReply(ctx, zones, 20);
      },
    })
    .add('GET', '/zones/{zone_id}', { scope: 'api', handle: () => ok(renderZone(zone, accountId)) })
    .add('GET', '/zones/{zone_id}/dns_records', {
      scope: 'api',
      query: RECORD_LIST_QUERY,
      handle: (ctx) =>
        listReply(
          ctx,
          sortRecords(ctx, filterRecords(ctx, [...zone.records.values()])).map(renderRecord),
          100,
        ),
    })
    .add('POST', '/zones/{zone_id}/dns_records', {
      scope: 'api',
      body: true,
      // 200, not 201: Cloudflare answers creates like any other success.
      handle: (ctx) =>
        ok(
          renderRecord(zone.create(parseRecordBody(ctx.body, 'full', ctx.violation), ctx.now, ctx.violation)),
        ),
    })
    .add('GET', '/zones/{zone_id}/dns_records/{dns_record_id}', {
      scope: 'api',
      handle: (ctx) => ok(renderRecord(record(ctx))),
    })
    .add('PUT', '/zones/{zone_id}/dns_records/{dns_record_id}', update('full'))
    .add('PATCH', '/zones/{zone_id}/dns_records/{dns_record_id}', update('patch'))
    .add('DELETE', '/zones/{zone_id}/dns_records/{dns_record_id}', {
      scope: 'api',
      handle: (ctx) => {
        const { id } = record(ctx);
        zone.delete(id);
        return ok({ id });
      },
    });
}

/** `match=any` ORs the filters; the default ANDs them. Names compare case-insensitively, as DNS does. */
function filterRecords(ctx: CfContext, records: DnsRecord[]): DnsRecord[] {
  const query = ctx.request.query;
  const tests: Array<(r: DnsRecord) => boolean> = [];
  const type = query.get('type');
  if (type !== null) tests.push((r) => r.type === type);
  const proxied = query.get('proxied');
  if (proxied !== null) tests.push((r) => String(r.proxied) === proxied);
  for (const filter of RECORD_FILTERS) {
    const raw = query.get(filter);
    if (raw === null) continue;
    const [field = 'name', op = 'exact'] = filter.split('.');
    const wanted = field === 'name' ? raw.toLowerCase() : raw;
    const actual = (r: DnsRecord): string =>
      field === 'name' ? r.name : field === 'comment' ? (r.comment ?? '') : r.content;
    const compare: Record<string, (a: string) => boolean> = {
      exact: (a) => a === wanted,
      contains: (a) => a.includes(wanted),
      startswith: (a) => a.startsWith(wanted),
      endswith: (a) => a.endsWith(wanted),
    };
    const test = compare[op];
    if (test !== undefined) tests.push((r) => test(actual(r)));
  }
  const any = query.get('match') === 'any';
  return records.filter(
    (r) => tests.length === 0 || (any ? tests.some((t) => t(r)) : tests.every((t) => t(r))),
  );
}

function sortRecords(ctx: CfContext, records: DnsRecord[]): DnsRecord[] {
  const order = ctx.request.query.get('order');
  if (order === null) return records;
  const key = ORDERABLE.find((k) => k === order);
  if (key === undefined) {
    ctx.violation(`order=${order} is not one of ${ORDERABLE.join(', ')}`);
    return records;
  }
  const sign = ctx.request.query.get('direction') === 'desc' ? -1 : 1;
  const value = (r: DnsRecord): string | number => (key === 'proxied' ? Number(r.proxied) : r[key]);
  return [...records].sort((a, b) => (value(a) < value(b) ? -sign : value(a) > value(b) ? sign : 0));
}

/** A page of results with `result_info`; a nonsensical page or per_page falls back to the default. */
function listReply(ctx: CfContext, items: unknown[], defaultPerPage: number): FakeReply {
  const number = (name: string, fallback: number): number => {
    const raw = ctx.request.query.get(name);
    if (raw === null) return fallback;
    if (/^[1-9]\d*$/.test(raw)) return Number(raw);
    ctx.violation(`${name}=${raw} is not a positive integer`);
    return fallback;
  };
  const page = number('page', 1);
  const perPage = number('per_page', defaultPerPage);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const info: ResultInfo = {
    page,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.max(1, Math.ceil(items.length / perPage)),
  };
  return ok(slice, { result_info: info });
}

function renderZone(zone: DnsZone, accountId: string): unknown {
  return {
    id: zone.id,
    name: zone.name,
    status: 'active',
    paused: false,
    type: 'full',
    development_mode: 0,
    name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: '2024-01-01T00:00:00.000000Z',
    modified_on: '2024-01-01T00:00:00.000000Z',
    activated_on: '2024-01-01T00:00:00.000000Z',
    account: { id: accountId, name: 'fleetbot test account' },
    owner: { id: null, type: 'user', email: null },
    permissions: ['#dns_records:edit', '#dns_records:read', '#zone:read'],
    plan: {
      id: '0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
      name: 'Free Website',
      price: 0,
      currency: 'USD',
      is_subscribed: true,
    },
    meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
  };
}
