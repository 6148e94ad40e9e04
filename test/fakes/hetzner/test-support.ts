import type { Dispatcher } from 'undici';
import { callJson, type JsonResponse } from '../http/test-client.js';
import type { FakeHetzner } from './fake-hetzner.js';

// Just the response fields the tests read; the fake's response checker covers the rest.

export interface ActionJson {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  finished: string | null;
  resources: Array<{ id: number; type: string }>;
}

export interface ServerJson {
  id: number;
  name: string;
  status: string;
  locked: boolean;
  labels: Record<string, string>;
  public_net: { ipv4: { ip: string } | null; ipv6: { ip: string } | null };
  server_type: { name: string };
  location: { name: string };
  image: { id: number; name: string | null };
}

export interface ImageJson {
  id: number;
  type: string;
  status: string;
  name: string | null;
  description: string;
  labels: Record<string, string>;
  created_from: { id: number; name: string } | null;
}

export interface CreateServerJson {
  server: ServerJson;
  action: ActionJson;
  next_actions: ActionJson[];
  root_password: string | null;
}

export interface ErrorJson {
  error: { code: string; message: string; details: unknown };
}

export interface PaginationJson {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

export type Api = <T = unknown>(
  method: Dispatcher.HttpMethod,
  path: string,
  body?: unknown,
  token?: string | null,
) => Promise<JsonResponse<T>>;

/** Calls the fake the way the bot will: undici, Bearer token, JSON. */
export function apiFor(fake: FakeHetzner): Api {
  return (method, path, body, token = fake.token) =>
    callJson(`${fake.endpoint}${path}`, { method, token, body });
}

export async function createServer(
  api: Api,
  overrides: Record<string, unknown> = {},
): Promise<CreateServerJson> {
  const response = await api<CreateServerJson>('POST', '/servers', {
    name: 'agent-1',
    server_type: 'cx23',
    image: 'ubuntu-24.04',
    location: 'nbg1',
    ...overrides,
  });
  if (response.status !== 201) {
    throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** Polls an action until it leaves `running`, as hcloud clients do. */
export async function waitForAction(api: Api, id: number, timeoutMs = 5_000): Promise<ActionJson> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await api<{ action: ActionJson }>('GET', `/actions/${id}`);
    if (body.action.status !== 'running') return body.action;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`action ${id} still running after ${timeoutMs} ms`);
}
