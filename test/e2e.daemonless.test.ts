import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateHostKey } from '../src/providers/ssh/hostKey.js';
import { useCleanups } from './support/cleanups.js';
import { startConsoleBot } from './support/consoleSession.js';
import { rolesWithScribe } from './support/daemonlessRole.js';
import { approvedDestroy } from './support/destroy.js';
import { tempDir } from './support/env.js';
import { fakeMachines } from './support/fakeMachines.js';
import { startHetznerBot } from './support/hetznerDeploy.js';

// An agent whose role has no daemon (only `chat`), deployed on a machine: its user, folder, files,
// env and secrets, and nothing that runs or listens until it is spoken to.

const defer = useCleanups();
/** The steps a job card lists as done, in order. */
const doneSteps = (card: string): string[] =>
  card
    .split('\n')
    .slice(1)
    .flatMap((l) => /^✅ (.+) · \d+\.\d s$/.exec(l)?.[1] ?? []);
// The machine's there (the provider) and the chat command starts and answers (core's probe).
const noDaemon = '✅ healthy: no daemon; it runs when spoken to';

/** Files a daemon's deploy leaves on a machine; none of them may be there for bob. */
const daemonFiles = [
  '/etc/systemd/system/fleetbot-bob.service',
  '/etc/fleetbot-agents/bob/port.nft',
  '/etc/caddy/fleetbot.d/bob.caddy',
];

const rolesDir = (): string => {
  const tmp = tempDir();
  defer(tmp.cleanup);
  return rolesWithScribe(tmp.dir);
};

describe('an agent without a daemon on Hetzner Cloud (fakes)', () => {
  it('gets a labelled server and its files but no DNS name, unit or Caddy; status, restart, reconcile and destroy know it', async () => {
    const { s, cloud } = await startHetznerBot(defer, {}, { FLEETBOT_ROLES_DIR: rolesDir() });
    await s.type('/image build swe');
    await s.type('/deploy scribe bob --provider hetzner');
    const card = s.find(/Deploy bob/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy bob \(scribe, hetzner\)/);
    expect(doneSteps(card)).toEqual([
      'Create server',
      'Wait for server to run',
      'Wait for SSH',
      'Verify SSH host key',
      'Upload agent, config and secrets',
      'Check it answers over acp',
    ]);
    expect(card).toContain('Talk to it: /ask bob <prompt>');

    const [server] = cloud.hetzner.servers();
    expect(server).toMatchObject({
      name: 'bob',
      labels: {
        'managed-by': 'fleetbot',
        'fleetbot-instance': 'test-fleetbot',
        agent: 'bob',
        role: 'scribe',
      },
    });
    expect(cloud.cloudflare.records()).toEqual([]);
    expect(cloud.cloudflare.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const ip = server!.ipv4!;
    const machine = cloud.machines.machines.get(ip)!;
    expect(readFileSync(cloud.machines.file(ip, '/etc/fleetbot-agents/bob/agent.env'), 'utf8')).toBe(
      'AGENT_MODEL="claude-sonnet-4"\nAGENT_NAME="bob"\nAGENT_ROLE="scribe"\n',
    );
    expect(readFileSync(cloud.machines.file(ip, '/etc/fleetbot-agents/bob/secrets.env'), 'utf8')).toBe(
      'ANTHROPIC_API_KEY="sk-ant-very-secret"\n',
    );
    expect(existsSync(cloud.machines.file(ip, '/srv/fleetbot/bob/acp.mjs'))).toBe(true);
    for (const file of daemonFiles) expect(existsSync(cloud.machines.file(ip, file))).toBe(false);
    expect(machine.agents.size).toBe(0);
    expect(machine.events.filter((e) => e.startsWith('start'))).toEqual([]);
    expect(machine.users).toEqual(new Set(['fb-bob']));

    const bob = s.bot.store.agents.live('bob')!;
    expect(bob.url).toBeNull();
    expect(cloud.provider.healthUrl?.(bob)).toBeUndefined();
    await s.type('/status bob');
    expect(s.lastText()).toContain(`${noDaemon} (server cx23 in nbg1); its acp command starts and answers`);
    expect(await cloud.provider.findRunning([bob])).toEqual([
      { agent: bob, running: true, detail: 'no daemon; it runs when spoken to' },
    ]);
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });

    await s.type('/restart bob');
    const restart = s.find(/Restart bob/)!.versions.at(-1)!;
    expect(restart).toMatch(/^✅ Done: Restart bob/);
    expect(restart).toMatch(
      /✅ Stop its conversation processes \(it has no service; it runs when spoken to\) · /,
    );

    // Someone removed its user on the machine: status and a restart of fleetbot both say so.
    machine.users.delete('fb-bob');
    await s.type('/status bob');
    expect(s.lastText()).toMatch(/unhealthy: its Unix user fb-bob is gone from the machine/);
    expect((await cloud.provider.findRunning([bob]))[0]).toMatchObject({ running: false });
    machine.users.add('fb-bob');

    const destroy = await approvedDestroy(s, 'bob');
    expect(destroy).toMatch(/^✅ Done: Destroy bob/);
    expect(destroy).toMatch(/✅ Delete server · /);
    expect(destroy).not.toContain('DNS');
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
    await expect.poll(() => existsSync(machine.root)).toBe(false);
  });
  it('rolls back to nothing when its upload fails', async () => {
    const { s, cloud } = await startHetznerBot(defer, {}, { FLEETBOT_ROLES_DIR: rolesDir() });
    await s.type('/image build swe');
    cloud.machines.inject('folder-fails');
    await s.type('/deploy scribe bob --provider hetzner');
    const card = s.find(/Deploy bob/)!.versions.at(-1)!;
    expect(card).toMatch(/^❌ Failed, rolled back: Deploy bob/);
    expect(card).toMatch(/❌ Upload agent, config and secrets: Creating the agent user and folder failed/);
    expect(card).toContain('↩️ Create server: cleaned up');
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
  });
});

