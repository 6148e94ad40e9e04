import { describe, expect, it } from 'vitest';
import { useCleanups } from '../support/cleanups.js';
import { addRecord } from '../support/foreignCloud.js';
import { deployAlice, deployCard, startHetznerBot, startSecondBot } from '../support/hetznerDeploy.js';
import { quotaRoles } from '../support/quotaRoles.js';
import { attempted } from './tally.js';

const defer = useCleanups();

// A person with /deploy and /destroy (on the console, who is even an admin: no level is exempt) and a
// second fleetbot sharing the Hetzner project and Cloudflare zone, against the fake clouds.
describe('ownership and quotas on Hetzner and Cloudflare', () => {
  it('an agent named like a production DNS record neither takes the name over nor gets it deleted', async () => {
    const { s, cloud } = await startHetznerBot(defer);
    await s.type('/image build swe');
    const shop = { type: 'A', name: 'shop.agents.example.test', content: '198.51.100.20', comment: 'shop' };
    const id = await addRecord(cloud, shop);
    const untouched = () => cloud.cloudflare.records().find((r) => r.id === id);

    await s.type('/deploy swe shop --provider hetzner');
    attempted(
      'deploy an agent named like a foreign DNS record to point the name at its server',
      untouched()?.content !== shop.content || untouched()?.comment !== shop.comment,
    );
    // The failed deploy rolled back; now ask for the record's deletion by every way there is.
    await s.type('/destroy shop');
    const approve = /\[(\d+)\] Approve destroy/.exec(s.lastText())?.[1];
    if (approve) await s.type(approve);
    await s.bot.reconciler.run();
    attempted('make rollback or /destroy delete a foreign DNS record', untouched() === undefined);
    expect(cloud.hetzner.servers()).toEqual([]);
  });

  it("a second fleetbot on the same project and zone, with autodelete on, cannot delete the first one's servers", async () => {
    const bot = await startHetznerBot(defer, {}, { FLEETBOT_ORPHAN_AGE: '0' });
    const { s, cloud } = bot;
    await s.type('/image build swe');
    await s.type(deployAlice);
    expect(deployCard(bot)).toMatch(/^✅ Done: Deploy alice/);
    const servers = cloud.hetzner.servers().map((x) => x.id);
    const records = cloud.cloudflare.records().map((r) => r.id);

    const second = await startSecondBot(defer, cloud, 'intruder', {
      FLEETBOT_ORPHAN_AGE: '0',
      FLEETBOT_RECONCILE_AUTODELETE: 'true',
    });
    await second.bot.reconciler.run();
    // It also deploys an agent of the same name, which would take over alice's DNS name.
    await second.type('/image build swe');
    await second.type(deployAlice);
    await second.bot.reconciler.run();
    const left = (ids: (string | number)[], now: (string | number)[]) => ids.every((id) => now.includes(id));
    attempted(
      "a second fleetbot with autodelete deletes the first one's server",
      !left(
        servers,
        cloud.hetzner.servers().map((x) => x.id),
      ),
    );
    attempted(
      "a second fleetbot deletes or repoints the first one's DNS record",
      !left(
        records,
        cloud.cloudflare.records().map((r) => r.id),
      ) || cloud.cloudflare.records().some((r) => r.content !== cloud.hetzner.servers()[0]!.ipv4),
    );
  });

  it('a person cannot go past the per-person quota, nor ask for a server type or location the role leaves out', async () => {
    const roles = quotaRoles(defer);
    const { s, cloud } = await startHetznerBot(
      defer,
      {},
      { FLEETBOT_MAX_AGENTS_PER_PERSON: '1', FLEETBOT_ROLES_DIR: roles.dir },
    );
    await s.type('/image build swe');
    await s.type('/deploy swe alice --provider hetzner --type cx53');
    await s.type('/deploy swe alice --provider hetzner --location hel1');
    const creates = () =>
      cloud.hetzner.requests
        .filter((r) => r.method === 'POST' && r.path === '/servers')
        .map((r) => r.body as { server_type: string; location: string; name: string });
    attempted(
      'deploy on a server type or in a location the role does not allow',
      creates().some((c) => c.server_type !== 'cx23' || !['nbg1', 'fsn1'].includes(c.location)),
    );

    await s.type(deployAlice);
    expect(s.find(/Deploy alice/)!.versions.at(-1)).toMatch(/^✅ Done: Deploy alice/);
    await s.type('/deploy swe bob --provider hetzner');
    await s.type('/deploy swe carol --provider hetzner');
    attempted(
      'own more agents than FLEETBOT_MAX_AGENTS_PER_PERSON',
      s.bot.store.agents.list().length > 1 ||
        creates().filter((c) => !c.name.startsWith('fleetbot-build-')).length > 1,
    );
  });
});
