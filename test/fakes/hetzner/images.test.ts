import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeHetzner, type FakeHetzner } from './index.js';
import {
  apiFor,
  createServer,
  waitForAction,
  type ActionJson,
  type Api,
  type ErrorJson,
  type ImageJson,
  type ServerJson,
} from './test-support.js';

let fake: FakeHetzner;
let api: Api;

beforeEach(async () => {
  fake = await startFakeHetzner({ bootDelayMs: 10, actionDelayMs: 150 });
  api = apiFor(fake);
});

afterEach(async () => {
  await fake.close();
});

/** A server that has finished booting, so no create action holds its lock. */
async function runningServer(name = 'image-build'): Promise<ServerJson> {
  const { server, next_actions } = await createServer(api, { name, labels: { 'managed-by': 'fleetbot' } });
  await waitForAction(api, next_actions[0]?.id ?? 0);
  return server;
}

describe('server power actions', () => {
  it('poweroff answers 201 with stop_server and the server is off once it succeeds', async () => {
    const server = await runningServer();

    const response = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/poweroff`);

    expect(response.status).toBe(201);
    expect(response.body.action).toMatchObject({ command: 'stop_server', status: 'running' });
    const done = await waitForAction(api, response.body.action.id);
    expect(done.finished).toEqual(expect.any(String));
    expect(fake.servers()[0]?.status).toBe('off');
    fake.assertNoViolations();
  });

  it('poweron brings an off server back to running', async () => {
    const server = await runningServer();
    fake.setServerStatus(server.id, 'off');

    const { body } = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/poweron`);

    expect(body.action.command).toBe('start_server');
    await waitForAction(api, body.action.id);
    expect(fake.servers()[0]?.status).toBe('running');
  });

  it('shutdown reports the signal; the server turns off a little later', async () => {
    const server = await runningServer();

    const { body } = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/shutdown`);
    await waitForAction(api, body.action.id);

    expect(body.action.command).toBe('shutdown_server');
    await vi.waitFor(() => expect(fake.servers()[0]?.status).toBe('off'), { timeout: 2000, interval: 5 });
  });

  it('reboot runs reboot_server and leaves the server running', async () => {
    const server = await runningServer();

    const { body } = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/reboot`);
    await waitForAction(api, body.action.id);

    expect(body.action.command).toBe('reboot_server');
    expect(fake.servers()[0]?.status).toBe('running');
  });

  it('answers 423 locked while another action runs on the server', async () => {
    await fake.close();
    fake = await startFakeHetzner({ bootDelayMs: 5_000 });
    api = apiFor(fake);
    const { server } = await createServer(api);

    const response = await api<ErrorJson>('POST', `/servers/${server.id}/actions/poweroff`);

    expect(response.status).toBe(423);
    expect(response.body.error.code).toBe('locked');
    const { body } = await api<{ server: ServerJson }>('GET', `/servers/${server.id}`);
    expect(body.server.locked).toBe(true);
  });

  it('answers 404 for an unknown server', async () => {
    const response = await api<ErrorJson>('POST', '/servers/999/actions/poweroff');

    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe("server with ID '999' not found");
  });
});

