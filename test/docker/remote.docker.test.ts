import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { labUnavailable } from '../lab/tools.js';
import { allowedNoteWrite } from '../support/allowedAsk.js';
import { useCleanups } from '../support/cleanups.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { approvedDestroy } from '../support/destroy.js';
import { dockerCliAt, dockerUnavailable } from '../support/docker.js';
import { tempDir } from '../support/env.js';
import { startRemoteDockerHost, type RemoteDockerHost } from '../support/remoteDockerHost.js';
import { labelledLeftovers, removeLabelled } from './leftovers.js';

// A whole bot on the console whose docker provider is configured as main.ts configures it from the
// environment: DOCKER_HOST=ssh://root@<host>, the host's key pinned in FLEETBOT_SSH_KNOWN_HOSTS, the
// login key in FLEETBOT_SSH_KEY. The host is the lab's remote Docker host (sshd and dockerd in a
// network namespace), so the Engine, health checks and conversations reach it only through SSH.

const skip =
  dockerUnavailable() ??
  labUnavailable(['ip', 'nsenter', 'unshare', 'useradd', 'userdel', '/usr/sbin/sshd', 'dockerd']);
const instance = 'dk-remote';
const secret = 'sk-ant-remote-very-secret';
const login = generateHostKey('fleetbot remote docker login');

/**
 * The agent name in the health answer at `url` from this host, if anything answers there. Other
 * agents on this shared machine may hold the same port number; the remote agent must not answer.
 */
const agentAnsweringHere = (url: string): Promise<unknown> =>
  fetch(url, { signal: AbortSignal.timeout(3_000) })
    .then((r) => r.json())
    .then(
      (body: unknown) => (body as { name?: unknown } | null)?.name,
      () => undefined,
    );

