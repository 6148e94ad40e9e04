import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../../src/core/runtime/clock.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSwarmProvider } from '../../src/providers/swarm/index.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { engineSpecCheck } from '../support/engineSpec.js';
import { tempDir } from '../support/env.js';
import { setAvailability } from '../support/swarmForm.js';
import { ensureLabImage } from './labImage.js';
import { vmLabUnavailable } from './lab.js';
import { startSwarmLab, type SwarmLab } from './swarmLab.js';

// fleetbot's swarm provider on a Swarm of two real Debian 12 VMs (one manager, one worker, Debian's
// docker.io), reached only over SSH with pinned host keys (FLEETBOT_SWARM_HOST=ssh://root@<manager>,
// the worker's Engine for conversations as FLEETBOT_SWARM_NODES maps it): agents land on both VMs,
// /ask reaches the one on the worker, a drain moves it and its followers are told, /destroy leaves
// nothing on the swarm.

const unavailable = vmLabUnavailable();
const login = generateHostKey('fleetbot swarm lab login');
const spec = engineSpecCheck();
const instance = 'vm-swarm';
const secret = 'sk-ant-vm-swarm-never-shown';
const listed = z.array(z.object({ Spec: z.object({ Name: z.string() }) }));
const nodes = z.array(
  z.object({ Description: z.object({ Hostname: z.string() }), Spec: z.object({ Role: z.string() }) }),
);

describe.skipIf(unavailable !== undefined)('the swarm provider on two VMs (VM lab)', () => {
  let swarm: SwarmLab;
  let s: Awaited<ReturnType<typeof startConsoleBot>>;
  const tmp = tempDir('fleetbot-vm-swarm-');

  beforeAll(async () => {
    const image = await ensureLabImage();
    swarm = await startSwarmLab({
      image,
      loginPublicKey: login.publicKey,
      loginPrivateKey: login.privateKey,
      spec,
      log: (line) => console.log(`[swarm lab] ${line}`),
    });
    s = await startConsoleBot(
      tmp.dir,
      { FLEETBOT_INSTANCE: instance, ANTHROPIC_API_KEY: secret },
      {
        providers: [
          createSwarmProvider({
            manager: swarm.manager.engine,
            nodeEngines: new Map([[swarm.worker.ip, swarm.worker.engine]]),
            nodesVariable: 'FLEETBOT_SWARM_NODES',
            defaultImage: swarm.image,
            portBase: 31_000,
            // Emulated VMs start a container in seconds, not milliseconds.
            healthDeadlineMs: 240_000,
            instance,
            clock: systemClock,
          }),
        ],
      },
    );
  });
  afterAll(async () => {
    await s?.stop();
    await swarm?.close();
    tmp.cleanup();
  });

  const nodeOf = (name: string): string => String(s.bot.store.agents.live(name)?.resources['node']);

  it('is a swarm of a manager and a worker, reached over SSH', async () => {
    const found = await swarm.manager.engine.json('GET', '/nodes', nodes, { what: 'listing nodes' });
    expect(found.map((n) => [n.Description.Hostname, n.Spec.Role]).sort()).toEqual([
      ['swarm-1', 'manager'],
      ['swarm-2', 'worker'],
    ]);
  });

  it('deploys an agent on each VM, talks to the one on the worker, moves it off a drained node and destroys both', async () => {
    await s.type('/alerts on all');
    await s.type('/deploy swe vmalice --provider swarm');
    await s.type('/deploy swe vmbob --provider swarm');
    for (const name of ['vmalice', 'vmbob'])
      expect(s.find(new RegExp(`Deploy ${name}`))!.versions.at(-1)).toMatch(
        new RegExp(`^✅ Done: Deploy ${name} \\(swe, swarm\\)`),
      );
    const onWorker = ['vmalice', 'vmbob'].find((n) => nodeOf(n).includes(`(${swarm.worker.ip})`));
    const onManager = ['vmalice', 'vmbob'].find((n) => nodeOf(n).includes(`(${swarm.manager.ip})`));
    expect([onWorker, onManager].sort()).toEqual(['vmalice', 'vmbob']);
    await s.type(`/status ${onWorker!}`);
    expect(s.lastText()).toContain(`(${swarm.worker.ip})`);
    expect(s.output()).not.toContain(secret);

    // A conversation through an attached exec on the worker's Engine, over SSH.
    await s.type(`/ask ${onWorker!} write notes.txt hello from chat`);
    await s.shows(new RegExp(`${onWorker!} asks permission`), 120_000);
    const ask = s.find(new RegExp(`${onWorker!} asks permission`))!.versions.at(-1)!;
    await s.type(/\[(\d+)\] Allow once/.exec(ask)![1]!);
    await s.shows(/Wrote 16 bytes to notes\.txt\./, 120_000);

    await s.bot.monitor.cycle();
    await setAvailability(swarm.manager.engine, swarm.nodeIds.worker, 'drain');
    await expect
      .poll(async () => (await s.bot.fleet.status(s.bot.store.agents.live(onWorker!)!)).detail, {
        timeout: 300_000,
        interval: 3_000,
      })
      .toContain(`(${swarm.manager.ip})`);
    await s.bot.monitor.cycle();
    await s.shows(
      new RegExp(
        `🔀 ${onWorker!} moved: it runs on node \\S+ \\(${swarm.manager.ip.replace(/\./g, '\\.')}\\) now`,
      ),
    );

    for (const name of ['vmalice', 'vmbob'])
      expect(await approvedDestroy(s, name)).toMatch(new RegExp(`^✅ Done: Destroy ${name}`));
    const filters = JSON.stringify({ label: [`fleetbot-instance=${instance}`] });
    for (const kind of ['services', 'secrets', 'configs', 'networks'])
      expect(
        await swarm.manager.engine.json(
          'GET',
          `/${kind}`,
          listed.or(z.array(z.object({ Name: z.string() }))),
          {
            what: `listing ${kind} left`,
            query: { filters },
          },
        ),
        kind,
      ).toEqual([]);
    expect(spec.violations).toEqual([]);
  });
});
