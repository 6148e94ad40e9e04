import { describe, expect, it } from 'vitest';
import { operations } from '../src/core/api/operations.js';
import { startApiBot, type ApiResponse } from './support/apiBot.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';
import { parseSse } from './support/sse.js';
import { runningAgent } from './support/agents.js';

const jobOf = (body: unknown) => (body as { job: { id: number; status: string; kind: string } }).job;
const problemOf = (body: unknown) => body as { type: string; title: string; status: number; detail: string };

describe('the HTTP API', () => {
  const defer = useCleanups();

  it('serves an OpenAPI 3.1 document with every HTTP operation, the problem schema and bearer keys', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1' });
    defer(() => s.stop());
    const doc = (await s.call('GET', '/v1/openapi.json', { template: '/v1/openapi.json' })).body as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const served = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(served.sort()).toEqual(['openapi', ...operations.filter((o) => o.http).map((o) => o.name)].sort());
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Agent', 'Job', 'Step', 'Approval', 'Logs', 'Problem']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/jobs/{job}/events']!.get!.responses['200']).toMatchObject({
      content: { 'text/event-stream': {} },
    });
  });

  it('deploys, follows and resumes the job’s events, replays an Idempotency-Key, restarts, reads logs, cancels and asks to destroy', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1' });
    defer(() => s.stop());
    const key = s.key('ci', ['agents:read', 'agents:deploy', 'agents:destroy']);

    expect((await s.call('GET', '/v1/agents', { template: '/v1/agents', key })).body).toEqual({ agents: [] });

    const headers = { 'idempotency-key': 'deploy-alice-1' };
    const body = { role: 'swe', name: 'alice' };
    const deployed = await s.call('POST', '/v1/agents', { template: '/v1/agents', key, body, headers });
    expect(deployed.status).toBe(202);
    const job = jobOf(deployed.body);
    expect(job).toMatchObject({ kind: 'deploy', status: 'queued' });

    const events = await s.call('GET', `/v1/jobs/${job.id}/events`, {
      template: '/v1/jobs/{job}/events',
      key,
    });
    expect(events.headers['content-type']).toBe('text/event-stream');
    const stream = parseSse(events.text);
    expect(stream[0]).toMatchObject({ id: '0', event: 'queued' });
    const end = stream.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data).toMatchObject({ id: job.id, status: 'succeeded' });
    s.expectEndEvent('GET', '/v1/jobs/{job}/events', end.data);
    const resumed = await s.call('GET', `/v1/jobs/${job.id}/events`, {
      template: '/v1/jobs/{job}/events',
      key,
      headers: { 'last-event-id': stream.at(-2)!.id! },
    });
    expect(parseSse(resumed.text)).toEqual([end]);

    // The same request again answers the first response; nothing is deployed twice.
    const again = await s.call('POST', '/v1/agents', { template: '/v1/agents', key, body, headers });
    expect(again.status).toBe(202);
    expect(jobOf(again.body).id).toBe(job.id);
    expect(s.bot.store.jobs.recent(10)).toHaveLength(1);
    const other = await s.call('POST', '/v1/agents', {
      template: '/v1/agents',
      key,
      body: { role: 'swe', name: 'bob' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(problemOf(other.body).detail).toMatch(/Idempotency-Key was used for a different request/);
    // Two copies at once: one deploys, the other gets its answer or is told to ask again; never two jobs.
    const twins = await Promise.all(
      [1, 2].map(() =>
        s.call('POST', '/v1/agents', {
          template: '/v1/agents',
          key,
          body: { role: 'swe', name: 'erin' },
          headers: { 'idempotency-key': 'deploy-erin' },
        }),
      ),
    );
    expect(twins.map((t) => t.status).sort()).toEqual(expect.arrayContaining([202]));
    for (const twin of twins) expect([202, 409]).toContain(twin.status);
    expect(s.bot.store.jobs.recent(10).filter((j) => j.subject === 'erin')).toHaveLength(1);
    await s.bot.idle();

    const shown = await s.call('GET', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(shown.body).toMatchObject({ agent: { name: 'alice', status: 'running', owner: 'api:ci' } });
    const listed = await s.call('GET', '/v1/agents?all=true', { template: '/v1/agents', key });
    expect((listed.body as { agents: { name: string }[] }).agents.map((a) => a.name).sort()).toEqual([
      'alice',
      'erin',
    ]);
    const got = await s.call('GET', `/v1/jobs/${job.id}`, { template: '/v1/jobs/{job}', key });
    expect(jobOf(got.body).status).toBe('succeeded');

    const logs = await s.call('GET', '/v1/agents/alice/logs?lines=5', {
      template: '/v1/agents/{name}/logs',
      key,
    });
    expect(logs.body).toMatchObject({ agent: 'alice' });
    expect((logs.body as { lines: string[] }).lines.length).toBeLessThanOrEqual(5);

    const restarted = await s.call('POST', '/v1/agents/alice/restart', {
      template: '/v1/agents/{name}/restart',
      key,
    });
    expect(restarted.status).toBe(202);
    const restart = jobOf(restarted.body);
    expect(restart.kind).toBe('restart');
    await s.bot.idle();
    const cancelled = await s.call('POST', `/v1/jobs/${restart.id}/cancel`, {
      template: '/v1/jobs/{job}/cancel',
      key,
    });
    expect(cancelled.status).toBe(200);
    expect(jobOf(cancelled.body)).toMatchObject({ id: restart.id, status: 'succeeded' });

    const destroy = await s.call('DELETE', '/v1/agents/alice', { template: '/v1/agents/{name}', key });
    expect(destroy.status).toBe(202);
    expect(destroy.body).toMatchObject({ approval: {} });
    expect(s.bot.store.agents.live('alice')?.status).toBe('running');
  });

  it('narrows the agents by the query as /list does, and says what is wrong with a filter', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1' });
    defer(() => s.stop());
    const key = s.key('dash', ['agents:read']);
    runningAgent(s.bot.store, 'alpha', 'telegram:1');
    const old = runningAgent(s.bot.store, 'bravo', 'telegram:2');
    s.bot.store.db
      .prepare('UPDATE agents SET created_at = ? WHERE id = ?')
      .run(Date.now() - 10 * 86_400_000, old.id);
    const names = async (query: string) =>
      (
        (await s.call('GET', `/v1/agents${query}`, { template: '/v1/agents', key })).body as {
          agents: { name: string }[];
        }
      ).agents.map((a) => a.name);
    expect(await names('?owner=telegram:2')).toEqual(['bravo']);
    expect(await names('?since=7d')).toEqual(['alpha']);
    expect(await names('?role=swe&status=running&provider=local')).toEqual(['alpha', 'bravo']);
    expect(await names('?role=review')).toEqual([]);
    const bad = await s.call('GET', '/v1/agents?until=someday', { template: '/v1/agents', key });
    expect(bad.status).toBe(400);
    expect(problemOf(bad.body).detail).toBe(
      'until: --until takes a date (2026-12-01) or how long ago (7d, 12h), not "someday".',
    );
  });

  it('answers a prompt as Server-Sent Events ending with the answer', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1' });
    defer(() => s.stop());
    const key = s.key('asker', ['agents:read', 'agents:deploy', 'agents:chat']);
    await s.call('POST', '/v1/agents', { template: '/v1/agents', key, body: { role: 'swe', name: 'carol' } });
    await s.bot.idle();

    const asked = await s.call('POST', '/v1/agents/carol/ask', {
      template: '/v1/agents/{name}/ask',
      key,
      body: { prompt: 'list', conversation: 'ci-run-1' },
    });
    expect(asked.status).toBe(200);
    const stream = parseSse(asked.text);
    expect(stream.some((e) => e.event === 'text')).toBe(true);
    const end = stream.at(-1)!;
    expect(end).toMatchObject({ event: 'end', data: { status: 'answered' } });
    expect((end.data as { text: string }).text).toMatch(/agent\.log/);
    s.expectEndEvent('POST', '/v1/agents/{name}/ask', end.data);
    expect(
      s.bot.store.db
        .prepare<[], { chat_id: string }>('SELECT chat_id FROM conversations')
        .all()
        .map((r) => r.chat_id),
    ).toEqual(['asker/ci-run-1']);
  });

  it('refuses with problems: scope, revoked key, unknown fields, size, media type, routes, methods and the rate limit', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startApiBot(tmp.dir, { FLEETBOT_HTTP_PORT: '1', FLEETBOT_RATE_LIMIT: '12' });
    defer(() => s.stop());
    const reader = s.key('reader', ['agents:read']);
    const gone = s.key('gone', ['admin']);
    s.bot.store.apiKeys.revoke('gone');

    const scope = await s.call('POST', '/v1/agents', {
      template: '/v1/agents',
      key: reader,
      body: { role: 'swe', name: 'dave' },
    });
    expect(scope.status).toBe(403);
    expect(problemOf(scope.body)).toMatchObject({
      type: 'urn:fleetbot:problem:forbidden',
      title: 'Forbidden',
      status: 403,
    });
    expect(problemOf(scope.body).detail).toMatch(/needs agents:deploy/);
    expect(s.bot.store.agents.list({ includeGone: true })).toEqual([]);

    const revoked = await s.call('GET', '/v1/agents', { template: '/v1/agents', key: gone });
    expect(revoked.status).toBe(401);
    expect(revoked.headers['www-authenticate']).toBe('Bearer');
    expect(revoked.text).not.toContain(gone);
    const none = await s.call('GET', '/v1/agents', { template: '/v1/agents' });
    expect(none.status).toBe(401);

    const unknown = await s.call('GET', '/v1/agents?everything=true', {
      template: '/v1/agents',
      key: reader,
    });
    expect(unknown.status).toBe(400);
    expect(problemOf(unknown.body).detail).toMatch(/everything/);
    const extra = await s.call('POST', '/v1/agents', {
      template: '/v1/agents',
      key: reader,
      body: { role: 'swe', name: 'dave', size: 'huge' },
    });
    expect(extra.status).toBe(400);
    const notJson = await s.call('POST', '/v1/agents', {
      template: '/v1/agents',
      key: reader,
      raw: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(problemOf(notJson.body).detail).toBe('The body is not valid JSON.');

    const big = await s.call('POST', '/v1/agents/x/ask', {
      template: '/v1/agents/{name}/ask',
      key: reader,
      body: { prompt: 'x'.repeat(70_000) },
    });
    expect(big.status).toBe(413);
    const form = await s.call('POST', '/v1/agents', {
      template: '/v1/agents',
      key: reader,
      raw: 'role=swe&name=dave',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    const { request } = await import('undici');
    const missing = await request(`${s.base}/v1/robots`);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json');
    expect(await missing.body.json()).toMatchObject({ status: 404, title: 'Not found' });
    const wrong = await request(`${s.base}/v1/agents`, { method: 'PUT' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST');
    expect(await wrong.body.json()).toMatchObject({ status: 405 });

    const statuses: number[] = [];
    let limited: ApiResponse | undefined;
    while (!limited && statuses.length < 20) {
      const res = await s.call('GET', '/v1/agents', { template: '/v1/agents', key: reader });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    if (!limited) throw new Error(`never limited: ${statuses.join(' ')}`);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(problemOf(limited.body).title).toBe('Too many requests');
  });
});