describe.skipIf(skip)('the docker provider on a remote Docker host (DOCKER_HOST=ssh://)', () => {
  const defer = useCleanups();
  let remote: RemoteDockerHost;
  const remoteDocker = (...args: string[]): string => dockerCliAt(remote.socket)(...args);
  /** A Node script run in the agent's container, straight on the remote dockerd; its stdout. */
  const inAgent = (script: string): string => remoteDocker('exec', 'fleetbot-rmalice', 'node', '-e', script);

  beforeAll(async () => {
    remote = await startRemoteDockerHost(6, login.publicKey);
  }, 180_000);
  afterAll(async () => {
    await remote?.close();
    expect(remote.spec.violations).toEqual([]);
    expect(remote.spec.checked).toBeGreaterThan(0);
  });

  /** The bot as `npm start` would build it from this environment, with `pinnedKey` as the host's known key. */
  const start = async (pinnedKey: string) => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const keyFile = path.join(tmp.dir, 'fleetbot_ed25519');
    writeFileSync(keyFile, login.privateKey, { mode: 0o600 });
    const knownHosts = path.join(tmp.dir, 'known_hosts');
    writeFileSync(knownHosts, `${remote.address} ${pinnedKey}\n`);
    const s = await startConsoleBot(tmp.dir, {
      FLEETBOT_INSTANCE: instance,
      ANTHROPIC_API_KEY: secret,
      DOCKER_HOST: `ssh://root@${remote.address}`,
      FLEETBOT_SSH_KNOWN_HOSTS: knownHosts,
      FLEETBOT_SSH_KEY: keyFile,
      FLEETBOT_DOCKER_IMAGE: remote.image,
    });
    defer(() => s.stop());
    defer(() => removeLabelled(`fleetbot-instance=${instance}`, remote.socket));
    return s;
  };

  // First, while no bot has talked to this host yet: a conversation's end is sent on its way without
  // waiting (exec.ts `kill`), so a bot stopped before may still reach the Engine after it stopped.
  it('refuses a host whose key is not the pinned one, says what to do, and sends its Engine nothing', async () => {
    const s = await start(generateHostKey('someone else').publicKey);
    await s.type('/deploy swe rmbob --provider docker');
    // Refused while the deploy looks for the role's image, before any job or card.
    expect(s.find(/Deploy rmbob/)).toBeUndefined();
    expect(s.lastText()).toMatch(
      /presented an SSH host key other than the one fleetbot pinned for it.*compare the key on the machine with FLEETBOT_SSH_KNOWN_HOSTS/,
    );
    expect(remote.requestsOverSsh).toEqual([]);
    expect(labelledLeftovers('agent=rmbob', remote.socket)).toEqual([]);
    expect(labelledLeftovers('agent=rmbob')).toEqual([]);
  }, 60_000);

  it('deploys, watches, talks to, restarts and destroys an agent on the remote Engine, all through SSH', async () => {
    const s = await start(remote.hostKey.publicKey);
    await s.type('/deploy swe rmalice --provider docker');
    const card = s.find(/Deploy rmalice/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy rmalice \(swe, docker\)/);
    for (const step of [
      'Choose the image: the newest build of swe, else the default',
      `Choose a port on Docker on root@${remote.address}`,
      'Create network fleetbot-rmalice',
      'Put workspace, role files and secrets into volumes',
      'Remove seed container fleetbot-rmalice-seed',
      'Create container fleetbot-rmalice',
      'Start fleetbot-rmalice',
      'Wait for health',
    ])
      expect(card).toContain(`✅ ${step}`);
    expect(s.output()).not.toContain(secret);

    // The agent runs on the remote Engine, its port published on that host's loopback only.
    const agent = s.bot.store.agents.live('rmalice')!;
    const port = Number(agent.resources.hostPort);
    expect(agent.url).toBeNull();
    expect(remoteDocker('port', 'fleetbot-rmalice').trim()).toBe(`3100/tcp -> 127.0.0.1:${port}`);
    expect(remoteDocker('inspect', 'fleetbot-rmalice')).not.toContain(secret);
    expect(labelledLeftovers('agent=rmalice', remote.socket).sort()).toEqual([
      'container fleetbot-rmalice',
      'network fleetbot-rmalice',
      'volume fleetbot-rmalice-files',
      'volume fleetbot-rmalice-secrets',
      'volume fleetbot-rmalice-workspace',
    ]);
    expect(labelledLeftovers('agent=rmalice')).toEqual([]);
    // So the health the deploy waited for came through the SSH tunnel: from here, the agent does not answer.
    expect(await agentAnsweringHere(`http://127.0.0.1:${port}/health`)).not.toBe('rmalice');
    expect(await agentAnsweringHere(`http://${remote.address}:${port}/health`)).not.toBe('rmalice');
    expect(inAgent('fetch("http://127.0.0.1:3100/health").then(r=>r.text()).then(console.log)')).toContain(
      '"name":"rmalice"',
    );

    await s.type('/status rmalice');
    expect(s.lastText()).toMatch(/✅ healthy: status ok.*\(container running\)/);
    await s.type('/logs rmalice -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of rmalice/);
    expect(s.lastText()).toContain('GET /health 200');

    // A conversation: the reference agent's acp.mjs through an attached exec on the remote Engine.
    await allowedNoteWrite(s, 'rmalice', 'hello from afar');
    expect(inAgent('process.stdout.write(require("fs").readFileSync("/workspace/notes.txt","utf8"))')).toBe(
      'hello from afar\n',
    );

    await s.type('/restart rmalice');
    expect(s.find(/Restart rmalice/)!.versions.at(-1)).toMatch(/^✅ Done: Restart rmalice/);
    await s.type('/status rmalice');
    expect(s.lastText()).toMatch(/✅ healthy: /);

    const destroy = await approvedDestroy(s, 'rmalice');
    expect(destroy).toMatch(/^✅ Done: Destroy rmalice/);
    expect(labelledLeftovers(`fleetbot-instance=${instance}`, remote.socket)).toEqual([]);
    expect(labelledLeftovers(`fleetbot-instance=${instance}`)).toEqual([]);
    expect(remoteDocker('ps', '-a', '--format', '{{.Names}}').trim()).toBe('');
    expect(remote.requestsOverSsh.length).toBeGreaterThan(0);
  }, 180_000);
});
