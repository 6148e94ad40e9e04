import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { approvedDestroy } from './support/destroy.js';
import {
  deployAlice,
  deployPhases,
  expectStepRollsBack,
  startHetznerBot,
  stepFaults,
} from './support/hetznerDeploy.js';

const defer = useCleanups();
const setup = () => startHetznerBot(defer);

describe('golden image, deploy and destroy on Hetzner Cloud (fakes)', () => {
  it('/image build makes a labelled snapshot and deletes the build server', async () => {
    const { s, cloud } = await setup();
    await s.type('/image build swe');
    const card = s.find(/Build image for swe/)!;
    const final = card.versions.at(-1)!;
    expect(final).toMatch(/^✅ Done: Build image for swe \(hetzner\)/);
    for (const step of [
      'Create build server',
      'Wait for server to run',
      'Wait for SSH',
      'Verify SSH host key',
      'Run the build script',
      'Power off',
      'Create snapshot',
      'Delete build server',
    ])
      expect(final).toMatch(new RegExp(`✅ ${step} · \\d+\\.\\d s`));
    expect(cloud.hetzner.servers()).toEqual([]);
    const snapshots = cloud.hetzner.images().filter((i) => i.type === 'snapshot');
    expect(snapshots).toEqual([
      expect.objectContaining({
        status: 'available',
        labels: {
          'managed-by': 'fleetbot',
          'fleetbot-instance': 'test-fleetbot',
          'fleetbot-image': 'fleetbot-swe',
          role: 'swe',
          version: '1',
        },
      }),
    ]);
    // The build server was the cheapest x86 type where the role deploys.
    const create = cloud.hetzner.requests.find((r) => r.method === 'POST' && r.path === '/servers')!;
    expect(create.body).toMatchObject({
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      labels: { purpose: 'image-build' },
    });
    await s.type('/image list');
    expect(s.lastText()).toMatch(
      new RegExp(`Golden images \\(1\\)\\n${snapshots[0]!.id} swe v1 · available`),
    );
  });

  it('walks /deploy swe alice --provider hetzner through every phase on one card, then /destroy removes it all', async () => {
    const { s, cloud } = await setup();
    await s.type('/image build swe');
    await s.type(deployAlice);
    const cards = s.messages().filter((m) => /Deploy alice/.test(m.versions[0]!));
    expect(cards).toHaveLength(1);
    const final = cards[0]!.versions.at(-1)!;
    expect(final).toMatch(/^✅ Done: Deploy alice \(swe, hetzner\)/);
    const lines = final.split('\n');
    const order = deployPhases.map((p) => lines.findIndex((l) => l.startsWith(`✅ ${p} · `)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(final).toContain('URL: https://alice.agents.example.test');

    // The server: labelled, booted from the role's snapshot, with no secret in its user data.
    const [server] = cloud.hetzner.servers();
    const snapshot = cloud.hetzner.images().find((i) => i.type === 'snapshot')!;
    expect(server).toMatchObject({
      name: 'alice',
      status: 'running',
      image: String(snapshot.id),
      labels: { 'managed-by': 'fleetbot', 'fleetbot-instance': 'test-fleetbot', agent: 'alice', role: 'swe' },
    });
    expect(server!.userData).not.toContain('sk-ant-very-secret');
    // The DNS record: unproxied, pointing at the server.
    expect(cloud.cloudflare.records()).toEqual([
      expect.objectContaining({
        type: 'A',
        name: 'alice.agents.example.test',
        content: server!.ipv4,
        proxied: false,
        ttl: 300,
        comment: 'fleetbot agent alice (instance test-fleetbot)',
      }),
    ]);
    // The pinned host key is the one handed to the server.
    const agent = s.bot.store.agents.live('alice')!;
    expect(server!.userData).toContain(String(agent.resources.hostKey));
    expect(agent.resources).toMatchObject({
      serverId: server!.id,
      ip: server!.ipv4,
      dnsRecordId: cloud.cloudflare.records()[0]!.id,
    });
    // On the machine: Caddy started only after the agent answered, secrets are 0600.
    const machine = cloud.machines.machines.get(server!.ipv4!)!;
    expect(machine.events.indexOf('start caddy')).toBeGreaterThan(machine.events.indexOf('agent healthy'));
    expect(machine.events.indexOf('agent healthy')).toBeGreaterThan(-1);
    const { statSync, readFileSync } = await import('node:fs');
    const secrets = cloud.machines.file(server!.ipv4!, '/etc/fleetbot-agents/alice/secrets.env');
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(readFileSync(secrets, 'utf8')).toBe('ANTHROPIC_API_KEY="sk-ant-very-secret"\n');
    expect(s.output()).not.toContain('sk-ant-very-secret');

    await s.type('/status alice');
    expect(s.lastText()).toMatch(/✅ healthy: status ok, version 0\.1\.0 \(server cx23 in nbg1\)/);
    await s.type('/logs alice -n 5');
    expect(s.lastText()).toMatch(/Last \d+ log lines of alice/);
    expect(s.lastText()).toContain('GET /health 200');

    const destroyCard = await approvedDestroy(s, 'alice');
    expect(destroyCard).toMatch(/^✅ Done: Destroy alice/);
    expect(destroyCard).toMatch(/✅ Delete DNS record · /);
    expect(destroyCard).toMatch(/✅ Delete server · /);
    expect(cloud.cloudflare.records()).toEqual([]);
    expect(cloud.hetzner.servers()).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(machine.root)).toBe(false);
  });
});

describe('a failure at any deploy step rolls everything back', () => {
  it.each(stepFaults)('$step', async (stepFault) => {
    const bot = await setup();
    await expectStepRollsBack(bot, stepFault);
    await bot.s.type('/list --all');
    expect(bot.s.lastText()).toMatch(/alice swe · hetzner · failed/);
  });
});
