import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, StepOutput } from '../../src/core/jobs/plan.js';
import type { Provider } from '../../src/core/fleet/provider.js';
import { loadRoles, type Role } from '../../src/core/fleet/roles.js';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { Agent } from '../../src/core/store/agents.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { acpProtocol, type AcpChat } from '../../src/protocols/acp/module.js';
import { shellWord } from '../../src/providers/machine/escape.js';
import { agentUserOf, portGuardTable } from '../../src/providers/machine/layout.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { connectSsh, type SshSession } from '../../src/providers/ssh/session.js';
import { createSshHostsProvider, splitEndpoint } from '../../src/providers/sshHosts/index.js';
import { rolesWithScribe } from '../support/daemonlessRole.js';
import { silentLog, tempDir } from '../support/env.js';
import { startLabHost, type LabHost } from './labHost.js';
import { labMachineDeps, labStepContext } from './labMachine.js';
import { expectNotesWritten } from './notesOverAcp.js';
import { labUnavailable, runTool } from './tools.js';

// An agent whose role has no daemon, deployed by the ssh provider over the lab's real OpenSSH sshd (no
// systemd there): its user, folder, files and env, nothing started and nothing listening; /ask starts
// its chat command over the connection, a restart ends that, and a destroy leaves nothing behind.

const skip = labUnavailable([
  'ip',
  'unshare',
  'setpriv',
  'pkill',
  'useradd',
  'userdel',
  'runuser',
  'nft',
  '/usr/sbin/sshd',
]);
const login = generateHostKey('fleetbot daemonless login');
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
const tmp = tempDir();
// The users are the host's own: a name of this run's, so parallel runs do not share one.
const name = `scribe-${process.pid}`;
const user = agentUserOf(name);
const appDir = `/srv/fleetbot/${name}`;
const configDir = `/etc/fleetbot-agents/${name}`;

let host: LabHost | undefined;
let root: SshSession | undefined;
let provider: Provider;
let role: Role;
let agent: Agent;

const asRoot = async (command: string): Promise<{ code: number; stdout: string }> =>
  root!.exec(command, { timeoutMs: 20_000 });

/** Runs a plan's steps in order, as the runner would with nothing failing; returns their merged outputs. */
async function runPlan(plan: Plan): Promise<Record<string, unknown>> {
  const outputs: Record<string, StepOutput> = {};
  for (const step of plan) outputs[step.key] = (await step.run({ ...labStepContext(), outputs })) ?? {};
  return Object.assign({}, ...Object.values(outputs)) as Record<string, unknown>;
}

const userProcesses = async (): Promise<string> =>
  (await asRoot(`pgrep -u ${shellWord(user)} || true`)).stdout;

beforeAll(async () => {
  if (skip) return;
  host = await startLabHost(8, login.publicKey);
  root = await connectSsh(
    { host: host.address, port: 22, username: 'root', hostKey: host.hostKey.publicKey },
    { privateKey: login.privateKey },
    { clock: systemClock, deadlineMs: 5_000, retryDelayMs: 200 },
  );
  role = loadRoles(rolesWithScribe(tmp.dir), roleSections, chatSections).get('scribe')!;
  provider = createSshHostsProvider({
    hosts: [{ name: 'lab', user: 'root', host: host.address, port: 22 }],
    knownHosts: { keyFor: () => host!.hostKey.publicKey },
    knownHostsFile: 'the lab host key',
    machine: {
      ...labMachineDeps({ privateKey: login.privateKey }, pool, 20_000),
      sshEndpoint: splitEndpoint,
    },
  });
}, 60_000);

afterAll(async () => {
  if (!skip) runTool('userdel', [user]);
  root?.close();
  pool.close();
  await host?.close();
  tmp.cleanup();
});

