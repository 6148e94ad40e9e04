import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/core/store/agents.js';
import { tempDir } from '../support/env.js';
import {
  agentFolderProcess,
  hostileAgentScript,
  localFleet,
  localResources,
  processesWith,
  writeRole,
} from '../support/localAgents.js';

const tmp = tempDir('fleetbot-local-');
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (): string => {
  const dir = path.join(tmp.dir, String(++n));
  mkdirSync(dir);
  return dir;
};

describe('local agents on one data folder, deployed from two stores (a restored backup, a reset)', () => {
  it('get folders of their own, and destroying one leaves the other running', async () => {
    const dataDir = fresh();
    const first = localFleet({ dataDir, isolation: { kind: 'unsandboxed' } });
    const second = localFleet({ dataDir, isolation: { kind: 'unsandboxed' } });
    try {
      const old = await first.deploy('alice', 'swe');
      const again = await second.deploy('alice', 'swe');
      expect([old.status, again.status]).toEqual(['succeeded', 'succeeded']);
      // Both stores numbered their alice 1; the folders still differ.
      expect(old.agent.id).toBe(again.agent.id);
      expect(again.agent.resources.dir).not.toBe(old.agent.resources.dir);

      expect((await second.destroy(again.agent)).status).toBe('succeeded');
      expect(existsSync(String(old.agent.resources.dir))).toBe(true);
      expect(existsSync(String(again.agent.resources.dir))).toBe(false);
      expect((await first.provider.status(old.agent)).state).toBe('healthy');
      await first.destroy(old.agent);
    } finally {
      first.close();
      second.close();
    }
  }, 60_000);
});

describe('a local deploy that cannot be contained', () => {
  it('is refused with the reason where unsandboxed agents are not allowed, and leaves no folder', async () => {
    const dataDir = fresh();
    const fleet = localFleet({
      dataDir,
      isolation: { kind: 'refused', reason: 'local agents cannot be sandboxed (bwrap is not installed)' },
    });
    const { status, error } = await fleet.deploy('alice', 'swe');
    fleet.close();
    expect(status).toBe('rolled_back');
    expect(error).toContain('local agents cannot be sandboxed (bwrap is not installed)');
    expect(readdirSync(path.join(dataDir, 'agents'))).toEqual([]);
  });

  it('fails with the sandbox’s own reason when the sandbox cannot start, and rolls back', async () => {
    const dataDir = fresh();
    const bwrap = path.join(fresh(), 'bwrap');
    writeFileSync(bwrap, '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n');
    chmodSync(bwrap, 0o755);
    const fleet = localFleet({ dataDir, isolation: { kind: 'sandbox', bwrap } });
    const { status, error } = await fleet.deploy('alice', 'swe');
    fleet.close();
    expect(status).toBe('rolled_back');
    expect(error).toMatch(
      /exited with code 1 before answering[\s\S]*bwrap: setting up uid map: Permission denied/,
    );
    expect(readdirSync(path.join(dataDir, 'agents'))).toEqual([]);
  });
});

describe('a role whose code could show the agent fleetbot’s own files', () => {
  it.each([
    [
      'sits in a folder that holds the data folder',
      (dataDir: string) => path.join(path.dirname(dataDir), 'agent.mjs'),
    ],
    [
      'lies in the data folder (another agent’s folder)',
      (dataDir: string) => path.join(dataDir, 'agents', 'bob-1-x', 'agent.mjs'),
    ],
  ])('is refused when its code %s, so the sandbox never shows that folder', async (_where, scriptIn) => {
    const dataDir = fresh();
    const rolesDir = fresh();
    const script = scriptIn(dataDir);
    mkdirSync(path.dirname(script), { recursive: true });
    writeFileSync(script, '');
    writeRole(rolesDir, { name: 'nosy', script });
    const fleet = localFleet({ dataDir, rolesDir, isolation: { kind: 'sandbox', bwrap: '/usr/bin/bwrap' } });
    const { status, error } = await fleet.deploy('alice', 'nosy');
    fleet.close();
    expect(status).toBe('rolled_back');
    expect(error).toContain(
      `names a file in ${path.dirname(script)}, which would show the agent fleetbot's own ${dataDir}`,
    );
  });
});

describe('destroying an unsandboxed local agent', () => {
  it('also stops a child it moved into a session of its own (setsid)', async () => {
    const dataDir = fresh();
    const rolesDir = fresh();
    const marker = `setsid-child-${process.pid}-${Date.now()}`;
    writeRole(rolesDir, {
      name: 'forker',
      script: hostileAgentScript,
      env: { ATTACK_SETSID: marker, ATTACK_SETSID_ENV: 'keep' },
    });
    const fleet = localFleet({ dataDir, rolesDir, isolation: { kind: 'unsandboxed' } });
    try {
      const { agent, status } = await fleet.deploy('alice', 'forker');
      expect(status).toBe('succeeded');
      expect(processesWith(marker)).toHaveLength(1);
      expect((await fleet.destroy(agent)).status).toBe('succeeded');
      await expect.poll(() => processesWith(marker), { timeout: 3_000 }).toEqual([]);
    } finally {
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
      fleet.close();
    }
  }, 30_000);
});

describe('a local agent’s health', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));
  /** A process of the agent's folder, serving health on `port` if given. */
  const agentProcess = (dir: string, port?: number): ChildProcess => {
    const serve = `require('http').createServer((q, s) => s.end('{"status":"ok"}')).listen(${port}, '127.0.0.1')`;
    const child = agentFolderProcess(dir, port === undefined ? undefined : serve);
    children.push(child);
    return child;
  };
  const recordOf = (dir: string, pid: number, port: number) =>
    ({
      id: 1,
      name: 'alice',
      resources: { ...localResources(dir, pid, `http://127.0.0.1:${port}`), port },
    }) as unknown as Agent;

  it('does not count an answer from a stranger holding the agent’s port, whatever it says', async () => {
    const fleet = localFleet({ dataDir: fresh(), isolation: { kind: 'unsandboxed' } });
    const dir = fresh();
    // The agent runs but does not listen; another program answers on the port it was given, as the
    // agent would (fleetbot used to trust a name in the answer: anyone can write a name).
    const stranger = createServer((_q, s) => s.end('{"status":"ok","name":"alice"}'));
    await new Promise<void>((r) => stranger.listen(0, '127.0.0.1', r));
    const port = (stranger.address() as AddressInfo).port;
    try {
      const idle = agentProcess(dir);
      const status = () => fleet.provider.status(recordOf(dir, idle.pid!, port));
      // Until the child has exec'd, its environment is still this test's.
      await until(async () => (await status()).state !== 'stopped');
      const health = await status();
      expect(health).toEqual({
        state: 'unhealthy',
        detail: `port ${port} is held by a process that is not alice's; /restart alice starts it on a free port`,
      });
    } finally {
      stranger.close();
      fleet.close();
    }
  });

  it('counts the answer of the agent’s own process on its port', async () => {
    const fleet = localFleet({ dataDir: fresh(), isolation: { kind: 'unsandboxed' } });
    const dir = fresh();
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    try {
      const own = agentProcess(dir, port);
      const health = async () => (await fleet.provider.status(recordOf(dir, own.pid!, port))).state;
      await until(async () => (await health()) === 'healthy');
    } finally {
      fleet.close();
    }
  });
});

async function until(holds: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (await holds()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the condition never held');
}
