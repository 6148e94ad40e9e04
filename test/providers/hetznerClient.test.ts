import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHetznerClient } from '../../src/providers/hetzner/client.js';
import { startFakeHetzner, type FakeHetzner } from '../fakes/hetzner/index.js';
import { silentLog } from '../support/env.js';
import { failureOf } from '../support/failure.js';
import { instantClock } from '../support/instantClock.js';

let fake: FakeHetzner;
afterEach(async () => {
  fake.assertNoViolations();
  await fake.close();
});

const clientFor = (f: FakeHetzner, overrides: { token?: string; timeoutMs?: number } = {}) => {
  const clock = instantClock();
  const client = createHetznerClient({
    token: overrides.token ?? f.token,
    endpoint: f.endpoint,
    clock,
    log: silentLog,
    timeoutMs: overrides.timeoutMs ?? 5_000,
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
    pollMs: 10,
  });
  return { client, clock };
};

const server = (name: string) => ({
  name,
  serverType: 'cx23',
  image: 'ubuntu-24.04',
  location: 'nbg1',
  labels: { 'managed-by': 'fleetbot', agent: name },
  userData: '#cloud-config\n',
});

describe('Hetzner client against the fake API', () => {
  beforeEach(async () => {
    fake = await startFakeHetzner({ bootDelayMs: 20, actionDelayMs: 10, perPageMax: 2 });
  });

  it('reports each call and the rate budget left, for /metrics', async () => {
    const calls: unknown[] = [];
    const client = createHetznerClient({
      token: fake.token,
      endpoint: fake.endpoint,
      clock: instantClock(),
      log: silentLog,
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      observe: (call) => calls.push(call),
    });
    await client.listServers('managed-by=fleetbot');
    await client.getServer(999_999);
    expect(calls).toEqual([
      { method: 'GET', outcome: 'ok', remaining: expect.any(Number) as number },
      { method: 'GET', outcome: 'error', remaining: expect.any(Number) as number },
    ]);
  });

  it('creates a server with its labels, follows pagination when listing, and deletes it', async () => {
    const { client } = clientFor(fake);
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) await client.createServer(server(name));
    const listed = await client.listServers('managed-by=fleetbot');
    expect(listed.map((s) => s.name).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path === '/servers')).toHaveLength(3);
    expect((await client.listServers('agent=a3')).map((s) => s.name)).toEqual(['a3']);

    const action = await client.deleteServer(listed[0]!.id);
    await client.waitAction(action!);
    expect(fake.servers()).toHaveLength(4);
    expect(await client.deleteServer(listed[0]!.id)).toBeUndefined();
    expect(await client.getServer(listed[0]!.id)).toBeUndefined();
  });

  it('says which variable holds a refused token and where to make a new one, without the token', async () => {
    const { client } = clientFor(fake, { token: 'stale-secret-token' });
    const err = await failureOf(client.listServers('managed-by=fleetbot'));
    expect(err.message).toMatch(/Hetzner refused the token in HCLOUD_TOKEN/);
    expect(err.message).toMatch(/Hetzner Cloud Console .*API tokens.*restart fleetbot/);
    expect(err.message).not.toContain('stale-secret-token');
  });

  it('retries a read after 503 and 429 with growing, jittered delays', async () => {
    const { client, clock } = clientFor(fake);
    fake.failNext(
      { method: 'GET', path: '/locations' },
      { status: 503, code: 'unavailable', message: 'busy' },
    );
    fake.failNext(
      { method: 'GET', path: '/locations' },
      { status: 429, code: 'rate_limit_exceeded', message: 'slow down' },
    );
    const locations = await client.locations();
    expect(locations.map((l) => l.name)).toContain('nbg1');
    expect(clock.waits).toHaveLength(2);
    expect(clock.waits[0]).toBeGreaterThanOrEqual(50);
    expect(clock.waits[0]).toBeLessThanOrEqual(100);
    expect(clock.waits[1]).toBeGreaterThanOrEqual(100);
    expect(clock.waits[1]).toBeLessThanOrEqual(200);
  });

  it('does not retry a request Hetzner refused for a reason that will not change', async () => {
    const { client } = clientFor(fake);
    const err = await failureOf(client.createServer({ ...server('bad'), serverType: 'cx999' }));
    expect(err.message).toMatch(/Hetzner rejected creating server bad: server_type: server type not found/);
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('never creates a second server when the answer to a create was lost: it looks it up by label', async () => {
    const { client } = clientFor(fake, { timeoutMs: 300 });
    let first = true;
    fake.onServerCreated = async () => {
      if (first) await new Promise((r) => setTimeout(r, 600));
      first = false;
    };
    const created = await client.createServer(server('lost'));
    expect(created.name).toBe('lost');
    expect(fake.servers().map((s) => s.name)).toEqual(['lost']);
    // The fake records the first POST only once its delayed answer is written.
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.servers().map((s) => s.name)).toEqual(['lost']);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path === '/servers')).toHaveLength(1);
    expect(
      fake.requests.some(
        (r) => r.path === '/servers' && r.query.label_selector === 'managed-by=fleetbot,agent=lost',
      ),
    ).toBe(true);
  });

  it('treats a success that is not JSON as a lost answer: reads again, and looks up a create before repeating it', async () => {
    const { client } = clientFor(fake);
    fake.failNext({ method: 'GET', path: '/locations' }, { malformedJson: true });
    fake.failNext({ method: 'POST', path: '/servers' }, { malformedJson: true, status: 201 });
    expect((await client.locations()).map((l) => l.name)).toContain('nbg1');
    await client.createServer(server('garbled'));
    expect(fake.servers().map((s) => s.name)).toEqual(['garbled']);
    const calls = fake.requests.filter((r) => r.path === '/servers').map((r) => r.method);
    expect(calls).toEqual(['POST', 'GET', 'POST']);
  });

  it('creates again after a 5xx only once the lookup shows nothing was created', async () => {
    const { client } = clientFor(fake);
    fake.failNext(
      { method: 'POST', path: '/servers' },
      { status: 500, code: 'server_error', message: 'oops' },
    );
    await client.createServer(server('again'));
    expect(fake.servers().map((s) => s.name)).toEqual(['again']);
    const calls = fake.requests.filter((r) => r.path === '/servers').map((r) => r.method);
    expect(calls).toEqual(['POST', 'GET', 'POST']);
  });

  it('waits for actions, snapshots a powered-off server and finds the image by label', async () => {
    const { client } = clientFor(fake);
    const s = await client.createServer(server('img'));
    // A server is locked while its create action runs; a deploy waits for running anyway.
    while ((await client.getServer(s.id))?.status !== 'running') await new Promise((r) => setTimeout(r, 10));
    await client.waitAction(await client.poweroff(s.id));
    const { image, action } = await client.createImage(s.id, {
      description: 'fleetbot swe v1',
      labels: { 'managed-by': 'fleetbot', role: 'swe' },
    });
    expect(image.status).toBe('creating');
    await client.waitAction(action);
    const images = await client.listImages({
      labelSelector: 'managed-by=fleetbot,role=swe',
      type: 'snapshot',
    });
    expect(images).toEqual([expect.objectContaining({ id: image.id, status: 'available' })]);
    await client.deleteImage(image.id);
    expect(fake.images().filter((i) => i.type === 'snapshot')).toEqual([]);
  });
});

describe('Hetzner client and the hourly budget', () => {
  beforeEach(async () => {
    fake = await startFakeHetzner({ rateLimit: 12 });
  });

  it('slows down before the budget runs out instead of running into 429', async () => {
    const { client, clock } = clientFor(fake);
    for (let i = 0; i < 10; i++) await client.locations();
    expect(clock.waits.length).toBeGreaterThan(0);
    expect(clock.waits.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
    expect(fake.requests.some((r) => r.status === 429)).toBe(false);
  });
});
