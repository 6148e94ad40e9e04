import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHetzner, type FakeHetzner } from './index.js';
import { apiFor, createServer, type Api, type ErrorJson } from './test-support.js';

let fake: FakeHetzner | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: Parameters<typeof startFakeHetzner>[0] = {}): Promise<[FakeHetzner, Api]> {
  fake = await startFakeHetzner(options);
  return [fake, apiFor(fake)];
}

describe('rate limiting', () => {
  it('sends RateLimit headers on every response, counting down', async () => {
    const [, api] = await start();

    const first = await api('GET', '/servers');
    const second = await api('GET', '/locations');
    const unauthorized = await api('GET', '/servers', undefined, null);

    expect(first.headers['ratelimit-limit']).toBe('3600');
    expect(first.headers['ratelimit-remaining']).toBe('3599');
    expect(second.headers['ratelimit-remaining']).toBe('3598');
    expect(unauthorized.headers['ratelimit-remaining']).toBe('3598');
    const reset = Number(second.headers['ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3);
  });

  it('answers 429 rate_limit_exceeded once the budget is spent', async () => {
    const [, api] = await start({ rateLimit: 3 });

    const remaining: unknown[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await api('GET', '/servers')).headers['ratelimit-remaining']);
    const limited = await api<ErrorJson>('GET', '/servers');

    expect(remaining).toEqual(['2', '1', '0']);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
  });
});

describe('failure injection', () => {
  it('replies with an injected error in the Hetzner envelope, the given number of times', async () => {
    const [hetzner, api] = await start();
    hetzner.failNext(
      { method: 'POST', path: '/servers' },
      { status: 503, code: 'unavailable', message: 'service unavailable' },
      2,
    );

    const first = await api<ErrorJson>('POST', '/servers', {
      name: 'a',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
    });
    const second = await api('POST', '/servers', { name: 'a', server_type: 'cx23', image: 'ubuntu-24.04' });
    const third = await api('POST', '/servers', { name: 'a', server_type: 'cx23', image: 'ubuntu-24.04' });

    expect(first.status).toBe(503);
    expect(first.body).toEqual({
      error: { code: 'unavailable', message: 'service unavailable', details: null },
    });
    expect(first.headers['ratelimit-limit']).toBe('3600');
    expect(second.status).toBe(503);
    expect(third.status).toBe(201);
    expect(hetzner.requests.map((r) => r.status)).toEqual([503, 503, 201]);
  });

  it('matches paths by RegExp and leaves other requests alone', async () => {
    const [hetzner, api] = await start();
    const { server } = await createServer(api);
    hetzner.failNext({ path: /^\/servers\/\d+$/ }, { status: 409, code: 'conflict', message: 'conflict' });

    expect((await api('GET', '/servers')).status).toBe(200);
    expect((await api('GET', `/servers/${server.id}`)).status).toBe(409);
    expect((await api('GET', `/servers/${server.id}`)).status).toBe(200);
  });

  it('drops the connection', async () => {
    const [hetzner] = await start();
    hetzner.failNext({ method: 'GET' }, { dropConnection: true });

    await expect(
      request(`${hetzner.endpoint}/servers`, { headers: { authorization: `Bearer ${hetzner.token}` } }),
    ).rejects.toThrow();
    expect(hetzner.requests.map((r) => r.status)).toEqual([0]);
  });

  it('sends malformed JSON', async () => {
    const [hetzner] = await start();
    hetzner.failNext({ path: '/servers' }, { malformedJson: true });

    const response = await request(`${hetzner.endpoint}/servers`, {
      headers: { authorization: `Bearer ${hetzner.token}` },
    });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    await expect(response.body.json()).rejects.toThrow();
  });

  it('delays the normal answer', async () => {
    const [hetzner, api] = await start();
    hetzner.failNext({ path: '/locations' }, { delayMs: 150 });

    const started = Date.now();
    const response = await api('GET', '/locations');

    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('lets a client time out on a delay, and close() does not wait for it', async () => {
    const [hetzner] = await start();
    hetzner.failNext({}, { delayMs: 10_000 });

    await expect(
      request(`${hetzner.endpoint}/servers`, {
        headers: { authorization: `Bearer ${hetzner.token}` },
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow(/abort|timeout/i);
    const started = Date.now();
    await hetzner.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
