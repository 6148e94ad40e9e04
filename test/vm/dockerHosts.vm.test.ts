import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkHealth } from '../../src/core/fleet/healthCheck.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import { caddySite } from '../../src/providers/docker/caddySite.js';
import { createDockerProvider } from '../../src/providers/docker/index.js';
import { labelled } from '../../src/providers/docker/objects.js';
import { sshPortReach } from '../../src/providers/docker/reach.js';
import { defaultSubnetPool, subnetPicker } from '../../src/providers/docker/subnets.js';
import { productionMachineDeps } from '../../src/providers/machine/production.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { splitEndpoint } from '../../src/providers/sshHosts/index.js';
import { createSwarmProvider } from '../../src/providers/swarm/index.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { engineSpecCheck } from '../support/engineSpec.js';
import { tempDir } from '../support/env.js';
import { setAvailability } from '../support/swarmForm.js';
import { ensureLabImage } from './labImage.js';
import { vmLabUnavailable } from './lab.js';
import { domain } from './labBot.js';
import { startSwarmLab, type SwarmLab } from './swarmLab.js';

// fleetbot's container providers on two real Debian 12 VMs with Debian's docker.io, whose Engines are
// reached only over SSH with pinned host keys:
// - swarm: the VMs are a Swarm (one manager, one worker; FLEETBOT_SWARM_HOST=ssh://root@<manager>, the
//   worker's Engine for conversations as FLEETBOT_SWARM_NODES maps it): agents land on both VMs, /ask
//   reaches the one on the worker, a drain moves it and its followers are told, /destroy leaves
//   nothing on the swarm;
// - docker: the manager is a plain Docker host (DOCKER_HOST=ssh://root@<manager>) with a domain, so
//   its Caddy serves the agent at https://<name>.<domain> with a certificate from the lab's ACME CA.

const unavailable = vmLabUnavailable();
const login = generateHostKey('fleetbot swarm lab login');
const spec = engineSpecCheck();
const instance = 'vm-swarm';
const secret = 'sk-ant-vm-swarm-never-shown';
const listed = z.array(z.object({ Spec: z.object({ Name: z.string() }) }));
const nodes = z.array(
  z.object({ Description: z.object({ Hostname: z.string() }), Spec: z.object({ Role: z.string() }) }),
);

let swarm: SwarmLab | undefined;
beforeAll(async () => {
  if (unavailable !== undefined) return;
  const image = await ensureLabImage();
  const began = Date.now();
  swarm = await startSwarmLab({
    image,
    loginPublicKey: login.publicKey,
    loginPrivateKey: login.privateKey,
    spec,
    log: (line) => console.log(`[swarm lab, ${Math.round((Date.now() - began) / 1000)} s] ${line}`),
    // Every agent site of the docker provider's test is on the manager, where its Caddy runs.
    lookup: (name) => (name.endsWith(`.${domain}`) ? swarm?.manager.ip : undefined),
  });
});
afterAll(async () => {
  await swarm?.close();
  expect(spec.violations).toEqual([]);
});

