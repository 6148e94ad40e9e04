import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeHetzner, type FakeHetzner } from './index.js';
import {
  apiFor,
  createServer,
  waitForAction,
  type ActionJson,
  type Api,
  type ErrorJson,
  type PaginationJson,
  type ServerJson,
} from './test-support.js';

let fake: FakeHetzner;
let api: Api;

// Long enough that a state can be observed before it moves on, even on a loaded machine.
beforeEach(async () => {
  fake = await startFakeHetzner({ bootDelayMs: 200, actionDelayMs: 150 });
  api = apiFor(fake);
});

afterEach(async () => {
  await fake.close();
});

describe('POST /servers', () => {
  it('answers 201 with the IPv4 already assigned while the server is initializing', async () => {
    const created = await createServer(api, {
      labels: { 'managed-by': 'fleetbot' },
      user_data: '#cloud-config\n',
    });

    expect(created.server.status).toBe('initializing');
    expect(created.server.public_net.ipv4?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(created.action).toMatchObject({ command: 'create_server', status: 'running', progress: 0 });
    expect(created.next_actions.map((a) => a.command)).toEqual(['start_server']);
    expect(created.root_password).toEqual(expect.any(String));
    expect(fake.servers()).toEqual([
      expect.objectContaining({
        name: 'agent-1',
        status: 'initializing',
        ipv4: created.server.public_net.ipv4?.ip,
        serverType: 'cx23',
        image: 'ubuntu-24.04',
        location: 'nbg1',
        userData: '#cloud-config\n',
        labels: { 'managed-by': 'fleetbot' },
      }),
    ]);
    fake.assertNoViolations();
  });

  it('reaches running after the boot delay', async () => {
    const { server } = await createServer(api);

    await vi.waitFor(
      async () => {
        const { body } = await api<{ server: ServerJson }>('GET', `/servers/${server.id}`);
        expect(body.server.status).toBe('running');
        expect(body.server.locked).toBe(false);
      },
      { timeout: 2000, interval: 10 },
    );
    const { body } = await api<{ action: ActionJson }>('GET', `/servers/${server.id}/actions/1`);
    expect(body.action).toMatchObject({ command: 'create_server', status: 'success', progress: 100 });
    fake.assertNoViolations();
  });

  it('goes through starting when a starting delay is configured', async () => {
    await fake.close();
    fake = await startFakeHetzner({ bootDelayMs: 10, startingDelayMs: 5_000 });
    api = apiFor(fake);
    await createServer(api);

    await vi.waitFor(() => expect(fake.servers()[0]?.status).toBe('starting'), {
      timeout: 2000,
      interval: 5,
    });
  });

  it('ends off, with no next actions, when start_after_create is false', async () => {
    const created = await createServer(api, { start_after_create: false });

    expect(created.next_actions).toEqual([]);
    await vi.waitFor(() => expect(fake.servers()[0]?.status).toBe('off'), { timeout: 2000, interval: 10 });
  });

  it('returns root_password null when SSH keys are given, and remembers the keys', async () => {
    const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHv1example fleetbot@test';
    const key = await api<{ ssh_key: { id: number } }>('POST', '/ssh_keys', {
      name: 'fleetbot',
      public_key: publicKey,
    });
    expect(key.status).toBe(201);

    const created = await createServer(api, { ssh_keys: ['fleetbot'] });

    expect(created.root_password).toBeNull();
    expect(fake.servers()[0]?.sshKeys).toEqual([publicKey]);
    fake.assertNoViolations();
  });

  it('refuses a duplicate name with uniqueness_error', async () => {
    await createServer(api);
    const again = await api<ErrorJson>('POST', '/servers', {
      name: 'agent-1',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
    });

    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      code: 'uniqueness_error',
      message: 'server name is already used',
      details: { fields: [{ name: 'name' }] },
    });
  });

  it('refuses unknown types and types not sold in the location with invalid_input', async () => {
    const unknown = await api<ErrorJson>('POST', '/servers', {
      name: 'a',
      server_type: 'cx99',
      image: 'ubuntu-24.04',
    });
    const wrongPlace = await api<ErrorJson>('POST', '/servers', {
      name: 'a',
      server_type: 'cax11',
      image: 'ubuntu-24.04',
      location: 'ash',
    });

    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('invalid_input');
    expect(unknown.body.error.details).toEqual({
      fields: [{ name: 'server_type', messages: ['server type not found'] }],
    });
    expect(wrongPlace.body.error.message).toBe("invalid input in field 'location'");
    // A well-formed request for something that does not exist is not a contract violation.
    fake.assertNoViolations();
  });

  it('takes the status per error code from errorStatuses where the docs are unsure', async () => {
    await fake.close();
    fake = await startFakeHetzner({ errorStatuses: { invalid_input: 400 } });
    api = apiFor(fake);

    const response = await api<ErrorJson>('POST', '/servers', {
      name: 'a',
      server_type: 'cx99',
      image: 'ubuntu-24.04',
    });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_input');
  });

  it('records a violation and answers invalid_input when a required field is missing', async () => {
    const response = await api<ErrorJson>('POST', '/servers', { name: 'agent-1', image: 'ubuntu-24.04' });

    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual({
      fields: [{ name: 'server_type', messages: ['$.server_type is required'] }],
    });
    expect(fake.violations).toEqual([
      { method: 'POST', path: '/servers', problem: 'request body: $.server_type is required' },
    ]);
    expect(() => fake.assertNoViolations()).toThrow(/server_type is required/);
    expect(fake.servers()).toEqual([]);
  });

  it('records unknown fields, deprecated fields and bad label keys', async () => {
    const ignored = await api('POST', '/servers', {
      name: 'agent-1',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      datacenter: 'nbg1-dc3',
      sshKeys: ['oops'],
    });
    const badLabel = await api<ErrorJson>('POST', '/servers', {
      name: 'agent-2',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      labels: { 'bad key': 'x' },
    });

    expect(ignored.status).toBe(201);
    expect(badLabel.status).toBe(422);
    expect(fake.violations.map((v) => v.problem)).toEqual([
      'request body $.sshKeys is not in the schema (the API ignores it)',
      "request body field 'datacenter' is deprecated",
      "request body: label key 'bad key' is not a valid key",
    ]);
  });

  it('answers 401 without a token or with a wrong one, and 404 for unknown routes even without one', async () => {
    const missing = await api<ErrorJson>('GET', '/servers', undefined, null);
    const wrong = await api<ErrorJson>('GET', '/servers', undefined, 'nope');
    const route = await api<ErrorJson>('GET', '/volcanoes', undefined, null);

    expect(missing.status).toBe(401);
    expect(missing.body.error).toEqual({ code: 'unauthorized', message: 'token is required', details: null });
    expect(wrong.body.error.message).toBe('the token you have provided is invalid');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('not_found');
  });

  it('answers json_error for a body that is not JSON', async () => {
    const { request } = await import('undici');
    const response = await request(`${fake.endpoint}/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: '{"name":',
    });

    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toMatchObject({ error: { code: 'json_error' } });
    expect(fake.violations.map((v) => v.problem)).toEqual(['request body is not valid JSON']);
  });
});

describe('GET /servers', () => {
  beforeEach(async () => {
    await createServer(api, {
      name: 'web-1',
      labels: { 'managed-by': 'fleetbot', env: 'prod', role: 'web' },
    });
    await createServer(api, {
      name: 'web-2',
      labels: { 'managed-by': 'fleetbot', env: 'staging', role: 'web' },
    });
    await createServer(api, { name: 'db-1', labels: { 'managed-by': 'fleetbot', env: 'prod' } });
    await createServer(api, { name: 'other', labels: { team: 'x' } });
  });

  const names = async (query: string): Promise<string[]> => {
    const { status, body } = await api<{ servers: ServerJson[] }>('GET', `/servers?${query}`);
    expect(status).toBe(200);
    return body.servers.map((s) => s.name);
  };

  it('filters by label selector', async () => {
    const selector = (s: string): Promise<string[]> => names(`label_selector=${encodeURIComponent(s)}`);

    expect(await selector('managed-by=fleetbot')).toEqual(['web-1', 'web-2', 'db-1']);
    expect(await selector('managed-by==fleetbot,env=prod')).toEqual(['web-1', 'db-1']);
    expect(await selector('env!=prod')).toEqual(['web-2', 'other']);
    expect(await selector('role')).toEqual(['web-1', 'web-2']);
    expect(await selector('!role')).toEqual(['db-1', 'other']);
    expect(await selector('env in (staging,prod),role')).toEqual(['web-1', 'web-2']);
    expect(await selector('env notin (prod)')).toEqual(['web-2', 'other']);
    fake.assertNoViolations();
  });

  it('refuses a malformed selector', async () => {
    const response = await api<ErrorJson>(
      'GET',
      `/servers?label_selector=${encodeURIComponent('env in prod')}`,
    );

    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('invalid_input');
    expect(fake.violations).toHaveLength(1);
  });

  it('filters by exact name and by status', async () => {
    expect(await names('name=web-2')).toEqual(['web-2']);
    expect(await names('name=web')).toEqual([]);
    fake.setServerStatus(fake.servers()[0]?.id ?? 0, 'off');
    expect(await names('status=off')).toEqual(['web-1']);
  });

  it('paginates with meta.pagination and a Link header', async () => {
    const first = await api<{ servers: ServerJson[]; meta: { pagination: PaginationJson } }>(
      'GET',
      '/servers?per_page=3',
    );
    const second = await api<{ servers: ServerJson[]; meta: { pagination: PaginationJson } }>(
      'GET',
      '/servers?per_page=3&page=2',
    );

    expect(first.body.servers.map((s) => s.name)).toEqual(['web-1', 'web-2', 'db-1']);
    expect(first.body.meta.pagination).toEqual({
      page: 1,
      per_page: 3,
      previous_page: null,
      next_page: 2,
      last_page: 2,
      total_entries: 4,
    });
    expect(first.headers.link).toBe(
      '</v1/servers?per_page=3&page=2>; rel="next", </v1/servers?per_page=3&page=2>; rel="last"',
    );
    expect(second.body.servers.map((s) => s.name)).toEqual(['other']);
    expect(second.body.meta.pagination).toMatchObject({ page: 2, previous_page: 1, next_page: null });
    fake.assertNoViolations();
  });

  it('caps per_page at the configured maximum and sorts on request', async () => {
    await fake.close();
    fake = await startFakeHetzner({ perPageMax: 2 });
    api = apiFor(fake);
    for (const name of ['b', 'c', 'a']) await createServer(api, { name });

    const { body } = await api<{ servers: ServerJson[]; meta: { pagination: PaginationJson } }>(
      'GET',
      '/servers?per_page=50&sort=name:desc',
    );

    expect(body.meta.pagination).toMatchObject({ per_page: 2, last_page: 2, total_entries: 3 });
    expect(body.servers.map((s) => s.name)).toEqual(['c', 'b']);
  });

  it('records unknown query parameters', async () => {
    await names('labelSelector=env%3Dprod');

    expect(fake.violations.map((v) => v.problem)).toEqual([
      "unknown query parameter 'labelSelector' (the API ignores it)",
    ]);
  });
});

describe('DELETE /servers/{id}', () => {
  it('returns a running delete_server action; the server disappears when it finishes', async () => {
    const { server } = await createServer(api);

    const response = await api<{ action: ActionJson }>('DELETE', `/servers/${server.id}`);

    expect(response.status).toBe(200);
    expect(response.body.action).toMatchObject({
      command: 'delete_server',
      status: 'running',
      resources: [{ id: server.id, type: 'server' }],
    });
    expect(fake.servers().map((s) => s.status)).toEqual(['deleting']);
    expect(await waitForAction(api, response.body.action.id)).toMatchObject({
      status: 'success',
      progress: 100,
    });
    expect(fake.servers()).toEqual([]);
    const gone = await api<ErrorJson>('GET', `/servers/${server.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toEqual({
      code: 'not_found',
      message: `server with ID '${server.id}' not found`,
      details: null,
    });
    fake.assertNoViolations();
  });
});

describe('test controls', () => {
  it('setServerStatus pins a status over pending transitions', async () => {
    const { server } = await createServer(api);

    fake.setServerStatus(server.id, 'off');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(fake.servers()[0]?.status).toBe('off');
  });

  it('awaits onServerCreated before answering', async () => {
    const seen: string[] = [];
    fake.onServerCreated = async (server) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen.push(`${server.name}@${server.ipv4}`);
    };

    const created = await createServer(api);

    expect(seen).toEqual([`agent-1@${created.server.public_net.ipv4?.ip}`]);
  });

  it('logs every request with its status', async () => {
    await createServer(api);
    await api('GET', '/servers?name=agent-1');

    expect(fake.requests.map(({ method, path, query, status }) => ({ method, path, query, status }))).toEqual(
      [
        { method: 'POST', path: '/servers', query: {}, status: 201 },
        { method: 'GET', path: '/servers', query: { name: 'agent-1' }, status: 200 },
      ],
    );
    expect(fake.requests[0]?.body).toMatchObject({ name: 'agent-1' });
  });
});
