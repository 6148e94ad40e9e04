import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/runtime/clock.js';
import type { AgentChannels } from '../../src/core/fleet/provider.js';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import { machineChannels } from '../../src/providers/machine/channels.js';
import { acpProtocol, type AcpChat } from '../../src/protocols/acp/module.js';
import type { Agent } from '../../src/core/store/agents.js';
import { silentLog } from '../support/env.js';
import { shellWord } from '../../src/providers/machine/escape.js';
import { installSteps, reachSteps, type MachineRef } from '../../src/providers/machine/install.js';
import { agentLayout, atPort, type AgentLayout } from '../../src/providers/machine/layout.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { createSshPool } from '../../src/providers/ssh/pool.js';
import { connectSsh, type SshSession } from '../../src/providers/ssh/session.js';
import {
  childThatExits,
  conversationChild,
  conversationClient,
  type ChildReport,
} from '../support/conversationClient.js';
import { startLabHost, type LabHost } from './labHost.js';
import { labMachineDeps, labStepContext } from './labMachine.js';
import { expectNotesWritten } from './notesOverAcp.js';
import { labUnavailable, runTool } from './tools.js';

// A conversation with an agent on a machine, over the lab's real OpenSSH sshd (no systemd there, so
// the process runs in a pid namespace of its own as the agent's user). ssh and hetzner both build
// their channels with machineChannels, so this is the code path of both.

const skip = labUnavailable([
  'ip',
  'unshare',
  'setpriv',
  'pkill',
  'useradd',
  'userdel',
  'runuser',
  '/usr/sbin/sshd',
]);
const login = generateHostKey('fleetbot channels login');
const auth = { privateKey: login.privateKey };
const pool = createSshPool({ clock: systemClock, idleMs: 60_000 });
const deps = labMachineDeps(auth, pool, 20_000);
const swe = skip ? undefined : loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
// The users are the host's own: a name of this run's, so parallel runs do not share one.
const name = `chat-${process.pid}`;
const secret = `sk-ant-${name}-${Date.now()}`;
/** The loopback-only listener the tunnel test reaches, on a port nothing else uses. */
const listenerPort = 20_000 + (process.pid % 20_000);

let host: LabHost | undefined;
let root: SshSession | undefined;
let layout: AgentLayout;
let machine: MachineRef;
let channels: AgentChannels;
let upload: ReturnType<typeof installSteps>[number] | undefined;

const asRoot = async (command: string): Promise<string> =>
  (await root!.exec(command, { timeoutMs: 20_000 })).stdout;

/** Command lines of every process on the machine that mention `text`, with their user. */
const processesWith = async (text: string): Promise<string[]> =>
  (await asRoot(`ps -eo user:32=,args= | grep -F ${shellWord(text)} | grep -v grep || true`))
    .split('\n')
    .filter(Boolean);

beforeAll(async () => {
  if (skip) return;
  host = await startLabHost(5, login.publicKey);
  root = await connectSsh(
    { host: host.address, port: 22, username: 'root', hostKey: host.hostKey.publicKey },
    auth,
    { clock: systemClock, deadlineMs: 5_000, retryDelayMs: 200 },
  );
  machine = { address: host.address, login: 'root', hostKey: host.hostKey.publicKey };
  // The child goes up with the agent's files, as a role's chat command file would.
  const base = agentLayout(name, swe!);
  layout = atPort(
    { ...base, files: { ...base.files, 'conversationChild.mjs': conversationChild } },
    listenerPort,
  );
  for (const step of reachSteps(deps, machine)) await step.run(labStepContext());
  upload = installSteps({
    deps,
    layout,
    role: swe!,
    secrets: { ANTHROPIC_API_KEY: secret },
    fallback: machine,
  }).find((s) => s.key === 'upload');
  await upload!.run(labStepContext());
  channels = machineChannels(deps, machine, layout, swe!);
}, 60_000);

afterAll(async () => {
  await upload?.undo?.(labStepContext(), {}).catch(() => undefined);
  if (!skip) runTool('userdel', [layout.user]);
  root?.close();
  pool.close();
  await host?.close();
});

