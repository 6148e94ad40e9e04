import { request, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callJson, type JsonResponse } from '../http/test-client.js';
import { startFakeCloudflare, type FakeCloudflare } from './index.js';

interface Envelope<T> {
  success: boolean;
  errors: Array<{ code: number; message: string; error_chain?: Array<{ code: number; message: string }> }>;
  messages: Array<{ code: number; message: string }>;
  result: T;
  result_info?: { page: number; per_page: number; count: number; total_count: number; total_pages: number };
}

interface RecordJson {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  proxiable: boolean;
}

let fake: FakeCloudflare;

const cf = <T = unknown>(
  method: Dispatcher.HttpMethod,
  path: string,
  body?: unknown,
  token: string | null = fake.token,
): Promise<JsonResponse<Envelope<T>>> =>
  callJson<Envelope<T>>(`${fake.apiBase}${path}`, { method, token, body });

const records = (): string => `/zones/${fake.zoneId}/dns_records`;

const aRecord = (name = 'agent-1.example.test', content = '203.0.113.10'): Record<string, unknown> => ({
  type: 'A',
  name,
  content,
  ttl: 300,
  proxied: false,
});

beforeEach(async () => {
  fake = await startFakeCloudflare();
});

afterEach(async () => {
  await fake.close();
});

describe('tokens and zones', () => {
  it('verifies a good token', async () => {
    const response = await cf<{ id: string; status: string }>('GET', '/user/tokens/verify');

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      success: true,
      errors: [],
      result: { status: 'active' },
      messages: [{ code: 10000, message: 'This API Token is valid and active' }],
    });
    expect(response.body.result.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses a bad token: 401 1000 on verify, 403 10000 elsewhere', async () => {
    const verify = await cf('GET', '/user/tokens/verify', undefined, 'wrong-token');
    const zone = await cf('GET', `/zones/${fake.zoneId}`, undefined, 'wrong-token');

    expect(verify.status).toBe(401);
    expect(verify.body).toEqual({
      success: false,
      errors: [{ code: 1000, message: 'Invalid API Token' }],
      messages: [],
      result: null,
    });
    expect(zone.status).toBe(403);
    expect(zone.body.errors).toEqual([{ code: 10000, message: 'Authentication error' }]);
  });

  it('tells a missing header from a malformed one', async () => {
    const missing = await cf('GET', '/user/tokens/verify', undefined, null);
    const malformed = await request(`${fake.apiBase}/user/tokens/verify`, {
      headers: { authorization: 'Bearer curl -H "x"' },
    });

    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]?.code).toBe(9106);
    expect(malformed.statusCode).toBe(400);
    expect(await malformed.body.json()).toMatchObject({
      errors: [{ code: 6003, error_chain: [{ code: 6111 }] }],
    });
  });

  it('returns the zone, and finds it by name', async () => {
    const byId = await cf<{ id: string; name: string; status: string }>('GET', `/zones/${fake.zoneId}`);
    const byName = await cf<Array<{ id: string }>>('GET', '/zones?name=example.test');

    expect(byId.body.result).toMatchObject({ id: fake.zoneId, name: 'example.test', status: 'active' });
    expect(byName.body.result.map((z) => z.id)).toEqual([fake.zoneId]);
    expect(byName.body.result_info).toMatchObject({ count: 1, total_count: 1 });
  });

  it('answers an unknown zone with 7003 and 7000', async () => {
    const response = await cf('GET', `/zones/${'0'.repeat(32)}/dns_records`);

    expect(response.status).toBe(400);
    expect(response.body.errors.map((e) => e.code)).toEqual([7003, 7000]);
    expect(response.body.errors[0]?.message).toBe(
      `Could not route to /zones/${'0'.repeat(32)}/dns_records, perhaps your object identifier is invalid?`,
    );
  });

  it('answers unknown routes with 7000', async () => {
    const response = await cf('GET', '/zones/x/firewall/rules');

    expect(response.body.errors).toEqual([{ code: 7000, message: 'No route for that URI' }]);
  });
});

