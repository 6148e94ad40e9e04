import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { installSteps, reachSteps } from '../../src/providers/machine/install.js';
import { agentLayout } from '../../src/providers/machine/layout.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { parseKnownHosts } from '../../src/providers/ssh/knownHosts.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { connectSsh, HostKeyMismatchError, type SshSession } from '../../src/providers/ssh/session.js';
import { failureOf } from '../support/failure.js';
import { startLabHost, type LabHost } from './labHost.js';
import { labMachineDeps, labStepContext } from './labMachine.js';
import { labUnavailable, runTool } from './tools.js';

const skip = labUnavailable(['ip', 'unshare', 'useradd', 'userdel', '/usr/sbin/sshd', 'ssh-keyscan', 'nft']);
const login = generateHostKey('fleetbot lab login');
const auth = { privateKey: login.privateKey };
const hosts: LabHost[] = [];
const sessions: SshSession[] = [];
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });

beforeAll(async () => {
  if (skip) return;
  // Two machines, each in its own namespace with its own address and host key.
  hosts.push(await startLabHost(1, login.publicKey));
  hosts.push(await startLabHost(2, login.publicKey));
});
afterAll(async () => {
  pool.close();
  for (const s of sessions.splice(0)) s.close();
  for (const h of hosts.splice(0).reverse()) await h.close();
});

const connect = async (host: LabHost, user: string, hostKey = host.hostKey.publicKey) => {
  const ssh = await connectSsh({ host: host.address, port: 22, username: user, hostKey }, auth, {
    clock: systemClock,
    deadlineMs: 5_000,
    retryDelayMs: 200,
  });
  sessions.push(ssh);
  return ssh;
};

describe.skipIf(skip)("fleetbot's SSH code against OpenSSH sshd in network namespaces", () => {
  it('accepts the pinned host key, runs commands with exit code, stdout and stderr', async () => {
    const [a] = hosts;
    const ssh = await connect(a!, a!.user);
    expect(await ssh.exec(`sh -c 'echo out; echo err >&2; exit 3'`, { timeoutMs: 5_000 })).toEqual({
      code: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await ssh.exec('cat', { timeoutMs: 5_000, input: 'from stdin' })).toMatchObject({
      code: 0,
      stdout: 'from stdin',
    });
    expect((await ssh.exec('id -un', { timeoutMs: 5_000 })).stdout).toBe(`${a!.user}\n`);
  });

  it('uploads over SFTP with mode 0600, as the login user, on disk', async () => {
    const [a] = hosts;
    const ssh = await connect(a!, a!.user);
    const remote = path.join(a!.home, 'secrets.env');
    await ssh.upload(remote, 'KEY="value"\n', 0o600);
    await ssh.upload(remote, 'KEY="second"\n', 0o600);
    const st = statSync(remote);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await ssh.exec(`stat -c '%a %U' ${remote}`, { timeoutMs: 5_000 })).stdout).toBe(
      `600 ${a!.user}\n`,
    );
  });

  it('pins a key read with ssh-keyscan (hashed) through the known_hosts parser, and logs in with it', async () => {
    const [a] = hosts;
    const scan = runTool('ssh-keyscan', ['-H', '-t', 'ed25519', a!.address]);
    expect(scan.code).toBe(0);
    const pinned = parseKnownHosts(scan.stdout, 'ssh-keyscan').keyFor(a!.address, 22);
    expect(pinned).toBe(a!.hostKey.publicKey.split(' ').slice(0, 2).join(' '));
    const ssh = await connect(a!, a!.user, pinned);
    expect((await ssh.exec('true', { timeoutMs: 5_000 })).code).toBe(0);
  });

  it("refuses another machine's host key, and a fresh one, without retrying", async () => {
    const [a, b] = hosts;
    for (const wrong of [a!.hostKey.publicKey, generateHostKey('impostor').publicKey]) {
      const started = Date.now();
      const err = await failureOf(connect(b!, b!.user, wrong));
      expect(err).toBeInstanceOf(HostKeyMismatchError);
      expect(err.message).toContain(`${b!.address} presented an SSH host key other than`);
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });
});

describe.skipIf(skip)('the machine install steps against sshd', () => {
  const swe = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
  const layout = agentLayout('alice', swe);
  const deps = labMachineDeps(auth, pool, 10_000);
  const ctx = labStepContext;

  afterAll(() => void runTool('userdel', [layout.user]));

  it('reaches the host, makes the agent its own user and folder, writes root-owned config, then stops where systemd is not PID 1', async () => {
    const host = hosts[0]!;
    const machine = { address: host.address, login: 'root', hostKey: host.hostKey.publicKey };
    for (const step of reachSteps(deps, machine)) await step.run(ctx());
    const steps = installSteps({
      deps,
      layout,
      role: swe,
      secrets: { ANTHROPIC_API_KEY: 'sk-lab-secret' },
      fallback: machine,
    });
    expect(steps.map((s) => s.key)).toEqual(['upload', 'start', 'health']);
    const [upload, start] = steps;
    await upload!.run(ctx());

    const ssh = await connect(host, 'root');
    const stat = async (file: string) =>
      (await ssh.exec(`stat -c '%a %U' ${file}`, { timeoutMs: 5_000 })).stdout.trim();
    expect(await stat(layout.appDir)).toBe('700 fb-alice');
    expect(await stat(`${layout.appDir}/server.mjs`)).toMatch(/^\d+ fb-alice$/);
    expect(await stat(layout.configDir)).toBe('700 root');
    expect(await stat(`${layout.configDir}/secrets.env`)).toBe('600 root');
    expect(await stat(`${layout.configDir}/agent.env`)).toBe('600 root');
    const secrets = await ssh.exec(`cat ${layout.configDir}/secrets.env`, { timeoutMs: 5_000 });
    expect(secrets.stdout).toBe('ANTHROPIC_API_KEY="sk-lab-secret"\n');
    expect((await ssh.exec(`cat ${layout.appDir}/server.mjs`, { timeoutMs: 5_000 })).stdout).toBe(
      readFileSync(layout.files['server.mjs']!, 'utf8'),
    );

    // The unit is written for real; systemctl cannot run, as nothing here runs systemd.
    const err = await failureOf(start!.run(ctx()));
    expect(err.message).toMatch(/Starting fleetbot-alice\.service failed on the machine \(exit 1\)/);
    expect(await stat(`/etc/systemd/system/${layout.unit}`)).toBe('644 root');

    // The undo removes the folders, the unit and the user, and reloads systemd only where it runs.
    await upload!.undo!(ctx(), {});
    const left = await ssh.exec(
      `ls ${layout.appDir} ${layout.configDir} /etc/systemd/system/${layout.unit}`,
      {
        timeoutMs: 5_000,
      },
    );
    expect(left.code).not.toBe(0);
    expect(runTool('id', ['-u', layout.user]).code).not.toBe(0);
  });
});

if (skip) it(`lab sshd tests skipped: ${skip}`, () => undefined);
