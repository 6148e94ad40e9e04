import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCleanups } from '../support/cleanups.js';
import { dockerUnavailable, testEngine, testNodeImage } from '../support/docker.js';
import { tempDir } from '../support/env.js';
import type { DockerKillSetup } from './support/dockerBotChild.js';
import { labelledLeftovers, removeLabelled } from './leftovers.js';

// kill -9 of fleetbot in the middle of a docker deploy: started again on the same data folder, it
// resumes the deploy to a running agent, or finishes rolling it back, and what it made is found by
// its labels either way: a resumed deploy has one of each, a rolled-back one nothing.

const skip = dockerUnavailable();
const instance = 'dk-kills';
const childEntry = path.resolve('test/docker/support/dockerBotChild.ts');

/** The swe role and its reference agent, and a role whose daemon exits at once (its deploy rolls back). */
function writeRoles(dir: string): string {
  mkdirSync(path.join(dir, 'roles'));
  cpSync('templates/agent', path.join(dir, 'agent'), { recursive: true });
  cpSync('templates/roles/swe.yaml', path.join(dir, 'roles/swe.yaml'));
  writeFileSync(
    path.join(dir, 'roles/broken.yaml'),
    'name: broken\ndescription: An agent whose daemon exits at once\nagent:\n  command: [node, -e, "process.exit(3)"]\n  port: 3100\n',
  );
  return path.join(dir, 'roles');
}

describe.skipIf(skip)('kill -9 during a docker deploy', () => {
  const defer = useCleanups();
  let image: string;

  beforeAll(async () => {
    const t = testEngine();
    image = await testNodeImage(t.engine);
    await t.engine.close();
  });
  afterAll(() => removeLabelled(`fleetbot-instance=${instance}`));

  const rig = () => {
    const tmp = tempDir('fleetbot-docker-kills-');
    defer(tmp.cleanup);
    const dataDir = path.join(tmp.dir, 'data');
    const rolesDir = writeRoles(tmp.dir);
    const violations = path.join(tmp.dir, 'violations.json');
    const children: ChildProcess[] = [];
    defer(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      removeLabelled(`fleetbot-instance=${instance}`);
    });
    const startBot = (pauseAt?: string) => {
      const setup: DockerKillSetup = { image, instance, violations, ...(pauseAt ? { pauseAt } : {}) };
      const child = spawn(process.execPath, ['--import', 'tsx', childEntry], {
        stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
        env: {
          PATH: process.env.PATH,
          FLEETBOT_DATA_DIR: dataDir,
          FLEETBOT_ROLES_DIR: rolesDir,
          FLEETBOT_CONSOLE: 'on',
          FLEETBOT_INSTANCE: instance,
          FLEETBOT_HEALTH_INTERVAL: '1h',
          LOG_LEVEL: 'warn',
          DOCKER_KILLS: JSON.stringify(setup),
        },
      });
      children.push(child);
      const exited = once(child, 'exit');
      const paused = new Promise<string>((resolve) =>
        child.on('message', (m: { pausedAt?: string }) => m.pausedAt && resolve(m.pausedAt)),
      );
      return {
        type: (line: string) => child.stdin!.write(`${line}\n`),
        paused,
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      };
    };
    const jobStatus = (): string | undefined => {
      try {
        const db = new Database(path.join(dataDir, 'fleetbot.db'), { readonly: true });
        try {
          return db.prepare<[], { status: string }>('SELECT status FROM jobs ORDER BY id DESC').get()?.status;
        } finally {
          db.close();
        }
      } catch {
        return undefined;
      }
    };
    const settled = async (): Promise<string> => {
      for (const end = Date.now() + 60_000; Date.now() < end;) {
        const status = jobStatus();
        if (status && !['queued', 'running'].includes(status)) return status;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`the deploy never settled (${jobStatus()})`);
    };
    const checkedRequests = (): unknown => JSON.parse(readFileSync(violations, 'utf8'));
    return { startBot, settled, checkedRequests };
  };

  it.each(['network', 'volumes', 'unseed', 'container', 'health'])(
    'resumes a deploy killed before step %s to a running agent with one of everything',
    async (step) => {
      const r = rig();
      const first = r.startBot(`run ${step}`);
      first.type('/deploy swe dkbob --provider docker');
      await first.paused;
      await first.kill();
      r.startBot();
      expect(await r.settled()).toBe('succeeded');
      expect(labelledLeftovers('agent=dkbob').sort()).toEqual([
        'container fleetbot-dkbob',
        'network fleetbot-dkbob',
        'volume fleetbot-dkbob-files',
        'volume fleetbot-dkbob-secrets',
        'volume fleetbot-dkbob-workspace',
      ]);
      expect(r.checkedRequests()).toEqual([]);
    },
    90_000,
  );

  it('finishes rolling back a deploy killed in its rollback, leaving nothing with its labels', async () => {
    const r = rig();
    const first = r.startBot('undo container');
    first.type('/deploy broken dkbob --provider docker');
    await first.paused;
    // Killed with the container, volumes and network still there, before the rollback removed them.
    expect(labelledLeftovers('agent=dkbob')).toContain('container fleetbot-dkbob');
    await first.kill();
    r.startBot();
    expect(await r.settled()).toBe('rolled_back');
    expect(labelledLeftovers('agent=dkbob')).toEqual([]);
    expect(r.checkedRequests()).toEqual([]);
  }, 90_000);
});