describe.skipIf(skip)('a conversation with an agent on a machine (lab sshd)', () => {
  it('runs as the agent’s user in its folder, with its env and secrets and a HOME of its own', async () => {
    const child = await channels.spawn(['node', conversationChild]);
    const talk = conversationClient(child);
    expect(await talk.ask({ echo: 'hello over ssh' })).toEqual({ echo: 'hello over ssh' });
    const secretsFile = `${layout.configDir}/secrets.env`;
    const report = await talk.ask<ChildReport>({ report: [secretsFile] });
    expect(report.uid).toBe(Number((await asRoot(`id -u ${shellWord(layout.user)}`)).trim()));
    expect(report.cwd).toBe(layout.appDir);
    expect(report.home).toBe(`${layout.appDir}/home`);
    expect(report.wroteHome).toBe(true);
    expect(await asRoot(`stat -c %U ${shellWord(`${layout.appDir}/home/settings.json`)}`)).toBe(
      `${layout.user}\n`,
    );
    expect(report.env.ANTHROPIC_API_KEY).toBe(secret);
    expect(report.env.AGENT_NAME).toBe(name);
    // A clean environment: nothing of root's or of the SSH session's.
    expect(Object.keys(report.env).filter((k) => k.startsWith('SSH_'))).toEqual([]);
    // The agent has its secrets, never read access to the file they come from.
    expect(report.read[secretsFile]).toEqual({ error: 'EACCES' });

    // No command line on the machine holds the secret, while the child's own is there to be seen.
    const lines = await asRoot('for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done');
    expect(lines).toContain('conversationChild.mjs');
    expect(lines).not.toContain(secret);
    expect(await processesWith('conversationChild.mjs')).toContainEqual(
      expect.stringMatching(new RegExp(`^${layout.user} +node ${layout.appDir}/conversationChild\\.mjs`)),
    );
    child.kill();
    expect(await child.ended).toBe('killed by SIGKILL');
  });

  it('leaves nothing running once killed, a process in a session of its own included', async () => {
    const child = await channels.spawn(['node', conversationChild]);
    const marker = `left-behind-${Date.now()}`;
    await conversationClient(child).ask({ leave: marker });
    expect(await processesWith(marker)).toHaveLength(1);
    child.kill();
    expect(await child.ended).toBe('killed by SIGKILL');
    await expect.poll(() => processesWith(marker), { timeout: 5_000 }).toEqual([]);
    await expect
      .poll(() => asRoot(`pgrep -u ${shellWord(layout.user)} || true`), { timeout: 5_000 })
      .toBe('');
  });

  it('says how it ended when it exits by itself, with the last lines of its stderr', async () => {
    const { child, marker } = await childThatExits(channels);
    expect(await child.ended).toBe('exited with code 3');
    const tail = child.stderrTail().split('\n');
    expect(tail).toHaveLength(20);
    expect(tail.at(-1)).toBe('line 500');
    await expect.poll(() => processesWith(marker), { timeout: 5_000 }).toEqual([]);
  });

  it('ends with the SSH connection, and its process with it (its stdin closes)', async () => {
    const child = await channels.spawn(['node', conversationChild]);
    expect(await conversationClient(child).ask({ echo: 1 })).toEqual({ echo: 1 });
    // The sshd process that serves the conversation's connection is the parent of its unshare.
    await asRoot(
      `kill -KILL $(ps -o ppid= -p $(pgrep -o -f ${shellWord('[u]nshare --pid.*conversationChild')}))`,
    );
    expect(await child.ended).toBe('the SSH connection closed');
    await expect.poll(() => processesWith('conversationChild.mjs'), { timeout: 5_000 }).toEqual([]);
  });

  it('says why when the chat command is not on the machine', async () => {
    const child = await channels.spawn(['/nonexistent/acp-agent']);
    expect(await child.ended).toBe('exited with code 127');
    expect(child.stderrTail()).toMatch(
      /failed to execute \/nonexistent\/acp-agent: No such file or directory/,
    );
  });

  it('reaches a port on the machine’s own loopback through the connection, for the role’s port', async () => {
    const marker = `listener-${Date.now()}`;
    await asRoot(
      `setsid -f node -e ${shellWord(`require('net').createServer((s) => s.end('hello from the machine')).listen(${listenerPort}, '127.0.0.1')`)} ${shellWord(marker)} >/dev/null 2>&1`,
    );
    try {
      // Not reachable from outside the machine: only through the tunnel.
      const outside = await new Promise<string>((resolve) => {
        const socket = createConnection({ host: host!.address, port: listenerPort });
        socket.once('connect', () => (socket.destroy(), resolve('connected')));
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      expect(outside).toBe('ECONNREFUSED');
      await expect
        .poll(async () => {
          const socket = await channels.connect(swe!.agent.port!);
          let text = '';
          for await (const chunk of socket) text += String(chunk);
          return text;
        })
        .toBe('hello from the machine');
    } finally {
      await asRoot(`pkill -f ${shellWord(marker)} || true`);
    }
  });

  it('says so when nothing listens on the port', async () => {
    await expect(channels.connect(1)).rejects.toThrow(`Nothing answered on ${name}'s port 1 on its machine`);
  });

  it('carries /ask: the reference agent answers over ACP on the machine and writes in its folder once allowed', async () => {
    const session = await acpProtocol.open({
      agent: { id: 1, name, role: 'swe' } as Agent,
      role: swe!,
      // The role file's chat section, as loadRoles parsed it with the acp schema.
      chat: swe!.chat as unknown as AcpChat,
      channels,
      history: [],
      clock: systemClock,
      log: silentLog,
    });
    await expectNotesWritten(session, 'over ssh', { appDir: layout.appDir, user: layout.user, asRoot });
    await session.close();
    await expect
      .poll(() => asRoot(`pgrep -u ${shellWord(layout.user)} || true`), { timeout: 5_000 })
      .toBe('');
  });
});

if (skip) it(`channel tests on the lab sshd skipped: ${skip}`, () => undefined);
