import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateHostKey } from '../src/providers/ssh/hostKey.js';
import { startConsoleBot } from './support/consoleSession.js';
import { approvedDestroy } from './support/destroy.js';
import { tempDir } from './support/env.js';
import { fakeMachines } from './support/fakeMachines.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const waitFor = async (ready: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
};

/**
 * Two hosts someone already has, configured the way a person would: FLEETBOT_SSH_HOSTS, a known_hosts
 * file and a key file. lab1 is pinned; lab2 has no pin; lab3 is pinned but presents another key.
 */
async function setup() {
  const tmp = tempDir();
  cleanups.push(tmp.cleanup);
  const machines = fakeMachines(undefined, { sshDelayMs: 0 });
  cleanups.push(() => machines.close());
  const login = generateHostKey('fleetbot login');
  const keyFile = path.join(tmp.dir, 'id_ed25519');
  writeFileSync(keyFile, login.privateKey, { mode: 0o600 });
  const lab1Key = generateHostKey('lab1');
  const lab3Key = generateHostKey('lab3');
  const lab1 = await machines.add(
    'lab1',
    { hostKey: lab1Key.privateKey, authorizedKey: login.publicKey, username: 'agent' },
    0,
  );
  await waitFor(() => lab1.ssh !== undefined);
  machines.inject('wrong-host-key');
  const lab3 = await machines.add(
    'lab3',
    { hostKey: lab3Key.privateKey, authorizedKey: login.publicKey, username: 'agent' },
    0,
  );
  await waitFor(() => lab3.ssh !== undefined);
  const knownHosts = path.join(tmp.dir, 'known_hosts');
  writeFileSync(
    knownHosts,
    [
      "# pinned from each server's /etc/ssh/ssh_host_ed25519_key.pub",
      `[127.0.0.1]:${lab1.sshPort} ${lab1Key.publicKey}`,
      `[127.0.0.1]:${lab3.sshPort} ${lab3Key.publicKey}`,
      '',
    ].join('\n'),
  );
  const s = await startConsoleBot(tmp.dir, {
    FLEETBOT_SSH_HOSTS: `lab1=agent@127.0.0.1:${lab1.sshPort},lab2=agent@127.0.0.1:1,lab3=agent@127.0.0.1:${lab3.sshPort}`,
    FLEETBOT_SSH_KNOWN_HOSTS: knownHosts,
    FLEETBOT_SSH_KEY: keyFile,
    ANTHROPIC_API_KEY: 'sk-ant-very-secret',
  });
  cleanups.push(() => s.stop());
  return { s, machines, lab1 };
}

