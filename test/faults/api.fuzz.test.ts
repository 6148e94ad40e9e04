import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { operations } from '../../src/core/api/operations.js';
import { startApiBot } from '../support/apiBot.js';
import { tempDir } from '../support/env.js';
import { hostileText, mutate, randomJson } from './support/hostile.js';
import { failOnUnhandledRejections } from './support/noUnhandled.js';
import { fuzzRng, type Rng } from './support/random.js';
import { count } from './tally.js';

const inputs = 1_500;
const templates = operations.flatMap((o) => (o.http ? [o.http] : []));
const validBodies: unknown[] = [
  { role: 'swe', name: 'alice' },
  { role: 'swe', name: 'alice', provider: 'local', options: { 'server-type': 'cx22' } },
  { prompt: 'hello', conversation: 'run-1' },
];

/** Every byte of the text's UTF-8 (lone surrogates too) as a URL or a header may carry it. */
const percentEncoded = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

/** A path segment as an attacker writes it: a plausible value, a traversal, or hostile text, escaped or not. */
function segment(rng: Rng): string {
  const raw = rng.pick(['alice', '1', '0', '-1', '99999999999999999999', '..', '%00', '%2F', '%E0%A4%A', '']);
  if (rng.chance(0.5)) return raw;
  return rng.chance(0.8)
    ? percentEncoded(hostileText(rng).slice(0, 200))
    : hostileText(rng).replace(/[\s?#]/g, '');
}

/** A path: usually one of the routes with random parameters, sometimes near one, sometimes anything. */
function hostilePath(rng: Rng): { path: string; template: string | undefined } {
  if (rng.chance(0.1)) return { path: `/v1/${segment(rng)}/${segment(rng)}`, template: undefined };
  const { path: template } = rng.pick(templates);
  const path = template.replace(/\{\w+\}/g, () => segment(rng));
  const query = rng.chance(0.4)
    ? `?${Array.from({ length: 1 + rng.int(3) }, () => `${rng.pick(['all', 'lines', 'name', '__proto__', segment(rng)])}=${segment(rng)}`).join('&')}`
    : '';
  return { path: `${path}${query}`, template };
}

function hostileHeaders(rng: Rng, keys: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (rng.chance(0.8))
    headers.authorization = rng.chance(0.7)
      ? `Bearer ${rng.pick(keys)}`
      : percentEncoded(hostileText(rng)).slice(0, 500);
  if (rng.chance(0.8))
    headers['content-type'] = rng.pick([
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      percentEncoded(hostileText(rng)).slice(0, 100),
    ]);
  if (rng.chance(0.2)) headers['idempotency-key'] = percentEncoded(hostileText(rng)).slice(0, 300);
  if (rng.chance(0.2)) headers['last-event-id'] = percentEncoded(hostileText(rng)).slice(0, 100);
  if (rng.chance(0.1)) headers[`x-${rng.int(1000)}`] = percentEncoded(hostileText(rng)).slice(0, 100);
  return headers;
}

function hostileBody(rng: Rng): string | undefined {
  switch (rng.int(5)) {
    case 0:
      return undefined;
    case 1:
      return JSON.stringify(mutate(rng, rng.pick(validBodies)));
    case 2:
      return JSON.stringify(randomJson(rng)) ?? '';
    case 3:
      return hostileText(rng);
    default:
      return JSON.stringify(rng.pick(validBodies)).slice(0, rng.int(40));
  }
}

describe('the HTTP API under hostile requests', () => {
  failOnUnhandledRejections();
  const tmp = tempDir();
  afterAll(tmp.cleanup);

  it(
    `answers ${inputs} random requests with a problem or a valid record, and keeps serving`,
    { timeout: 180_000 },
    async () => {
      const rng = fuzzRng('api');
      const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1', FLEETBOT_RATE_LIMIT: '10000' });
      try {
        // No key may deploy: whatever the fuzzer writes, nothing starts.
        const keys = [
          s.key('reader', ['agents:read']),
          s.key('destroyer', ['agents:read', 'agents:destroy', 'agents:chat']),
          'fbk_' + 'A'.repeat(43),
          '',
        ];
        const statuses = new Map<number, number>();
        for (let i = 0; i < inputs; i++) {
          const method = rng.pick(['GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS']);
          const { path, template } = hostilePath(rng);
          const body = method === 'GET' ? undefined : hostileBody(rng);
          const res = await request(`${s.base}${path}`, {
            method: method as 'GET',
            headers: hostileHeaders(rng, keys),
            ...(body === undefined ? {} : { body }),
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          const text = await res.body.text();
          expect(res.statusCode, `${method} ${path}`).toBeLessThan(500);
          // Node's parser turns away oversized heads (431) before there is a request to route; and a
          // path of dots may climb out of /v1 (the client resolves it), where the API makes no promise.
          const parserRefused = res.statusCode === 431 && res.headers['content-type'] === undefined;
          if (!parserRefused && new URL(`${s.base}${path}`).pathname.startsWith('/v1/'))
            s.check(method, template, res.statusCode, String(res.headers['content-type'] ?? ''), text);
          for (const key of keys.slice(0, 2)) expect(text).not.toContain(key);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          count('inputs');
        }
        console.log('api fuzz statuses', Object.fromEntries(statuses));
        const alive = await s.call('GET', '/v1/agents', { template: '/v1/agents', key: keys[0] });
        expect(alive.body).toEqual({ agents: [] });
        expect(s.bot.store.jobs.recent(10)).toEqual([]);
      } finally {
        await s.stop();
      }
    },
  );
});
