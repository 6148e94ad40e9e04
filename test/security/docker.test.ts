import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { localReach } from '../../src/providers/docker/reach.js';
import { removeLabelled } from '../docker/leftovers.js';
import { startConsoleBot } from '../support/consoleSession.js';
import {
  dockerCli,
  dockerUnavailable,
  testDockerProvider,
  testEngine,
  testNodeImage,
  type TestEngine,
} from '../support/docker.js';
import { tempDir } from '../support/env.js';
import { hostileAgentScript } from '../support/localAgents.js';
import { attempted } from './tally.js';

// A hostile agent deployed by the docker provider next to another agent on the same real dockerd:
// it tries to reach the Docker socket, its neighbour's port and secrets, fleetbot's own HTTP server
// on the host, to become root or gain a capability, and to write outside its workspace. Each attempt
// is judged by what the agent got back.

const skip = dockerUnavailable();
const instance = 'sec-docker';
const bobSecret = `sk-ant-docker-neighbour-${Date.now()}`;
const storeMarker = `fleetbot store ${Date.now()}`;
const networks = z.array(
  z.object({
    NetworkSettings: z.object({ Networks: z.record(z.string(), z.object({ IPAddress: z.string() })) }),
  }),
);

/**
 * What the neighbour's reference agent answers the hostile agent's `GET /version`: how a reached
 * neighbour is told from whatever else may answer on the way (a proxy of the host's network).
 */
const neighbourAnswer = '"hint":"GET /health"';

type Reached = { connected?: boolean; text?: string; error?: string };
type Report = Record<string, Reached> & {
  privilege: { uid: number; capEff: string; capBnd: string; noNewPrivs: string; setuid: { ok?: boolean } };
};

const role = (name: string, script: string, extra: Record<string, unknown>) =>
  JSON.stringify({
    name,
    description: `${name} for the docker security suite`,
    agent: { command: ['node', `./${path.basename(script)}`], port: 3100, healthPath: '/health', ...extra },
  });