describe('create_image and images', () => {
  it('creates a labelled snapshot that becomes available when its action succeeds', async () => {
    const server = await runningServer();
    const off = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/poweroff`);
    await waitForAction(api, off.body.action.id);

    const response = await api<{ image: ImageJson; action: ActionJson }>(
      'POST',
      `/servers/${server.id}/actions/create_image`,
      {
        type: 'snapshot',
        description: 'fleetbot-base-1.0.1',
        labels: { 'managed-by': 'fleetbot', version: '1.0.1' },
      },
    );

    expect(response.status).toBe(201);
    expect(response.body.image).toMatchObject({
      type: 'snapshot',
      status: 'creating',
      name: null,
      description: 'fleetbot-base-1.0.1',
      created_from: { id: server.id, name: 'image-build' },
    });
    expect(response.body.action).toMatchObject({ command: 'create_image', status: 'running' });

    // Poll through the server-scoped endpoint, as hcloud's WatchProgress does; progress rises meanwhile.
    const progress: number[] = [];
    let action = response.body.action;
    while (action.status === 'running') {
      const polled = await api<{ action: ActionJson }>('GET', `/servers/${server.id}/actions/${action.id}`);
      action = polled.body.action;
      progress.push(action.progress);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(action.status).toBe('success');
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const image = await api<{ image: ImageJson }>('GET', `/images/${response.body.image.id}`);
    expect(image.body.image).toMatchObject({ status: 'available', labels: { version: '1.0.1' } });
    expect(fake.images().filter((i) => i.type === 'snapshot')).toEqual([
      expect.objectContaining({ status: 'available', description: 'fleetbot-base-1.0.1', diskSize: 40 }),
    ]);
    fake.assertNoViolations();
  });

  it('lists snapshots by type and label selector, newest first on request', async () => {
    const server = await runningServer();
    for (const version of ['1.0.0', '1.0.1']) {
      const { body } = await api<{ action: ActionJson }>(
        'POST',
        `/servers/${server.id}/actions/create_image`,
        {
          labels: { 'managed-by': 'fleetbot', version },
        },
      );
      await waitForAction(api, body.action.id);
    }
    await api('POST', `/servers/${server.id}/actions/create_image`, { labels: { other: 'yes' } });

    const { body } = await api<{ images: ImageJson[] }>(
      'GET',
      '/images?type=snapshot&label_selector=managed-by%3Dfleetbot&sort=id:desc',
    );
    const system = await api<{ images: ImageJson[] }>('GET', '/images?type=system&architecture=arm');

    expect(body.images.map((i) => i.labels.version)).toEqual(['1.0.1', '1.0.0']);
    expect(system.body.images.map((i) => i.name)).toEqual(['ubuntu-24.04', 'ubuntu-22.04', 'debian-12']);
    fake.assertNoViolations();
  });

  it('boots a server from a snapshot by ID', async () => {
    const server = await runningServer();
    const { body } = await api<{ image: ImageJson; action: ActionJson }>(
      'POST',
      `/servers/${server.id}/actions/create_image`,
      {},
    );

    const tooEarly = await api<ErrorJson>('POST', '/servers', {
      name: 'clone',
      server_type: 'cx33',
      image: String(body.image.id),
    });
    await waitForAction(api, body.action.id);
    const clone = await createServer(api, {
      name: 'clone',
      server_type: 'cx33',
      image: String(body.image.id),
    });

    expect(tooEarly.status).toBe(422);
    expect(clone.server.image.id).toBe(body.image.id);
    expect(fake.servers().find((s) => s.name === 'clone')?.image).toBe(String(body.image.id));
  });

  it('deletes a snapshot with 204 and refuses system images', async () => {
    const server = await runningServer();
    const { body } = await api<{ image: ImageJson }>(
      'POST',
      `/servers/${server.id}/actions/create_image`,
      {},
    );

    const deleted = await api('DELETE', `/images/${body.image.id}`);
    const again = await api<ErrorJson>('GET', `/images/${body.image.id}`);
    const system = await api<ErrorJson>('DELETE', '/images/1');

    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect(again.status).toBe(404);
    expect(system.status).toBe(403);
    fake.assertNoViolations();
  });

  it('GET /actions needs ids', async () => {
    const server = await runningServer();
    const { body } = await api<{ action: ActionJson }>('POST', `/servers/${server.id}/actions/reboot`);

    const listed = await api<{ actions: ActionJson[] }>('GET', `/actions?id=${body.action.id}&id=424242`);
    const all = await api<ErrorJson>('GET', '/actions');

    expect(listed.body.actions.map((a) => a.id)).toEqual([body.action.id]);
    expect(all.status).toBe(422);
    expect(fake.violations.map((v) => v.problem)).toEqual([
      'GET /actions without id= (listing all actions was removed in January 2025)',
    ]);
  });
});
