import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkHealth, maxHealthBodyBytes } from '../src/core/fleet/healthCheck.js';
import { useCleanups } from './support/cleanups.js';
import { hostileHealth } from './support/hostileHealth.js';

describe('health checks read at most a small answer', () => {
  const defer = useCleanups();

  it('fails a check whose answer streams on past 64 KiB, and stops reading it', async () => {
    const agent = await hostileHealth({ chunked: true, bytes: 150 * 1024 * 1024 });
    defer(agent.close);
    const health = await checkHealth(agent.url, { timeoutMs: 10_000 });
    expect(health).toMatchObject({
      state: 'unhealthy',
      detail: 'health answered with more than 64 KiB; a health answer is a small JSON object',
    });
    // The agent could push only what the sockets buffer before fleetbot hung up, not its 150 MiB.
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.sent()).toBeLessThan(16 * 1024 * 1024);
  });

  it('fails a check that announces a large body without reading it', async () => {
    const agent = await hostileHealth({ chunked: false, bytes: maxHealthBodyBytes + 1 });
    defer(agent.close);
    const health = await checkHealth(agent.url, { timeoutMs: 10_000 });
    expect(health.state).toBe('unhealthy');
    expect(health.detail).toMatch(/more than 64 KiB/);
  });

  it("cuts the agent's own words in the detail and drops invisible characters", async () => {
    const server = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: `\u202eok\u200b${'y'.repeat(5000)}`, name: 'alice', version: '1' })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(() => new Promise<void>((r) => server.close(() => r())));
    const health = await checkHealth(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      timeoutMs: 5_000,
    });
    expect(health.state).toBe('healthy');
    expect(health.detail).toMatch(/^status oky+…, version 1$/);
    expect(health.detail.length).toBeLessThan(100);
  });
});
