import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../src/core/runtime/httpServer.js';
import { createMetrics } from '../src/core/runtime/metrics.js';
import { useCleanups } from './support/cleanups.js';
import { silentLog } from './support/env.js';
import { startFakeAgent } from './support/fakeAgent.js';
import { seedLocalAgent } from './support/localAgents.js';
import { ann, telegramSessions } from './support/telegramSession.js';

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition, as a scraper reads them. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

describe('/metrics of a running bot', () => {
  const session = telegramSessions();
  const defer = useCleanups();

  it('says which fleetbot runs, which agent is up, how many outages are open, under standard process names', async () => {
    const http = createHttpServer({ port: 0, host: '127.0.0.1', log: silentLog });
    const port = await http.listen();
    defer(() => http.close());
    const s = await session({
      http,
      metrics: createMetrics(),
      env: { FLEETBOT_HEALTH_INTERVAL: '1h', FLEETBOT_HEALTH_TIMEOUT: '300ms' },
    });
    const healthy = await startFakeAgent('alice');
    const broken = await startFakeAgent('bobby');
    defer(() => healthy.close());
    defer(() => broken.close());
    seedLocalAgent(s.bot.store, 'alice', healthy.url, defer);
    const bobby = seedLocalAgent(s.bot.store, 'bobby', broken.url, defer);
    await broken.set('failing');
    // FLEETBOT_DOWN_AFTER is 3: the third failed check opens bobby's outage.
    for (let i = 0; i < 3; i++) await s.bot.monitor.cycle();
    await s.settle();
    const scrape = async (): Promise<Sample[]> =>
      parseExposition(await (await request(`http://127.0.0.1:${port}/metrics`)).body.text());
    const { version } = JSON.parse(await (await request(`http://127.0.0.1:${port}/healthz`)).body.text()) as {
      version: string;
    };

    const samples = await scrape();
    const named = (name: string) => samples.filter((x) => x.name === name);
    expect(named('fleetbot_build_info')).toEqual([
      { name: 'fleetbot_build_info', labels: { version, node: process.versions.node }, value: 1 },
    ]);
    expect(named('fleetbot_agent_up')).toEqual(
      expect.arrayContaining([
        { name: 'fleetbot_agent_up', labels: { agent: 'alice', role: 'swe', provider: 'local' }, value: 1 },
        { name: 'fleetbot_agent_up', labels: { agent: 'bobby', role: 'swe', provider: 'local' }, value: 0 },
      ]),
    );
    expect(named('fleetbot_agent_up')).toHaveLength(2);
    expect(named('fleetbot_incidents_open')).toEqual([
      { name: 'fleetbot_incidents_open', labels: {}, value: 1 },
    ]);
    // The names Node.js dashboards query, and no doubled prefix.
    expect(named('process_cpu_seconds_total')).toHaveLength(1);
    expect(named('nodejs_heap_size_total_bytes')).toHaveLength(1);
    expect(
      samples.filter((x) => /process_process_|^fleetbot_process_|^fleetbot_nodejs_/.test(x.name)),
    ).toEqual([]);

    s.bot.fleet.destroy({
      agent: bobby,
      requester: `telegram:${ann.id}`,
      chat: { platform: 'telegram', chatId: String(ann.id) },
    });
    await s.bot.idle();
    expect((await scrape()).filter((x) => x.name === 'fleetbot_agent_up').map((x) => x.labels.agent)).toEqual(
      ['alice'],
    );
  });
});
