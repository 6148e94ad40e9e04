import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { approvedDestroy } from './support/destroy.js';
import { deployAlice, deployCard, startHetznerBot } from './support/hetznerDeploy.js';

const defer = useCleanups();

describe('a Hetzner server whose record was lost (fakes)', () => {
  it('is reported with Delete, Adopt and Keep; Adopt puts it back on /list, and /destroy then removes server and DNS', async () => {
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_ORPHAN_AGE: '0' });
    const { s, cloud } = bot;
    await s.type('/alerts on all');
    await s.type('/image build swe');
    await s.type(deployAlice);
    expect(deployCard(bot)).toMatch(/^✅ Done: Deploy alice/);
    const [server] = cloud.hetzner.servers();
    const [record] = cloud.cloudflare.records();
    // The record is lost (say, a restore from an old backup); the server and its DNS record are not.
    s.bot.store.agents.update(s.bot.store.agents.live('alice')!.id, { status: 'destroyed' });

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
});
