import { describe, expect, it } from 'vitest';
import { checkResponse } from './contract.js';
import { findOperation } from './openapi.js';
import { HetznerState } from './state.js';
import { renderServer } from './render.js';
import { buildRouter } from './routes/index.js';
import { startFakeHetzner } from './index.js';
import { apiFor, createServer, waitForAction, type ActionJson } from './test-support.js';

const deps = {
  state: new HetznerState({ bootDelayMs: 0, startingDelayMs: 0, actionDelayMs: 0 }),
  perPageMax: 50,
  serverCreated: () => Promise.resolve(),
};

describe('the fake against hcloud-openapi.json', () => {
  it('serves only operations the spec describes', () => {
    const missing = buildRouter(deps)
      .list()
      .filter(({ method, template }) => findOperation(method, template) === undefined);

    expect(missing).toEqual([]);
  });

  it('catches a response that strays from the schema', () => {
    const operation = findOperation('GET', '/servers/{id}');
    if (operation === undefined) throw new Error('spec lacks GET /servers/{id}');
    const { state } = deps;
    const { server } = state.createServer(
      { name: 'x', server_type: 'cx23', image: 'ubuntu-24.04' },
      Date.now(),
    );
    const good = renderServer(server, state.actions) as Record<string, unknown>;

    expect(checkResponse(operation, { status: 200, body: { server: good } })).toEqual([]);
    expect(
      checkResponse(operation, { status: 200, body: { server: { ...good, status: 'booting' } } }),
    ).toEqual([
      '$.server.status "booting" is not one of deleting, initializing, migrating, off, rebuilding, running, starting, stopping, unknown',
    ]);
    expect(checkResponse(operation, { status: 200, body: { server: { ...good, extra: 1 } } })).toEqual([
      '$.server.extra is not in the schema',
    ]);
    expect(checkResponse(operation, { status: 201, body: { server: good } })).toEqual([
      'status 201 is not documented',
    ]);
  });

  it('answers every kind of call with responses that satisfy the schema', async () => {
    const fake = await startFakeHetzner({ bootDelayMs: 5, actionDelayMs: 5 });
    const api = apiFor(fake);
    try {
      const key = await api<{ ssh_key: { id: number; fingerprint: string } }>('POST', '/ssh_keys', {
        name: 'deploy',
        public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy',
        labels: { 'managed-by': 'fleetbot' },
      });
      const firewall = await api<{ firewall: { id: number } }>('POST', '/firewalls', {
        name: 'fleetbot-default',
        rules: ['22', '80', '443'].map((port) => ({
          direction: 'in',
          protocol: 'tcp',
          port,
          source_ips: ['0.0.0.0/0', '::/0'],
        })),
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'managed-by=fleetbot' } }],
      });
      const created = await createServer(api, {
        ssh_keys: [String(key.body.ssh_key.id)],
        firewalls: [{ firewall: firewall.body.firewall.id }],
        labels: { 'managed-by': 'fleetbot' },
      });
      await waitForAction(api, created.action.id);
      const off = await api<{ action: ActionJson }>('POST', `/servers/${created.server.id}/actions/poweroff`);
      await waitForAction(api, off.body.action.id);
      const image = await api<{ action: ActionJson }>(
        'POST',
        `/servers/${created.server.id}/actions/create_image`,
        {
          labels: { 'managed-by': 'fleetbot' },
        },
      );
      await waitForAction(api, image.body.action.id);

      const reads = [
        '/servers',
        `/servers/${created.server.id}`,
        '/images?type=snapshot',
        '/images/1',
        '/server_types',
        '/server_types/101',
        '/locations',
        '/locations/1',
        '/ssh_keys',
        `/ssh_keys/${key.body.ssh_key.id}`,
        `/ssh_keys?fingerprint=${key.body.ssh_key.fingerprint}`,
        '/firewalls',
        `/firewalls/${firewall.body.firewall.id}`,
        `/actions?id=${off.body.action.id}`,
      ];
      for (const path of reads) expect((await api('GET', path)).status, path).toBe(200);
      await api('PUT', `/servers/${created.server.id}`, { labels: { 'managed-by': 'fleetbot', agent: 'a' } });
      await api('DELETE', `/servers/${created.server.id}`);

      const duplicateKey = await api('POST', '/ssh_keys', {
        name: 'other-name',
        public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl other',
      });
      expect(duplicateKey.status).toBe(409);
      expect(key.body.ssh_key.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });
});