describe('an agent without a daemon on a host you have (ssh, fake machine)', () => {
  it('gets its user, folder and files but no port, unit or Caddy site; status, restart and destroy know it', async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const machines = fakeMachines(undefined, { sshDelayMs: 0 });
    defer(() => machines.close());
    const login = generateHostKey('fleetbot login');
    const hostKey = generateHostKey('lab1');
    const keyFile = path.join(tmp.dir, 'id_ed25519');
    writeFileSync(keyFile, login.privateKey, { mode: 0o600 });
    const lab1 = await machines.add(
      'lab1',
      { hostKey: hostKey.privateKey, authorizedKey: login.publicKey, username: 'root' },
      0,
    );
    await expect.poll(() => lab1.ssh).toBeDefined();
    const knownHosts = path.join(tmp.dir, 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${lab1.sshPort} ${hostKey.publicKey}\n`);
    const s = await startConsoleBot(tmp.dir, {
      FLEETBOT_ROLES_DIR: rolesDir(),
      FLEETBOT_SSH_HOSTS: `lab1=root@127.0.0.1:${lab1.sshPort}`,
      FLEETBOT_SSH_KNOWN_HOSTS: knownHosts,
      FLEETBOT_SSH_KEY: keyFile,
      FLEETBOT_DOMAIN: 'agents.example.test',
    });
    defer(() => s.stop());

    await s.type('/deploy scribe bob --provider ssh');
    const card = s.find(/Deploy bob/)!.versions.at(-1)!;
    expect(card).toMatch(/^✅ Done: Deploy bob \(scribe, ssh\)/);
    expect(doneSteps(card)).toEqual([
      'Use host lab1 (root@127.0.0.1)',
      'Wait for SSH',
      'Verify SSH host key',
      'Upload agent, config and secrets',
      'Check it answers over acp',
    ]);
    const file = (remote: string) => path.join(lab1.root, remote);
    expect(existsSync(file('/srv/fleetbot/bob/acp.mjs'))).toBe(true);
    expect(readFileSync(file('/etc/fleetbot-agents/bob/agent.env'), 'utf8')).not.toMatch(/PORT|HOST/);
    for (const f of daemonFiles) expect(existsSync(file(f))).toBe(false);
    expect(lab1.agents.size).toBe(0);
    const bob = s.bot.store.agents.live('bob')!;
    expect(bob.resources).not.toHaveProperty('port');
    expect(bob.url).toBeNull();

    await s.type('/status bob');
    expect(s.lastText()).toContain(`${noDaemon} (on host lab1); its acp command starts and answers`);
    await s.type('/restart bob');
    expect(s.find(/Restart bob/)!.versions.at(-1)).toMatch(
      /^✅ Done: Restart bob[\s\S]*✅ Stop its conversation processes/,
    );

    rmSync(file('/srv/fleetbot/bob'), { recursive: true });
    await s.type('/status bob');
    expect(s.lastText()).toMatch(
      /unhealthy: its folder \/srv\/fleetbot\/bob is gone from the machine \(on host lab1\)/,
    );

    const destroy = await approvedDestroy(s, 'bob');
    expect(destroy).toMatch(/^✅ Done: Destroy bob[\s\S]*✅ Remove bob from lab1/);
    expect(existsSync(file('/etc/fleetbot-agents/bob'))).toBe(false);
    expect(lab1.users.has('fb-bob')).toBe(false);
  });
});