describe.skipIf(skip)(`a hostile agent in a docker container${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const tmp = tempDir('fleetbot-sec-docker-');
  let t: TestEngine;
  let bot: Awaited<ReturnType<typeof startConsoleBot>>;
  let host: Server;
  let hostPort = 0;
  let report: Report;
  let neighbourTargets: string[] = [];
  let malloryUrl = '';
  const reach = localReach();

  beforeAll(async () => {
    t = testEngine();
    const image = await testNodeImage(t.engine);
    // fleetbot's own HTTP server, as FLEETBOT_HTTP_HOST's default binds it, holding what it must not give away.
    host = createServer((_req, res) => res.end(storeMarker));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostPort = (host.address() as AddressInfo).port;

    const roles = path.join(tmp.dir, 'roles');
    mkdirSync(roles);
    copyFileSync('templates/agent/server.mjs', path.join(roles, 'server.mjs'));
    copyFileSync(hostileAgentScript, path.join(roles, 'hostile.mjs'));
    writeFileSync(
      path.join(roles, 'plain.yaml'),
      role('plain', 'server.mjs', { secrets: [{ name: 'ANTHROPIC_API_KEY' }] }),
    );
    writeFileSync(
      path.join(roles, 'hostile.yaml'),
      role('hostile', 'hostile.mjs', {
        env: {
          ATTACK_SECRET: bobSecret,
          ATTACK_PRIVILEGE: '1',
          ATTACK_CONNECT: [
            '/var/run/docker.sock',
            '/run/docker.sock',
            `GATEWAY:${hostPort}`,
            `127.0.0.1:${hostPort}`,
          ].join(','),
          ATTACK_READ: [
            `/var/lib/docker/volumes/fleetbot-dkbob-secrets/_data/ANTHROPIC_API_KEY`,
            '/run/secrets/ANTHROPIC_API_KEY',
            `/proc/${process.pid}/environ`,
          ].join(','),
          ATTACK_WRITE: [
            '/etc/passwd',
            '/opt/fleetbot/role/hostile.mjs',
            '/run/secrets/ANTHROPIC_API_KEY',
          ].join(','),
        },
      }),
    );
    bot = await startConsoleBot(
      path.join(tmp.dir, 'data'),
      { FLEETBOT_INSTANCE: instance, FLEETBOT_ROLES_DIR: roles, ANTHROPIC_API_KEY: bobSecret },
      {
        providers: [
          testDockerProvider({ engine: t.engine, image, instance, reach, healthDeadlineMs: 30_000 }),
        ],
      },
    );
    await bot.type('/deploy plain dkbob --provider docker');
    expect(bot.find(/Deploy dkbob/)!.versions.at(-1)).toMatch(/^✅ Done/);
    await bot.type('/deploy hostile dkmallory --provider docker');
    expect(bot.find(/Deploy dkmallory/)!.versions.at(-1)).toMatch(/^✅ Done/);
    malloryUrl = bot.bot.store.agents.live('dkmallory')!.url!;
    report = (await (await fetch(`${malloryUrl}/report`)).json()) as Report;
    const [bob] = networks.parse(JSON.parse(dockerCli('inspect', 'fleetbot-dkbob')));
    const bobPort = String(bot.bot.store.agents.live('dkbob')!.resources['hostPort']);
    neighbourTargets = [
      ...Object.values(bob!.NetworkSettings.Networks).map((n) => `${n.IPAddress}:3100`),
      `GATEWAY:${bobPort}`,
    ];
  }, 180_000);

  afterAll(async () => {
    await bot?.stop();
    removeLabelled(`fleetbot-instance=${instance}`);
    await new Promise((resolve) => host?.close(resolve));
    await reach.close();
    expect(t.spec.violations).toEqual([]);
    await t.engine.close();
    tmp.cleanup();
  });

  it('cannot reach the Docker socket', () => {
    for (const socket of ['/var/run/docker.sock', '/run/docker.sock'])
      attempted(
        `docker agent talks to the Engine at ${socket}`,
        report[`connect ${socket}`]!.text?.includes('Api-Version') === true,
      );
  });

  it("cannot reach its neighbour's port, on its network or where the host publishes it", async () => {
    expect(neighbourTargets.length).toBeGreaterThanOrEqual(2);
    const got = (await (
      await fetch(`${malloryUrl}/attack?connect=${neighbourTargets.join(',')}`)
    ).json()) as Record<string, Reached>;
    for (const target of neighbourTargets)
      attempted(
        `docker agent reaches its neighbour at ${target}`,
        got[`connect ${target}`]!.text?.includes(neighbourAnswer) === true,
      );
  });

  it("cannot read its neighbour's secret, nor fleetbot's environment", () => {
    attempted("docker agent finds a neighbour's secret anywhere", JSON.stringify(report).includes(bobSecret));
  });

  it("cannot reach fleetbot's HTTP server on the host", () => {
    for (const target of [`GATEWAY:${hostPort}`, `127.0.0.1:${hostPort}`])
      attempted(
        `docker agent reaches fleetbot's loopback HTTP server at ${target}`,
        report[`connect ${target}`]!.text?.includes(storeMarker) === true,
      );
  });

  it('cannot become root or keep a capability', () => {
    const p = report.privilege;
    attempted('docker agent runs as root', p.uid === 0);
    attempted('docker agent becomes root with setuid(0)', p.setuid.ok === true);
    attempted('docker agent holds a capability', !/^0+$/.test(p.capEff) || !/^0+$/.test(p.capBnd));
    attempted('docker agent can gain privileges (no_new_privs unset)', p.noNewPrivs !== '1');
  });

  it('cannot write outside its workspace', () => {
    for (const file of ['/etc/passwd', '/opt/fleetbot/role/hostile.mjs', '/run/secrets/ANTHROPIC_API_KEY'])
      attempted(`docker agent writes ${file}`, (report[`write ${file}`] as { ok?: boolean }).ok === true);
  });
});
