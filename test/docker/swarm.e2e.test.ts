import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { chatSections } from '../../src/protocols/index.js';
import { roleSections } from '../../src/providers/index.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { dockerUnavailable } from '../support/docker.js';
import { tempDir } from '../support/env.js';
import { startSwarmLab, type SwarmLab } from '../support/swarmLab.js';
import { inspectService, labSwarmProvider, swarmLeftovers } from '../support/swarmProvider.js';

// A whole bot on the console deploying to a real two-node Swarm: agents spread over both nodes,
// /status naming the node, a drain moving an agent and its followers told where, conversations
// through an exec on whichever node runs the agent, an orphan found by reconciliation, and /destroy
// leaving no service, secret, config or network.

const skip = dockerUnavailable();
const instance = 'swarm-e2e';
const secret = 'sk-ant-swarm-e2e-never-shown';

describe.skipIf(skip)('the swarm provider through a whole bot on a two-node swarm', () => {
  let lab: SwarmLab;
  let s: Awaited<ReturnType<typeof startConsoleBot>>;
  const tmp = tempDir();

  beforeAll(async () => {
    lab = await startSwarmLab();
    s = await startConsoleBot(
      tmp.dir,
      { FLEETBOT_INSTANCE: instance, FLEETBOT_ORPHAN_AGE: '0', ANTHROPIC_API_KEY: secret },
      { providers: [labSwarmProvider(lab, { instance })] },
    );
  });
  afterAll(async () => {
    await s?.stop();
    const violations = lab ? [...lab.spec.violations] : [];
    await lab?.close();
    tmp.cleanup();
    expect(violations).toEqual([]);
  });

  const addressOf = (name: string): string => {
    const node = z.string().parse(s.bot.store.agents.live(name)?.resources['node']);
    return /\(([\d.]+)\)$/.exec(node)?.[1] ?? `no node recorded for ${name}: ${node}`;
  };
  const statusOf = async (name: string): Promise<string> => {
    await s.type(`/status ${name}`);
    return s.lastText();
  };

  it('deploys two agents to healthy, one on each node, their secrets never in the service spec', async () => {
    await s.type('/alerts on all');
    await s.type('/deploy swe swalice --provider swarm');
    await s.type('/deploy swe swbob --provider swarm');
    for (const name of ['swalice', 'swbob']) {
      const card = s.find(new RegExp(`Deploy ${name}`))!.versions.at(-1)!;
      expect(card).toMatch(new RegExp(`^✅ Done: Deploy ${name} \\(swe, swarm\\)`));
      expect(card).toMatch(/✅ Store its secrets as Docker secrets · /);
    }
    expect([addressOf('swalice'), addressOf('swbob')].sort()).toEqual(
      [lab.managerAddress, lab.workerAddress].sort(),
    );
    expect(await statusOf('swalice')).toContain(`on node `);
    expect(s.lastText()).toContain(`(${addressOf('swalice')})`);
    expect(inspectService('fleetbot-swalice')).not.toContain(secret);
    expect(inspectService('fleetbot-swalice')).toContain(
      '"SecretName": "fleetbot-swalice-anthropic_api_key"',
    );
    expect(s.output()).not.toContain(secret);
    const ports = ['swalice', 'swbob'].map((n) => s.bot.store.agents.live(n)!.resources['port']);
    expect(new Set(ports).size).toBe(2);
  });

  it('shows the agent’s logs from the service, and /ask reaches an agent on either node', async () => {
    await s.type('/logs swbob -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of swbob/);
    expect(s.lastText()).toContain('listening on http://0.0.0.0:3100');
    for (const name of ['swalice', 'swbob']) {
      await s.type(`/ask ${name} say hello`);
      await s.shows(new RegExp(`${name}[\\s\\S]*(hello|echo|model)`, 'i'), 30_000);
    }
  });

  it('/ask on a node whose Engine fleetbot cannot reach says which node and what to set', async () => {
    const onWorker = ['swalice', 'swbob'].find((n) => addressOf(n) === lab.workerAddress)!;
    const provider = labSwarmProvider(lab, { instance, reachWorker: false });
    const role = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
    const agent = s.bot.store.agents.live(onWorker)!;
    await expect(provider.channels!(agent, role).spawn(['node', '--version'])).rejects.toThrow(
      `${onWorker} runs on node vm (${lab.workerAddress}), whose Docker Engine fleetbot cannot reach, so it cannot start a conversation there. Map the node to its Engine in FLEETBOT_SWARM_NODES (e.g. ${lab.workerAddress}=ssh://root@${lab.workerAddress}), or constrain the role to nodes fleetbot reaches (providers.swarm.constraints).`,
    );
  });

  it('moves an agent off a drained node, and /status and its followers say where to', async () => {
    await s.bot.monitor.cycle();
    const onWorker = ['swalice', 'swbob'].find((n) => addressOf(n) === lab.workerAddress)!;
    await lab.setAvailability(lab.nodeIds.worker, 'drain');
    try {
      await expect
        .poll(async () => (await s.bot.fleet.status(s.bot.store.agents.live(onWorker)!)).detail, {
          timeout: 60_000,
          interval: 1_000,
        })
        .toMatch(new RegExp(`^status ok.* on node .* \\(${lab.managerAddress.replace(/\./g, '\\.')}\\)$`));
      await s.bot.monitor.cycle();
      await s.shows(
        new RegExp(
          `🔀 ${onWorker} moved: it runs on node \\S+ \\(${lab.managerAddress}\\) now \\(was node \\S+ \\(${lab.workerAddress}\\)\\)`.replace(
            /\./g,
            '\\.',
          ),
        ),
      );
      expect(await statusOf(onWorker)).toContain(`(${lab.managerAddress})`);
    } finally {
      await lab.setAvailability(lab.nodeIds.worker, 'active');
    }
  });

  it('reports a service no agent owns as an orphan, and Delete removes all of it', async () => {
    const record = s.bot.store.agents.live('swbob')!;
    s.bot.store.agents.update(record.id, { status: 'destroyed' });
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 });
    expect(s.lastText()).toContain('service fleetbot-swbob');
    await s.type(/\[(\d+)\] Delete/.exec(s.lastText())![1]!);
    // Removing waits until the network has left every node, longer than the press's own answer.
    await s.shows(/Deleted service fleetbot-swbob.* on swarm/, 60_000);
    expect(swarmLeftovers({ 'fleetbot-instance': instance, agent: 'swbob' })).toEqual([]);
  });

  it('/destroy leaves no service, secret, config or network', async () => {
    const card = await approvedDestroy(s, 'swalice');
    expect(card).toMatch(/^✅ Done: Destroy swalice/);
    expect(swarmLeftovers({ 'fleetbot-instance': instance })).toEqual([]);
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
  });
});