describe('the ssh provider on hosts you already have (ssh2 server in-process)', () => {
  it('deploys onto lab1 with the pinned key, shows status and logs, then destroy removes it', async () => {
    const { s, machines, lab1 } = await setup();
    await s.type('/deploy swe alice --provider ssh --host lab1');
    const final = s.find(/Deploy alice/)!.versions.at(-1)!;
    expect(final).toMatch(/^✅ Done: Deploy alice \(swe, ssh\)/);
    const lines = final.split('\n');
    const order = [
      `Use host lab1 (agent@127.0.0.1)`,
      'Wait for SSH',
      'Verify SSH host key',
      'Upload agent, config and secrets',
      'Start agent service',
      'Wait for local health',
    ].map((p) => lines.findIndex((l) => l.startsWith(`✅ ${p} · `)));
    expect(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    expect(final).not.toMatch(/Caddy|DNS|server/);

    // Secrets went over SFTP with 0600 and never into chat; privileged commands used sudo.
    const secrets = machines.file('lab1', '/etc/fleetbot-agents/alice/secrets.env');
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(readFileSync(secrets, 'utf8')).toBe('ANTHROPIC_API_KEY="sk-ant-very-secret"\n');
    expect(s.output()).not.toContain('sk-ant-very-secret');
    expect(lab1.ssh!.commands.some((c) => c.includes('sudo -n systemctl enable --now'))).toBe(true);
    expect(s.bot.store.agents.live('alice')!.resources).toMatchObject({ host: 'lab1', login: 'agent' });
    // The agent runs as a Unix user of its own, not as the login.
    expect([...lab1.users]).toEqual(['fb-alice']);
    expect(readFileSync(machines.file('lab1', '/etc/systemd/system/fleetbot-alice.service'), 'utf8')).toMatch(
      /^User=fb-alice$/m,
    );

    await s.type('/status alice');
    expect(s.lastText()).toMatch(/✅ healthy: .*\(on host lab1\)/);
    await s.type('/logs alice -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of alice/);
    expect(s.lastText()).toContain('GET /health 200');

    const destroyCard = await approvedDestroy(s, 'alice');
    expect(destroyCard).toMatch(/^✅ Done: Destroy alice/);
    expect(destroyCard).toMatch(/✅ Remove alice from lab1 · /);
    expect(existsSync(machines.file('lab1', '/srv/fleetbot/alice'))).toBe(false);
    expect(existsSync(machines.file('lab1', '/etc/fleetbot-agents/alice'))).toBe(false);
    expect(lab1.users.size).toBe(0);
    expect(lab1.agents.size).toBe(0);
  });

  it('gives two agents of one role on one host their own ports, and destroying one leaves the other', async () => {
    const { s, machines, lab1 } = await setup();
    await s.type('/deploy swe alice --provider ssh --host lab1');
    await s.type('/deploy swe bob --provider ssh --host lab1');
    for (const name of ['alice', 'bob'])
      expect(s.find(new RegExp(`Deploy ${name}`))!.versions.at(-1)).toMatch(/^✅ Done: /);
    const portOf = (name: string) => s.bot.store.agents.live(name)!.resources.port;
    expect([portOf('alice'), portOf('bob')]).toEqual([3100, 3101]);
    expect(readFileSync(machines.file('lab1', '/etc/fleetbot-agents/bob/agent.env'), 'utf8')).toContain(
      'PORT="3101"',
    );
    expect([...lab1.agents.values()].map((a) => a.port).sort()).toEqual([3100, 3101]);

    expect(await approvedDestroy(s, 'alice')).toMatch(/^✅ Done: Destroy alice/);
    expect([...lab1.agents.keys()]).toEqual(['fleetbot-bob.service']);
    await s.type('/status bob');
    expect(s.lastText()).toMatch(/✅ healthy: .*\(on host lab1\)/);
    // alice's port is free again for the next agent.
    await s.type('/deploy research carol --provider ssh --host lab1');
    expect(s.find(/Deploy carol/)!.versions.at(-1)).toMatch(/^✅ Done: /);
    expect(portOf('carol')).toBe(3100);
  });

  it('does not count an answer on an agent’s port from a process of another user', async () => {
    const { s, machines } = await setup();
    await s.type('/deploy swe alice --provider ssh --host lab1');
    await s.type('/deploy swe bob --provider ssh --host lab1');
    await s.type('/status alice');
    expect(s.lastText()).toMatch(/✅ healthy: status ok.*\(on host lab1\)/);
    // What listens on alice's port now runs as bob's user (alice's process died, bob's took the port).
    const unit = machines.file('lab1', '/etc/systemd/system/fleetbot-alice.service');
    writeFileSync(unit, readFileSync(unit, 'utf8').replace(/^User=fb-alice$/m, 'User=fb-bob'));
    await s.type('/status alice');
    expect(s.lastText()).toMatch(
      /⚠️ unhealthy: port 3100 is held by a process that is not alice's \(uid 1001\); \/restart alice/,
    );
  });

  it('refuses a host whose key is not pinned, saying how to pin it, before touching it', async () => {
    const { s } = await setup();
    await s.type('/deploy swe alice --provider ssh --host lab2');
    expect(s.lastText()).toMatch(/Host lab2 \(agent@127\.0\.0\.1\) has no pinned host key in .*known_hosts/);
    expect(s.lastText()).toMatch(/never trusts a host key on first use/);
    expect(s.lastText()).toMatch(/ssh-keyscan -t ed25519 -p 1 127\.0\.0\.1/);
    expect(s.lastText()).toMatch(/"\[127\.0\.0\.1\]:1 ssh-ed25519 AAAA…"/);
    await s.type('/list --all');
    expect(s.lastText()).not.toMatch(/alice/);
  });

  it('refuses a host that presents another key, with a card that says so', async () => {
    const { s, machines } = await setup();
    await s.type('/deploy swe bob --provider ssh --host lab3');
    const final = s.find(/Deploy bob/)!.versions.at(-1)!;
    expect(final).toMatch(/^❌ Failed, rolled back: Deploy bob/);
    expect(final).toMatch(
      /❌ Verify SSH host key: .*presented an SSH host key other than the one fleetbot pinned for it.*FLEETBOT_SSH_KNOWN_HOSTS/,
    );
    expect(existsSync(machines.file('lab3', '/srv/fleetbot/bob'))).toBe(false);
  });

  it('asks which host when several are configured and no --host or role default is given', async () => {
    const { s } = await setup();
    await s.type('/deploy swe alice --provider ssh');
    expect(s.lastText()).toMatch(/Say which host: --host <name> \(configured: lab1, lab2, lab3\)/);
  });
});
