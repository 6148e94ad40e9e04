import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/core/runtime/httpServer.js';
import { createMetrics } from '../src/core/runtime/metrics.js';
import { useCleanups } from './support/cleanups.js';
import { silentLog, tempDir } from './support/env.js';
import { ann, annDm, startTelegramBot } from './support/telegramSession.js';
import { startChatBot } from './support/chatBot.js';
import { memoryBridge } from './support/memoryBridge.js';

describe('/healthz and /metrics', () => {
  const defer = useCleanups();

  it('serves /healthz (503 when a bridge is down) and /metrics whose counters move after a deploy', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const http = createHttpServer({ port: 0, host: '127.0.0.1', log: silentLog });
    const port = await http.listen();
    defer(() => http.close());
    const metrics = createMetrics();
    const s = await startTelegramBot(tmp.dir, { http, metrics });
    defer(() => s.stop());
    const get = async (p: string) => {
      const res = await request(`http://127.0.0.1:${port}${p}`);
      return { status: res.statusCode, text: await res.body.text() };
    };
    expect(await get('/healthz')).toMatchObject({ status: 200 });
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(JSON.parse((await get('/healthz')).text)).toMatchObject({
      ok: true,
      version,
      bridges: [{ platform: 'telegram', ok: true, detail: 'polling' }],
    });

    await s.say(annDm, ann, '/deploy swe alice');
    const text = (await get('/metrics')).text;
    const value = (line: RegExp): number =>
      Number(
        text
          .split('\n')
          .find((l) => line.test(l))
          ?.split(' ')
          .at(-1),
      );
    expect(value(/^fleetbot_jobs_total\{kind="deploy",outcome="succeeded"\}/)).toBe(1);
    expect(value(/^fleetbot_job_duration_seconds_count\{kind="deploy"\}/)).toBe(1);
    expect(value(/^fleetbot_step_duration_seconds_count\{step="health"\}/)).toBe(1);
    expect(
      value(/^fleetbot_chat_api_calls_total\{platform="telegram",method="sendMessage",outcome="ok"\}/),
    ).toBeGreaterThan(0);
    expect(value(/^fleetbot_agents\{state="unknown"\}/)).toBe(1);
    expect(value(/^fleetbot_queue_depth /)).toBe(0);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^[a-zA-Z_:][\w:]*(\{[^}]*\})? -?[\d.e+-]+|NaN|[+-]Inf$/);

    s.fake.failNext('getUpdates', { status: 401, description: 'Unauthorized', times: 100 });
    await s.fake.waitFor(() => s.fatal.length > 0, 5000);
    const down = await get('/healthz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({
      ok: false,
      version,
      problems: [expect.stringMatching(/^telegram: Telegram refused TELEGRAM_BOT_TOKEN/)],
    });
    s.bot.fleet.destroy({
      agent: s.bot.store.agents.live('alice')!,
      requester: 'telegram:1001',
      chat: { platform: 'telegram', chatId: '1001' },
    });
    await s.bot.idle();
  });
});

describe('/healthz and /metrics are safe to expose', () => {
  const defer = useCleanups();

  it('/healthz writes nothing to the store, and /metrics needs the token when one is set', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const http = createHttpServer({ port: 0, log: silentLog });
    const port = await http.listen();
    defer(() => http.close());
    const mem = memoryBridge('telegram');
    const { bot } = await startChatBot(
      mem.bridge,
      tmp.dir,
      { FLEETBOT_METRICS_TOKEN: 'metrics-token-0123456789' },
      mem.sent,
      { http },
    );
    defer(() => bot.stop());
    const changes = (): number =>
      (bot.store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changes();
    for (let i = 0; i < 20; i++)
      expect((await request(`http://127.0.0.1:${port}/healthz`)).statusCode).toBe(200);
    expect(changes()).toBe(before);
    expect(bot.store.cursors.get('healthz')).toBeUndefined();

    const anonymous = await request(`http://127.0.0.1:${port}/metrics`);
    expect(anonymous.statusCode).toBe(401);
    expect(await anonymous.body.text()).not.toMatch(/fleetbot_/);
    const wrong = await request(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-012345678X' },
    });
    expect(wrong.statusCode).toBe(401);
    const holder = await request(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    });
    expect(holder.statusCode).toBe(200);
    expect(await holder.body.text()).toMatch(/^fleetbot_queue_depth 0$/m);
  });
});
