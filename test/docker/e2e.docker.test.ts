import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { containerLabels, hostPortLabel, launcher } from '../../src/providers/docker/agentContainer.js';
import { localReach } from '../../src/providers/docker/reach.js';
import { allowedNoteWrite } from '../support/allowedAsk.js';
import { useCleanups } from '../support/cleanups.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { tempDir } from '../support/env.js';
import {
  dockerCli,
  dockerUnavailable,
  testDockerProvider,
  testDockerSocket,
  testEngine,
  testNodeImage,
  type TestEngine,
} from '../support/docker.js';
import { labelledLeftovers, removeLabelled } from './leftovers.js';

// A whole bot on the console with the docker provider against the real dockerd: the swe role's
// reference agent deployed as a container, watched, restarted, talked to over ACP through docker
// exec, destroyed; what the container is allowed read back from the Engine's own inspect.

const skip = dockerUnavailable();
const instance = 'dk-e2e';
const secret = 'sk-ant-dk-very-secret';

async function until(what: string, holds: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (holds()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never: ${what}`);
}

const inspectSchema = z.object({
  Config: z.object({ Env: z.array(z.string()), Cmd: z.array(z.string()), User: z.string() }),
  Args: z.array(z.string()),
  HostConfig: z.object({
    ReadonlyRootfs: z.boolean(),
    CapDrop: z.array(z.string()),
    SecurityOpt: z.array(z.string()),
    PidsLimit: z.number(),
    Memory: z.number(),
    NanoCpus: z.number(),
    RestartPolicy: z.object({ Name: z.string() }),
    NetworkMode: z.string(),
    Binds: z.array(z.string()).nullable(),
  }),
  Mounts: z.array(z.object({ Name: z.string().optional(), Destination: z.string(), RW: z.boolean() })),
});

describe.skipIf(skip)('the docker provider through a whole bot', () => {
  const defer = useCleanups();
  let t: TestEngine;
  let image: string;
  const reach = localReach();

  beforeAll(async () => {
    t = testEngine();
    image = await testNodeImage(t.engine);
  });
  afterAll(async () => {
    expect(t.spec.violations).toEqual([]);
    await reach.close();
    await t.engine.close();
  });

  const start = async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const s = await startConsoleBot(
      tmp.dir,
      { FLEETBOT_INSTANCE: instance, ANTHROPIC_API_KEY: secret, FLEETBOT_ORPHAN_AGE: '0' },
      {
        providers: [testDockerProvider({ engine: t.engine, image, instance, reach })],
      },
    );
    defer(() => s.stop());
    // Whatever a failed test left, by this test's own labels only.
    defer(() => removeLabelled(`fleetbot-instance=${instance}`));
    return s;
  };

  it('deploys swe dkalice to a walled container, watches, restarts, talks to it and destroys it', async () => {
    const s = await start();
    await s.type('/deploy swe dkalice --provider docker');
    const card = s.find(/Deploy dkalice/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy dkalice \(swe, docker\)/);
    for (const step of [
      'Choose a port on the Docker socket',
      'Create network fleetbot-dkalice',
      'Put workspace, role files and secrets into volumes',
      'Choose the image: the newest build of swe, else the default',
      'Remove seed container fleetbot-dkalice-seed',
      'Create container fleetbot-dkalice',
      'Start fleetbot-dkalice',
      'Wait for health',
    ])
      expect(card).toContain(`✅ ${step}`);
    expect(s.output()).not.toContain(secret);
    // No image built for swe: FLEETBOT_DOCKER_IMAGE's.
    expect(dockerCli('inspect', '--format', '{{.Config.Image}}', 'fleetbot-dkalice').trim()).toBe(image);
    const resources = s.bot.store.agents.live('dkalice')!.resources;
    expect(s.bot.store.agents.live('dkalice')!.url).toBe(`http://127.0.0.1:${String(resources.hostPort)}`);

    // What the Engine says about the container: its walls, and no secret anywhere in it.
    const raw = dockerCli('inspect', 'fleetbot-dkalice');
    expect(raw).not.toContain(secret);
    const [inspect] = z.array(inspectSchema).parse(JSON.parse(raw));
    expect(inspect!.Config.User).toBe('10001:10001');
    expect(inspect!.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      PidsLimit: 256,
      Memory: 1024 * 1024 * 1024,
      NanoCpus: 1e9,
      RestartPolicy: { Name: 'unless-stopped' },
      NetworkMode: 'fleetbot-dkalice',
    });
    expect(inspect!.HostConfig.Binds ?? []).toEqual([]);
    expect(inspect!.Mounts.map((m) => [m.Destination, m.RW]).sort()).toEqual([
      ['/opt/fleetbot/role', false],
      ['/run/secrets', false],
      ['/workspace', true],
    ]);
    expect(dockerCli('port', 'fleetbot-dkalice').trim()).toBe(
      `3100/tcp -> 127.0.0.1:${String(resources.hostPort)}`,
    );
    // The secret is a 0400 file of the agent's uid, and reaches the agent's environment through the launcher.
    expect(
      dockerCli(
        'exec',
        'fleetbot-dkalice',
        'node',
        '-e',
        'const s=require("fs").statSync("/run/secrets/ANTHROPIC_API_KEY");console.log(s.uid,(s.mode&0o777).toString(8),process.getuid())',
      ).trim(),
    ).toBe('10001 400 10001');
    expect(
      dockerCli(
        'exec',
        'fleetbot-dkalice',
        ...launcher(['node', '-e', 'console.log(process.env.ANTHROPIC_API_KEY)']),
      ).trim(),
    ).toBe(secret);
    const write = spawnSync(
      'docker',
      [
        '-H',
        `unix://${testDockerSocket}`,
        'exec',
        'fleetbot-dkalice',
        'node',
        '-e',
        'require("fs").writeFileSync("/etc/x", "")',
      ],
      { encoding: 'utf8' },
    );
    expect(write.stderr).toContain('EROFS');

    await s.type('/status dkalice');
    expect(s.lastText()).toMatch(/✅ healthy: status ok.*\(container running\)/);
    await s.type('/logs dkalice -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of dkalice/);
    expect(s.lastText()).toContain('GET /health 200');

    await s.type('/restart dkalice');
    expect(s.find(/Restart dkalice/)!.versions.at(-1)).toMatch(/^✅ Done: Restart dkalice/);
    await s.type('/status dkalice');
    expect(s.lastText()).toMatch(/✅ healthy: /);

    // A conversation: the reference agent's acp.mjs through an attached docker exec, as the agent.
    await allowedNoteWrite(s, 'dkalice', 'hello from chat');
    expect(
      dockerCli(
        'exec',
        'fleetbot-dkalice',
        'node',
        '-e',
        'const s=require("fs").statSync("/workspace/notes.txt");process.stdout.write(s.uid+" "+require("fs").readFileSync("/workspace/notes.txt","utf8"))',
      ),
    ).toBe('10001 hello from chat\n');

    const destroy = await approvedDestroy(s, 'dkalice');
    expect(destroy).toMatch(/^✅ Done: Destroy dkalice/);
    expect(labelledLeftovers('agent=dkalice')).toEqual([]);
    expect(dockerCli('ps', '-a', '--filter', 'name=fleetbot-dkalice', '--format', '{{.Names}}').trim()).toBe(
      '',
    );
  }, 120_000);

  it('reports a container with its labels that no record names, and Delete removes all of it', async () => {
    const s = await start();
    await s.type('/alerts on all');
    const labels = containerLabels(instance, 'dkorphan', 'swe');
    await t.engine.json('POST', '/volumes/create', z.object({ Name: z.string() }), {
      what: 'making an orphan volume',
      body: { Name: 'fleetbot-dkorphan-workspace', Labels: labels },
    });
    await t.engine.json('POST', '/containers/create', z.object({ Id: z.string() }), {
      what: 'making an orphan',
      query: { name: 'fleetbot-dkorphan' },
      body: { Image: image, Cmd: ['true'], Labels: labels },
    });
    // The bot's own first round may be the one that reports it, and may have listed the volume
    // before the container was made; either way the agent's leftovers are reported once.
    const { orphans } = await s.bot.reconciler.run();
    expect(orphans).toBeLessThanOrEqual(1);
    await s.shows(/of agent dkorphan on the Docker socket/);
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
    const card = s.find(/dkorphan/)!.versions.at(-1)!;
    expect(card).toMatch(
      /^🧐 (container fleetbot-dkorphan, )?1 volume of agent dkorphan on the Docker socket/,
    );
    await s.type(/\[(\d+)\] Delete/.exec(card)![1]!);
    await until('the orphan is gone', () => labelledLeftovers('agent=dkorphan').length === 0);
  }, 60_000);

  it('leaves the port of a stopped container of another fleetbot on the same Engine to it', async () => {
    const s = await start();
    await s.type('/deploy swe dkcarol --provider docker');
    expect(s.find(/Deploy dkcarol/)!.versions.at(-1)).toMatch(/^✅ Done: Deploy dkcarol/);
    const port = Number(s.bot.store.agents.live('dkcarol')!.resources.hostPort);
    expect(await approvedDestroy(s, 'dkcarol')).toMatch(/^✅ Done: Destroy dkcarol/);
    // Another fleetbot's agent, stopped: the Engine lists no port for it, but it takes its own back when it starts.
    const other = { ...containerLabels('dk-other', 'dkother', 'swe'), [hostPortLabel]: String(port) };
    await t.engine.json('POST', '/containers/create', z.object({ Id: z.string() }), {
      what: 'making a stopped agent of another fleetbot',
      query: { name: 'fleetbot-dkother' },
      body: { Image: image, Cmd: ['true'], Labels: other },
    });
    defer(() => void dockerCli('rm', '-f', 'fleetbot-dkother'));
    await s.type('/deploy swe dkdave --provider docker');
    expect(s.find(/Deploy dkdave/)!.versions.at(-1)).toMatch(/^✅ Done: Deploy dkdave/);
    expect(s.bot.store.agents.live('dkdave')!.resources.hostPort).toBe(port + 1);
    expect(await approvedDestroy(s, 'dkdave')).toMatch(/^✅ Done: Destroy dkdave/);
  }, 120_000);
});
