import { describe, expect, it } from 'vitest';
import { useCleanups } from './support/cleanups.js';
import { approvedDestroy } from './support/destroy.js';
import { quotaRoles } from './support/quotaRoles.js';
import { addRecord, editRecord, setServerLabels } from './support/foreignCloud.js';
import { deployAlice, deployCard, startHetznerBot, startSecondBot } from './support/hetznerDeploy.js';

const defer = useCleanups();

describe('fleetbot keeps its hands off DNS records and servers it did not make (fakes)', () => {
  for (const foreign of [
    { type: 'A', content: '198.51.100.20', comment: 'the shop, do not touch' },
    { type: 'CNAME', content: 'shops.example.net' },
    { type: 'A', content: '198.51.100.21', comment: 'fleetbot agent shop (instance another-fleetbot)' },
  ])
    it(`refuses to deploy over a ${foreign.type} record someone else made (${foreign.comment ?? 'no comment'}), and leaves it as it was`, async () => {
      const bot = await startHetznerBot(defer);
      const { s, cloud } = bot;
      await s.type('/image build swe');
      const id = await addRecord(cloud, { name: 'shop.agents.example.test', ...foreign });
      const before = cloud.cloudflare.records();

      await s.type('/deploy swe shop --provider hetzner');
      const card = s.find(/Deploy shop/)!.versions.at(-1)!;
      expect(card).toMatch(/^❌ Failed, rolled back: Deploy shop/);
      expect(card).toContain(
        `The DNS name shop.agents.example.test already has a ${foreign.type} record (→ ${foreign.content}) that this fleetbot did not make, so it left it alone. Pick another agent name, or remove that record in the Cloudflare dashboard yourself`,
      );
      expect(cloud.cloudflare.records()).toEqual(before);
      expect(cloud.cloudflare.records().map((r) => r.id)).toEqual([id]);
      expect(cloud.hetzner.servers()).toEqual([]);
    });

  it('destroy refuses to delete a DNS record that is no longer its own, and names it', async () => {
    const bot = await startHetznerBot(defer);
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(deployAlice);
    const [record] = cloud.cloudflare.records();
    // Someone repointed the name at their own service and marked it theirs.
    await editRecord(cloud, record!.id, { content: '198.51.100.30', comment: 'marketing site' });
    const card = await approvedDestroy(s, 'alice');
    expect(card).toContain(
      'DNS record alice.agents.example.test (A → 198.51.100.30) is not one this fleetbot made for alice, so it left it alone.',
    );
    expect(cloud.cloudflare.records()).toEqual([
      expect.objectContaining({ id: record!.id, content: '198.51.100.30' }),
    ]);
  });

  it("a second fleetbot on the same project and zone, deleting orphans on its own, leaves the first one's agents alone", async () => {
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_ORPHAN_AGE: '0' });
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(deployAlice);
    expect(deployCard(bot)).toMatch(/^✅ Done: Deploy alice/);
    const servers = cloud.hetzner.servers();
    const records = cloud.cloudflare.records();

    const second = await startSecondBot(defer, cloud, 'second', {
      FLEETBOT_ORPHAN_AGE: '0',
      FLEETBOT_RECONCILE_AUTODELETE: 'true',
    });
    expect(await second.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
    expect(cloud.hetzner.servers()).toEqual(servers);
    expect(cloud.cloudflare.records()).toEqual(records);
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
  });

  it('servers and records from before instance ids stay the agent’s own: not orphans, and /destroy removes them; another fleetbot leaves them alone', async () => {
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_ORPHAN_AGE: '0' });
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(deployAlice);
    // As an earlier fleetbot labelled and commented them.
    const [server] = cloud.hetzner.servers();
    const [record] = cloud.cloudflare.records();
    await setServerLabels(cloud, server!.id, { 'managed-by': 'fleetbot', agent: 'alice', role: 'swe' });
    await editRecord(cloud, record!.id, { comment: 'fleetbot agent alice' });

    const second = await startSecondBot(defer, cloud, 'second', {
      FLEETBOT_ORPHAN_AGE: '0',
      FLEETBOT_RECONCILE_AUTODELETE: 'true',
    });
    expect(await second.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
    expect(await s.bot.reconciler.run()).toEqual({ orphans: 0, lost: 0 });
    expect(cloud.hetzner.servers()).toHaveLength(1);
    expect(cloud.cloudflare.records()).toHaveLength(1);

    expect(await approvedDestroy(s, 'alice')).toMatch(/^✅ Done: Destroy alice/);
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(cloud.cloudflare.records()).toEqual([]);
  });
});

describe('quotas (fakes)', () => {
  it('refuses a deploy beyond FLEETBOT_MAX_AGENTS_PER_PERSON, saying the limit and who can raise it', async () => {
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_MAX_AGENTS_PER_PERSON: '1' });
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(deployAlice);
    await s.type('/deploy swe bob --provider hetzner');
    expect(s.lastText()).toContain(
      'You already own 1 agent (alice); the limit is 1 per person. /destroy one first, or ask an admin to raise FLEETBOT_MAX_AGENTS_PER_PERSON',
    );
    expect(cloud.hetzner.servers().map((x) => x.name)).toEqual(['alice']);
    expect(s.bot.store.agents.list().map((a) => a.name)).toEqual(['alice']);
  });

  it("refuses a --type or --location the role's allowedTypes / allowedLocations leave out", async () => {
    const roles = quotaRoles(defer);
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_ROLES_DIR: roles.dir });
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(`${deployAlice} --type cx53`);
    expect(s.lastText()).toContain(
      `Role swe does not allow server type cx53; it allows cx23 (--type). An admin can change providers.hetzner.allowedTypes in ${roles.file}.`,
    );
    await s.type(`${deployAlice} --location hel1`);
    expect(s.lastText()).toContain(
      'Role swe does not allow location hel1; it allows nbg1, fsn1 (--location).',
    );
    expect(cloud.hetzner.servers()).toEqual([]);
    expect(s.bot.store.agents.list()).toEqual([]);
  });
});
