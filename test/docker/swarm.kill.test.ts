import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { dockerUnavailable } from '../support/docker.js';
import { tempDir } from '../support/env.js';
import { startSwarmLab, type SwarmLab } from '../support/swarmLab.js';
import { labSwarmProvider, swarmLeftovers } from '../support/swarmProvider.js';

// kill -9 in the middle of a Swarm deploy: fleetbot (the real CLI, configured as a person would) is
// killed once the agent's secret exists; the next fleetbot on the same data folder resumes the deploy
// from its record, finding what was made by its labels instead of making it twice.

const skip = dockerUnavailable();
const instance = 'swarm-kill';

describe.skipIf(skip)('a Swarm deploy cut off by kill -9', () => {
  let lab: SwarmLab;
  const tmp = tempDir();
  beforeAll(async () => {
    lab = await startSwarmLab();
  });
  afterAll(async () => {
    const violations = lab ? [...lab.spec.violations] : [];
    await lab?.close();
    tmp.cleanup();
    expect(violations).toEqual([]);
  });

  it('resumes after a restart, with one of each thing it made, and destroy leaves nothing', async () => {
    const env = {
      FLEETBOT_INSTANCE: instance,
      FLEETBOT_PROVIDERS: 'swarm',
      FLEETBOT_SWARM_IMAGE: lab.image,
      FLEETBOT_SWARM_NODES: `${lab.workerAddress}=unix://${lab.workerSocket}`,
      ANTHROPIC_API_KEY: 'sk-ant-swarm-kill',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        FLEETBOT_DATA_DIR: tmp.dir,
        FLEETBOT_CONSOLE: 'on',
        FLEETBOT_HEALTH_INTERVAL: '1h',
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    const exited = once(child, 'exit');
    child.stdin.write('/deploy swe swcarol --provider swarm\n');
    const secretMade = () =>
      spawnSync('docker', ['secret', 'ls', '-q', '--filter', 'label=agent=swcarol'], {
        encoding: 'utf8',
      }).stdout.trim() !== '';
    for (const end = Date.now() + 60_000; !secretMade(); await new Promise((r) => setTimeout(r, 50)))
      if (Date.now() > end) throw new Error('the first fleetbot never made the secret');
    child.kill('SIGKILL');
    await exited;
    const before = swarmLeftovers({ 'fleetbot-instance': instance, agent: 'swcarol' });
    expect(before).toContain('secret fleetbot-swcarol-anthropic_api_key');

    const s = await startConsoleBot(tmp.dir, env, { providers: [labSwarmProvider(lab, { instance })] });
    try {
      await s.bot.idle();
      await s.shows(/Done: Deploy swcarol/, 90_000);
      const made = swarmLeftovers({ 'fleetbot-instance': instance, agent: 'swcarol' });
      expect(made.filter((m) => m.startsWith('service '))).toEqual(['service fleetbot-swcarol']);
      expect(made.filter((m) => m.startsWith('secret '))).toEqual([
        'secret fleetbot-swcarol-anthropic_api_key',
      ]);
      expect(made.filter((m) => m.startsWith('network '))).toEqual(['network fleetbot-swcarol']);
      expect((await s.bot.fleet.status(s.bot.store.agents.live('swcarol')!)).state).toBe('healthy');
      expect(await approvedDestroy(s, 'swcarol')).toMatch(/^✅ Done: Destroy swcarol/);
      expect(swarmLeftovers({ 'fleetbot-instance': instance })).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
