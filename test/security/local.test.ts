import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeSandbox } from '../../src/providers/local/sandbox.js';
import { tempDir } from '../support/env.js';
import { hostileAgentScript, localFleet, processesWith, writeRole } from '../support/localAgents.js';
import { attempted } from './tally.js';

const sandbox = probeSandbox();
const why = sandbox.available ? '' : ` (skipped: ${sandbox.reason})`;

type Report = Record<
  string,
  { text?: string; bytes?: number; ok?: boolean; error?: string; pid?: number } | string[]
>;

describe(`a hostile local agent in its bubblewrap sandbox${why}`, () => {
  const tmp = tempDir('fleetbot-sec-local-');
  const dataDir = path.join(tmp.dir, 'data');
  const rolesDir = path.join(tmp.dir, 'roles');
  const envFile = path.join(tmp.dir, 'config', '.env');
  const storeFile = path.join(dataDir, 'fleetbot.db');
  const token = `fleetbot-test-token-${process.pid}-${Date.now()}`;
  const otherSecret = `sk-ant-other-agent-${Date.now()}`;
  const setsidMarker = `hostile-setsid-${process.pid}-${Date.now()}`;
  const storeBody = 'SQLite format 3\0 the store: principals, jobs, audit';
  let bot: ChildProcess | undefined;
  let fleet: ReturnType<typeof localFleet> | undefined;
  let report: Report = {};

  beforeAll(async () => {
    if (!sandbox.available) return;
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(rolesDir);
    mkdirSync(path.dirname(envFile));
    writeFileSync(envFile, `TELEGRAM_BOT_TOKEN=${token}\n`, { mode: 0o600 });
    writeFileSync(storeFile, storeBody, { mode: 0o600 });
    // A process holding fleetbot's token in its environment, as the real bot does.
    bot = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], {
      env: { TELEGRAM_BOT_TOKEN: token },
      stdio: 'ignore',
    });
    writeRole(rolesDir, {
      name: 'plain',
      script: path.resolve('templates/agent/server.mjs'),
      secrets: ['ANTHROPIC_API_KEY'],
    });
    fleet = localFleet({
      dataDir,
      rolesDir,
      isolation: { kind: 'sandbox', bwrap: sandbox.bwrap },
      hidden: [dataDir, storeFile, envFile],
    });
    const bob = await fleet.deploy('bob', 'plain', { ANTHROPIC_API_KEY: otherSecret });
    bobAgent = bob.agent;
    expect(bob.status).toBe('succeeded');
    const bobSecrets = path.join(String(bob.agent.resources.dir), 'secrets.env');
    writeRole(rolesDir, {
      name: 'hostile',
      script: hostileAgentScript,
      env: {
        ATTACK_PIDS: `${process.pid},${bot.pid}`,
        ATTACK_SECRET: token,
        ATTACK_READ: [envFile, storeFile, bobSecrets].join(','),
        ATTACK_WRITE: [storeFile, path.join(dataDir, 'admins')].join(','),
        ATTACK_SETSID: setsidMarker,
      },
    });
    // The role was written after the fleet loaded its roles: load them again.
    fleet.close();
    fleet = localFleet({
      dataDir,
      rolesDir,
      isolation: { kind: 'sandbox', bwrap: sandbox.bwrap },
      hidden: [dataDir, storeFile, envFile],
    });
    const mallory = await fleet.deploy('mallory', 'hostile');
    expect(mallory.error).toBeUndefined();
    report = (await (await fetch(`${String(mallory.agent.resources.url)}/report`)).json()) as Report;
    malloryAgent = mallory.agent;
  }, 60_000);
  let bobAgent: Parameters<ReturnType<typeof localFleet>['destroy']>[0] | undefined;
  let malloryAgent: Parameters<ReturnType<typeof localFleet>['destroy']>[0] | undefined;

  afterAll(async () => {
    if (bobAgent) await fleet?.destroy(bobAgent);
    bot?.kill('SIGKILL');
    for (const pid of processesWith(setsidMarker)) process.kill(pid, 'SIGKILL');
    fleet?.close();
    tmp.cleanup();
  });

  const entry = (key: string) => report[key] as { text?: string; bytes?: number; ok?: boolean } | undefined;

  it.skipIf(!sandbox.available)('cannot read fleetbot’s environment from /proc', () => {
    expect(Object.keys(report).length).toBeGreaterThan(0);
    const read = [process.pid, bot!.pid].some((pid) => (entry(`environ ${pid}`)?.text ?? '') !== '');
    const holders = report.secretHolders as string[];
    attempted(
      'local agent reads /proc/<fleetbot pid>/environ (or any process holding the token)',
      read || holders.length > 0,
    );
  });

  it.skipIf(!sandbox.available)('cannot read fleetbot’s memory from /proc/<pid>/mem', () => {
    const bytes = [process.pid, bot!.pid].map((pid) => entry(`memory ${pid}`)?.bytes ?? 0);
    attempted(
      'local agent reads /proc/<fleetbot pid>/mem',
      bytes.some((b) => b > 0),
    );
  });

  it.skipIf(!sandbox.available)('cannot read the config file or the store', () => {
    attempted('local agent reads fleetbot’s .env', (entry(`read ${envFile}`)?.text ?? '').includes(token));
    attempted(
      'local agent reads fleetbot’s store',
      (entry(`read ${storeFile}`)?.text ?? '').includes('the store'),
    );
  });

  it.skipIf(!sandbox.available)('cannot write the store', () => {
    const written =
      readFileSync(storeFile, 'latin1') !== storeBody || existsSync(path.join(dataDir, 'admins'));
    attempted('local agent writes fleetbot’s store (or a file beside it)', written);
  });

  it.skipIf(!sandbox.available)('cannot read another local agent’s secrets', () => {
    const bobSecrets = Object.keys(report).find((k) => k.endsWith('secrets.env'))!;
    attempted(
      'local agent reads another agent’s secrets.env',
      (entry(bobSecrets)?.text ?? '').includes(otherSecret),
    );
  });

  it.skipIf(!sandbox.available)('leaves no setsid child behind after destroy', async () => {
    // The child really ran outside the agent's process group, so the check below can see one.
    expect(processesWith(setsidMarker).length).toBe(1);
    const destroyed = await fleet!.destroy(malloryAgent!);
    expect(destroyed.status).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    attempted(
      'local agent leaves a setsid child (without its environment) running after destroy',
      processesWith(setsidMarker).length > 0,
    );
  });
});