describe.skipIf(skip)('an agent without a daemon on a machine (lab sshd)', () => {
  it('is deployed as its user, folder, files, env and secrets, with no unit, port guard or Caddy site', async () => {
    const draft = {
      id: 1,
      name,
      role: 'scribe',
      provider: 'ssh',
      status: 'deploying',
      url: null,
      resources: {},
    };
    const plan = provider.deployPlan({
      agent: draft as unknown as Agent,
      role,
      secrets: { ANTHROPIC_API_KEY: 'sk-lab-daemonless' },
      options: {},
      neighbours: [],
    });
    expect(plan.map((s) => s.title)).toEqual([
      `Use host lab (root@${host!.address})`,
      'Wait for SSH',
      'Verify SSH host key',
      'Upload agent, config and secrets',
    ]);
    const resources = await runPlan(plan);
    agent = { ...draft, status: 'running', resources } as unknown as Agent;

    const stat = async (file: string) => (await asRoot(`stat -c '%a %U' ${shellWord(file)}`)).stdout.trim();
    expect(await stat(appDir)).toBe(`700 ${user}`);
    expect(await stat(`${appDir}/acp.mjs`)).toMatch(new RegExp(`^\\d+ ${user}$`));
    expect(await stat(`${configDir}/secrets.env`)).toBe('600 root');
    expect((await asRoot(`cat ${shellWord(`${configDir}/agent.env`)}`)).stdout).toBe(
      `AGENT_MODEL="claude-sonnet-4"\nAGENT_NAME="${name}"\nAGENT_ROLE="scribe"\n`,
    );
    // Nothing of a daemon: no unit, no port guard (file or nftables table), no Caddy site, no process.
    const absent = await asRoot(
      [
        `/etc/systemd/system/fleetbot-${name}.service`,
        `${configDir}/port.nft`,
        `/etc/caddy/fleetbot.d/${name}.caddy`,
      ]
        .map((f) => `test ! -e ${shellWord(f)}`)
        .join(' && '),
    );
    expect(absent.code).toBe(0);
    expect((await asRoot(`nft list table inet ${shellWord(portGuardTable(name))}`)).code).not.toBe(0);
    expect(await userProcesses()).toBe('');

    expect(await provider.status(agent)).toEqual({
      state: 'healthy',
      detail: 'no daemon; it runs when spoken to (on host lab)',
    });
    expect(await provider.findRunning([agent])).toEqual([
      { agent, running: true, detail: 'no daemon; it runs when spoken to' },
    ]);
  });

  it('answers over ACP through its chat command on the machine, as its own user, until a restart ends it', async () => {
    const session = await acpProtocol.open({
      agent,
      role,
      chat: role.chat as unknown as AcpChat,
      channels: provider.channels!(agent, role),
      history: [],
      clock: systemClock,
      log: silentLog,
    });
    await expectNotesWritten(session, 'from chat', {
      appDir,
      user,
      asRoot: async (command) => (await asRoot(command)).stdout,
    });
    // Its process lives on between turns, as the agent's user.
    expect(await userProcesses()).not.toBe('');

    const restart = provider.restartPlan(agent, role);
    expect(restart.map((s) => s.title)).toEqual([
      'Stop its conversation processes (it has no service; it runs when spoken to)',
    ]);
    await runPlan(restart);
    expect(await userProcesses()).toBe('');
    await session.close();
    expect(await provider.status(agent)).toMatchObject({ state: 'healthy' });
  });

  it('is destroyed without a trace: no user, folder or config left', async () => {
    const destroy = provider.destroyPlan(agent);
    expect(destroy.map((s) => s.title)).toEqual([`Remove ${name} from lab`]);
    await runPlan(destroy);
    const left = await asRoot(`ls -d ${shellWord(appDir)} ${shellWord(configDir)}`);
    expect(left.code).not.toBe(0);
    expect(runTool('id', ['-u', user]).code).not.toBe(0);
    expect(await provider.status(agent)).toEqual({
      state: 'unhealthy',
      detail: `its Unix user ${user} is gone from the machine (on host lab)`,
    });
    expect((await provider.findRunning([agent]))[0]).toMatchObject({ running: false });
  });
});

if (skip) it(`daemonless lab tests skipped: ${skip}`, () => undefined);