describe('dns_records', () => {
  it('creates a record with 200 and a 32-hex ID', async () => {
    const response = await cf<RecordJson>('POST', records(), aRecord());

    expect(response.status).toBe(200);
    expect(response.body.success).toBe(true);
    expect(response.body.result).toMatchObject({
      name: 'agent-1.example.test',
      type: 'A',
      content: '203.0.113.10',
      ttl: 300,
      proxied: false,
      proxiable: true,
    });
    expect(response.body.result.id).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.records()).toEqual([
      expect.objectContaining({ id: response.body.result.id, name: 'agent-1.example.test', ttl: 300 }),
    ]);
    fake.assertNoViolations();
  });

  it('refuses an identical record with 81058 and a CNAME clash with 81053', async () => {
    await cf('POST', records(), aRecord());

    const duplicate = await cf('POST', records(), aRecord());
    const clash = await cf('POST', records(), {
      type: 'CNAME',
      name: 'agent-1.example.test',
      content: 'x.example.test',
    });
    const secondAddress = await cf('POST', records(), aRecord('agent-1.example.test', '203.0.113.11'));

    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toEqual({
      success: false,
      errors: [{ code: 81058, message: 'An identical record already exists.' }],
      messages: [],
      result: null,
    });
    expect(clash.body.errors[0]?.code).toBe(81053);
    expect(secondAddress.status).toBe(200);
    fake.assertNoViolations();
  });

  it('lists with type and exact-name filters and result_info', async () => {
    await cf('POST', records(), aRecord('a.example.test'));
    await cf('POST', records(), aRecord('b.example.test'));
    await cf('POST', records(), { type: 'TXT', name: 'a.example.test', content: 'hello' });

    const byName = await cf<RecordJson[]>('GET', `${records()}?type=A&name=a.example.test`);
    const exact = await cf<RecordJson[]>('GET', `${records()}?name.exact=B.example.test`);
    const paged = await cf<RecordJson[]>('GET', `${records()}?per_page=2&page=2`);

    expect(byName.body.result.map((r) => [r.type, r.name])).toEqual([['A', 'a.example.test']]);
    expect(exact.body.result.map((r) => r.name)).toEqual(['b.example.test']);
    expect(paged.body.result).toHaveLength(1);
    expect(paged.body.result_info).toEqual({
      page: 2,
      per_page: 2,
      count: 1,
      total_count: 3,
      total_pages: 2,
    });
    fake.assertNoViolations();
  });

  it('gets, replaces, patches and deletes a record', async () => {
    const { body } = await cf<RecordJson>('POST', records(), aRecord());
    const id = body.result.id;

    const got = await cf<RecordJson>('GET', `${records()}/${id}`);
    const replaced = await cf<RecordJson>(
      'PUT',
      `${records()}/${id}`,
      aRecord('agent-1.example.test', '203.0.113.20'),
    );
    const patched = await cf<RecordJson>('PATCH', `${records()}/${id}`, { ttl: 1 });
    const deleted = await cf<{ id: string }>('DELETE', `${records()}/${id}`);
    const gone = await cf('DELETE', `${records()}/${id}`);

    expect(got.body.result.content).toBe('203.0.113.10');
    expect(replaced.body.result).toMatchObject({ content: '203.0.113.20', ttl: 300 });
    expect(patched.body.result).toMatchObject({ content: '203.0.113.20', ttl: 1 });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, errors: [], messages: [], result: { id } });
    expect(gone.status).toBe(404);
    expect(gone.body.errors).toEqual([{ code: 81044, message: 'Record does not exist.' }]);
    expect(fake.records()).toEqual([]);
    fake.assertNoViolations();
  });

  it('answers an invalid IPv4 with 1004 and chain 9005, without a violation', async () => {
    const response = await cf('POST', records(), aRecord('agent-1.example.test', '203.0.113.999'));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        code: 1004,
        message: 'DNS Validation Error',
        error_chain: [{ code: 9005, message: 'Content for A record must be a valid IPv4 address.' }],
      },
    ]);
    fake.assertNoViolations();
  });

  it('records a violation for a missing name, wrong types and unknown fields', async () => {
    const missing = await cf('POST', records(), { type: 'A', content: '203.0.113.10' });
    const wrongType = await cf('POST', records(), { ...aRecord(), ttl: '300' });
    const unknown = await cf('POST', records(), { ...aRecord(), zone_id: fake.zoneId });

    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ code: 1004, error_chain: [{ code: 9000 }] });
    expect(wrongType.body.errors[0]).toMatchObject({ code: 1004, error_chain: [{ code: 9021 }] });
    expect(unknown.status).toBe(200);
    expect(fake.violations.map((v) => v.problem)).toEqual([
      "missing required field 'name'",
      "field 'ttl': Invalid input: expected number, received string",
      "unknown field 'zone_id' (Cloudflare ignores it)",
    ]);
  });

  it('expands short names to FQDNs but records the violation', async () => {
    const short = await cf<RecordJson>('POST', records(), aRecord('www'));
    const apex = await cf<RecordJson>('POST', records(), aRecord('@', '203.0.113.30'));

    expect(short.body.result.name).toBe('www.example.test');
    expect(apex.body.result.name).toBe('example.test');
    expect(fake.violations).toHaveLength(2);
  });

  it('refuses a body without a JSON Content-Type', async () => {
    const response = await request(`${fake.apiBase}${records()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}` },
      body: JSON.stringify(aRecord()),
    });

    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toMatchObject({
      errors: [{ code: 6003, error_chain: [{ code: 6105 }] }],
    });
    expect(fake.violations).toHaveLength(1);
  });

  it('records unsupported list parameters', async () => {
    await cf('GET', `${records()}?search=agent`);

    expect(fake.violations.map((v) => v.problem)).toEqual(["query parameter 'search' is not supported here"]);
  });
});

describe('limits and failures', () => {
  it('sends Ratelimit headers and blocks with 429 and Retry-After past the limit', async () => {
    await fake.close();
    fake = await startFakeCloudflare({ rateLimit: 2, rateLimitWindowSec: 60 });

    const first = await cf('GET', '/user/tokens/verify');
    await cf('GET', '/user/tokens/verify');
    const blocked = await cf('GET', '/user/tokens/verify');

    expect(first.headers.ratelimit).toMatch(/^"default";r=1;t=(59|60)$/);
    expect(first.headers['ratelimit-policy']).toBe('"burst";q=2;w=60');
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBe('60');
    expect(blocked.body.errors).toEqual([
      { code: 971, message: 'Please wait and consider throttling your request speed' },
    ]);
  });

  it('injects errors in the Cloudflare envelope, and other failures', async () => {
    fake.failNext({ method: 'POST', path: records() }, { status: 429, code: 971, message: 'slow down' });
    fake.failNext({ method: 'GET', path: /dns_records$/ }, { dropConnection: true });
    fake.failNext({ path: '/user/tokens/verify' }, { malformedJson: true, status: 200 });

    const limited = await cf('POST', records(), aRecord());
    await expect(
      request(`${fake.apiBase}${records()}`, { headers: { authorization: `Bearer ${fake.token}` } }),
    ).rejects.toThrow();
    const garbled = await request(`${fake.apiBase}/user/tokens/verify`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    const retried = await cf('POST', records(), aRecord());

    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.errors).toEqual([{ code: 971, message: 'slow down' }]);
    await expect(garbled.body.json()).rejects.toThrow();
    expect(retried.status).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 0, 200, 200]);
  });
});