describe.skipIf(unavailable !== undefined)('the swarm provider on two VMs (VM lab)', () => {
  let s: Awaited<ReturnType<typeof startConsoleBot>>;
  const tmp = tempDir('fleetbot-vm-swarm-');
  const lab = (): SwarmLab => swarm!;

  beforeAll(async () => {
    const swarm = lab();
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
    tmp.cleanup();
  });

  const nodeOf = (name: string): string => String(s.bot.store.agents.live(name)?.resources['node']);

  it('is a swarm of a manager and a worker, reached over SSH', async () => {
    const swarm = lab();
    const found = await swarm.manager.engine.json('GET', '/nodes', nodes, { what: 'listing nodes' });
    expect(found.map((n) => [n.Description.Hostname, n.Spec.Role]).sort()).toEqual([
      ['swarm-1', 'manager'],
      ['swarm-2', 'worker'],
    ]);
  });

  it('deploys an agent on each VM, talks to the one on the worker, moves it off a drained node and destroys both', async () => {
    const swarm = lab();
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

describe.skipIf(unavailable !== undefined)('the docker provider on a VM with a domain (VM lab)', () => {
  const dockerInstance = 'vm-docker';
  const tmp = tempDir('fleetbot-vm-docker-');
  const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
  afterAll(() => {
    pool.close();
    tmp.cleanup();
  });

  it('serves the agent at https://<name>.<domain> through the host’s Caddy, and destroy takes the site away', async () => {
    const { manager, lab, image } = swarm!;
    const auth = { privateKey: login.privateKey };
    const machine = { address: `${manager.ip}:22`, login: 'root', hostKey: manager.hostKey.publicKey };
    // Production's timings and check, through a client that resolves names with the lab DNS and
    // trusts only the lab ACME CA's root: a healthy answer is a certificate Caddy got from it.
    const deps = {
      ...productionMachineDeps({
        clock: systemClock,
        auth,
        pool,
        acmeCa: lab.acmeDirectory,
        sshEndpoint: splitEndpoint,
      }),
      publicHealth: (url: string, signal: AbortSignal) =>
        checkHealth(url, { timeoutMs: 5_000, signal, dispatcher: lab.https }),
    };
    const s = await startConsoleBot(
      tmp.dir,
      { FLEETBOT_INSTANCE: dockerInstance, ANTHROPIC_API_KEY: secret },
      {
        providers: [
          createDockerProvider({
            engine: manager.engine,
            reach: sshPortReach({
              pool,
              auth,
              target: { host: manager.ip, port: 22, username: 'root', hostKey: manager.hostKey.publicKey },
            }),
            instance: dockerInstance,
            defaultImage: image,
            clock: systemClock,
            // Emulated VMs start a container in seconds, not milliseconds.
            healthDeadlineMs: 240_000,
            pollMs: 500,
            subnets: subnetPicker(defaultSubnetPool),
            site: caddySite(deps, machine, domain),
          }),
        ],
      },
    );
    try {
      const site = `https://vmcarol.${domain}`;
      const onVm = (command: string) =>
        pool.use(
          { host: manager.ip, port: 22, username: 'root', hostKey: manager.hostKey.publicKey },
          auth,
          (ssh) => ssh.exec(command, { timeoutMs: 30_000 }),
          { deadlineMs: 30_000 },
        );

      await s.type('/deploy swe vmcarol --provider docker');
      const card = s.find(/Deploy vmcarol/)!.versions.at(-1)!;
      expect(card).toMatch(/^✅ Done: Deploy vmcarol \(swe, docker\)/);
      expect(card).toContain('✅ Start Caddy (TLS) · ');
      expect(card).toContain(`✅ Check ${site}/health · `);
      expect(card).toContain(`URL: ${site}`);
      const hostPort = z.number().parse(s.bot.store.agents.live('vmcarol')?.resources['hostPort']);
      const caddyfile = await onVm('cat /etc/caddy/fleetbot.d/vmcarol.caddy');
      expect(caddyfile.stdout).toContain(`vmcarol.${domain} {\n\treverse_proxy 127.0.0.1:${hostPort}\n}`);
      // The container publishes on the VM's loopback only: the site is the one way in from outside.
      expect(await deps.publicHealth(`${site}/health`, AbortSignal.timeout(10_000))).toMatchObject({
        state: 'healthy',
      });
      const direct = await checkHealth(`http://${manager.ip}:${hostPort}/health`, { timeoutMs: 3_000 });
      expect(direct.state).toBe('unhealthy');
      await s.type('/status vmcarol');
      expect(s.lastText()).toMatch(/vmcarol · swe on docker · running/);
      expect(s.output()).not.toContain(secret);

      expect(await approvedDestroy(s, 'vmcarol')).toMatch(/^✅ Done: Destroy vmcarol/);
      expect((await onVm('test -e /etc/caddy/fleetbot.d/vmcarol.caddy; echo $?')).stdout.trim()).toBe('1');
      expect((await deps.publicHealth(`${site}/health`, AbortSignal.timeout(10_000))).state).not.toBe(
        'healthy',
      );
      const left = await labelled(manager.engine, { 'fleetbot-instance': dockerInstance });
      expect([...left.containers, ...left.volumes, ...left.networks]).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
