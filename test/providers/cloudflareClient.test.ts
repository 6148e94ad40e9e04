import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCloudflareClient } from '../../src/providers/cloudflare/client.js';
import { startFakeCloudflare, type FakeCloudflare } from '../fakes/cloudflare/index.js';
import { failureOf } from '../support/failure.js';
import { instantClock } from '../support/instantClock.js';

let fake: FakeCloudflare;
beforeEach(async () => {
  fake = await startFakeCloudflare({ zoneName: 'agents.example.test' });
});
afterEach(async () => {
  fake.assertNoViolations();
  await fake.close();
});

const clientFor = (over: { token?: string; zoneId?: string } = {}) => {
  const clock = instantClock();
  const client = createCloudflareClient({
    token: over.token ?? fake.token,
    zoneId: over.zoneId ?? fake.zoneId,
    apiBase: fake.apiBase,
    clock,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
  });
  return { client, clock };
};

describe('Cloudflare DNS client against the fake API', () => {
  it('creates an unproxied A record with an explicit TTL, then updates it in place', async () => {
    const { client } = clientFor();
    const created = await client.upsertA('alice.agents.example.test', '203.0.113.7', {
      ttl: 300,
      comment: 'fleetbot agent alice',
      mayReplace: () => true,
    });
    expect(fake.records()).toEqual([
      expect.objectContaining({
        id: created.id,
        type: 'A',
        name: 'alice.agents.example.test',
        content: '203.0.113.7',
        ttl: 300,
        proxied: false,
      }),
    ]);
    const updated = await client.upsertA('alice.agents.example.test', '203.0.113.9', {
      ttl: 300,
      comment: 'fleetbot agent alice',
      mayReplace: () => true,
    });
    expect(updated.id).toBe(created.id);
    expect(fake.records()).toEqual([expect.objectContaining({ content: '203.0.113.9', proxied: false })]);
  });

  it('deletes a record, and treats a record that is already gone as deleted', async () => {
    const { client } = clientFor();
    const record = await client.upsertA('bob.agents.example.test', '203.0.113.8', {
      ttl: 60,
      comment: 'x',
      mayReplace: () => true,
    });
    expect(await client.deleteRecord(record.id)).toBe('deleted');
    expect(await client.deleteRecord(record.id)).toBe('gone');
    expect(fake.records()).toEqual([]);
  });

  it('verifies a good token and explains a bad one without echoing it', async () => {
    await clientFor().client.verify();
    const err = await failureOf(clientFor({ token: 'wrong-secret-token' }).client.verify());
    expect(err.message).toMatch(
      /Cloudflare refused the token in CLOUDFLARE_API_TOKEN .*1000 Invalid API Token/,
    );
    expect(err.message).toMatch(/dash\.cloudflare\.com\/profile\/api-tokens/);
    expect(err.message).not.toContain('wrong-secret-token');
  });

  it('names CLOUDFLARE_ZONE_ID when the zone is wrong, and the permission when the token lacks it', async () => {
    const zoneErr = await failureOf(
      clientFor({ zoneId: '0'.repeat(32) }).client.upsertA('c.agents.example.test', '203.0.113.1', {
        ttl: 60,
        comment: 'x',
        mayReplace: () => true,
      }),
    );
    expect(zoneErr.message).toMatch(/does not know the zone in CLOUDFLARE_ZONE_ID/);
    const permErr = await failureOf(
      clientFor({ token: 'other-token' }).client.upsertA('c.agents.example.test', '203.0.113.1', {
        ttl: 60,
        comment: 'x',
        mayReplace: () => true,
      }),
    );
    expect(permErr.message).toMatch(/may not edit DNS in zone CLOUDFLARE_ZONE_ID.*Zone → DNS → Edit/);
  });

  it('honours Retry-After on 429 and retries a 5xx, creating the record exactly once', async () => {
    const { client, clock } = clientFor();
    fake.failNext({ method: 'GET' }, { status: 429, code: 10013, message: 'rate limited' });
    fake.failNext({ method: 'POST' }, { status: 502, code: 1, message: 'bad gateway' });
    await client.upsertA('d.agents.example.test', '203.0.113.2', {
      ttl: 60,
      comment: 'x',
      mayReplace: () => true,
    });
    expect(fake.records()).toHaveLength(1);
    expect(clock.waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.status === 200)).toHaveLength(1);
  });

  it('treats a success that is not JSON as a lost answer and retries it', async () => {
    const { client } = clientFor();
    fake.failNext({ method: 'GET' }, { malformedJson: true });
    fake.failNext({ method: 'POST' }, { malformedJson: true });
    await client.upsertA('g.agents.example.test', '203.0.113.3', {
      ttl: 60,
      comment: 'x',
      mayReplace: () => true,
    });
    expect(fake.records()).toHaveLength(1);
  });

  it('explains a name clash with a record of another type', async () => {
    const { client } = clientFor();
    fake.failNext(
      { method: 'POST' },
      { status: 400, code: 81053, message: 'An A, AAAA, or CNAME record with that host already exists.' },
    );
    const err = await failureOf(
      client.upsertA('e.agents.example.test', '203.0.113.3', {
        ttl: 60,
        comment: 'x',
        mayReplace: () => true,
      }),
    );
    expect(err.message).toMatch(/another record already uses that name .*pick another agent name/);
    expect(fake.records()).toEqual([]);
  });
});
