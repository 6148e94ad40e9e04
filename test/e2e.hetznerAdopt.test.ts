import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { approvedDestroy } from './support/destroy.js';
import { deployAlice, deployCard, startHetznerBot } from './support/hetznerDeploy.js';

const defer = useCleanups();

/** alice deployed, then her record lost (say, a restore from an old backup); the cloud keeps what she had. */
async function deployAndLoseRecord() {
  const bot = await startHetznerBot(defer, {}, { FLEETBOT_ORPHAN_AGE: '0' });
  const { s } = bot;
  await s.type('/alerts on all');
  await s.type('/image build swe');
  await s.type(deployAlice);
  expect(deployCard(bot)).toMatch(/^✅ Done: Deploy alice/);
  expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 }); // all of it is hers
  s.bot.store.agents.update(s.bot.store.agents.live('alice')!.id, { status: 'destroyed' });
  return bot;
}

describe('a Hetzner server whose record was lost (fakes)', () => {
  it('Delete removes the server and the DNS record that points at it', async () => {
    const { s, cloud } = await deployAndLoseRecord();
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 }); // one card, not one per resource
    await s.type(/\[(\d+)\] Delete/.exec(s.lastText())![1]!);
    expect(s.lastText()).toMatch(/^Deleted server alice \(\d+\) in nbg1 on hetzner \(console:/);
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
  });

  it('a DNS record left behind by a server that is gone is reported on its own, and Delete removes it', async () => {
    const { s, cloud } = await deployAndLoseRecord();
    const [record] = cloud.cloudflare.records();
    const [server] = cloud.hetzner.servers();
    // Someone deleted the server in the Hetzner Console.
    const res = await fetch(`${cloud.hetzner.endpoint}/servers/${server!.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${cloud.hetzner.token}` },
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 100 && cloud.hetzner.servers().length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 });
    expect(s.lastText()).toContain(
      `🧐 DNS record alice.agents.example.test → ${server!.ipv4} on hetzner belongs to no agent`,
    );
    expect(s.lastText()).not.toMatch(/Adopt/);
    await s.type(/\[(\d+)\] Delete/.exec(s.lastText())![1]!);
    expect(cloud.cloudflare.records().find((r) => r.id === record!.id)).toBeUndefined();
  });

  it('is reported with Delete, Adopt and Keep; Adopt puts it back on /list, and /destroy then removes server and DNS', async () => {
    const { s, cloud } = await deployAndLoseRecord();
    const [server] = cloud.hetzner.servers();
    const [record] = cloud.cloudflare.records();

    expect(await s.bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 });
    const card = s.lastText();
    expect(card).toContain(`🧐 server alice (${server!.id}) in nbg1 on hetzner belongs to no agent`);
    expect(card).toContain('adopt it as agent alice (swe)');
    expect(card).toMatch(/\[\d+\] Delete .*\[\d+\] Adopt .*\[\d+\] Keep/s);

    await s.type(/\[(\d+)\] Adopt/.exec(card)![1]!);
    expect(s.find(/Adopted server/)!.versions.at(-1)).toMatch(
      new RegExp(
        `^Adopted server alice \\(${server!.id}\\) in nbg1 on hetzner as agent alice \\(console:\\S+, \\d\\d:\\d\\d UTC\\)\\.`,
      ),
    );
    const adopted = s.bot.store.agents.live('alice')!;
    expect(adopted).toMatchObject({
      status: 'broken',
      resources: { serverId: server!.id, ip: server!.ipv4, dnsRecordId: record!.id, adopted: true },
    });
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
    await s.type('/list');
    expect(s.lastText()).toContain('alice swe · hetzner · broken');
    await s.type('/status alice');
    expect(s.lastText()).toMatch(
      /⚠️ unhealthy: adopted after its record was lost: fleetbot lists it and can destroy it, but does not manage it\n.*\n\/destroy alice removes it; deploy it again to manage it fully\.$/,
    );
    await s.type('/logs alice');
    expect(s.lastText()).toMatch(
      /adopted without the SSH host key .*\/destroy alice, then \/deploy it again/,
    );

    expect(await approvedDestroy(s, 'alice')).toMatch(/^✅ Done: Destroy alice/);
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
  });

  it('Adopt under a name a live agent holds picks another, and /destroy still removes the server it names', async () => {
    const { s, cloud } = await deployAndLoseRecord();
    const [server] = cloud.hetzner.servers();
    // Someone deployed a new alice elsewhere before the old server was noticed.
    const other = s.bot.store.agents.create({
      name: 'alice',
      role: 'swe',
      provider: 'local',
      owner: 'console:local',
    });
    s.bot.store.agents.update(other.id, { status: 'running' });

    expect(await s.bot.reconciler.run()).toEqual({ orphans: 1, lost: 0 });
    await s.type(/\[(\d+)\] Adopt/.exec(s.lastText())![1]!);
    const name = `alice-server-${server!.id}`;
    expect(s.lastText()).toContain(`as agent ${name} (`);
    const adopted = s.bot.store.agents.live(name)!;
    expect(adopted.resources).toMatchObject({ serverId: server!.id, agentLabel: 'alice', adopted: true });
    // Its record now owns the server: the inventory no longer counts it as an orphan.
    const { found } = await cloud.provider.inventory!(s.bot.store.agents.list({ provider: 'hetzner' }));
    expect(found.find((f) => f.id === `server ${server!.id}`)).toMatchObject({ agentId: adopted.id });

    expect(await approvedDestroy(s, name)).toMatch(new RegExp(`^✅ Done: Destroy ${name}`));
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
    expect(s.bot.store.agents.live('alice')!.id).toBe(other.id);
  });
});
