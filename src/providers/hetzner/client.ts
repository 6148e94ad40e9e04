import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { sleep, type Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logging.js';
import { NetworkError, sendJson, type JsonReply } from '../http/json.js';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../http/retry.js';
import { rateBudget } from './budget.js';
import { HetznerError, hetznerError, retryableCodes } from './errors.js';
import {
  actionSchema,
  firewallSchema,
  imageSchema,
  locationSchema,
  paginationSchema,
  serverSchema,
  serverTypeSchema,
  sshKeySchema,
  type Action,
  type Image,
  type Server,
} from './schemas.js';

export type HetznerClientOptions = {
  token: string;
  endpoint: string;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Longest single pause taken to stay inside the hourly budget. */
  maxBudgetPauseMs?: number;
  /** How often a running action is polled. */
  pollMs?: number;
  /** Told about every call (method and path template) and the rate budget left, for metrics. */
  observe?: (call: { method: string; outcome: 'ok' | 'error' | 'rate_limited'; remaining?: number }) => void;
};

export type CreateServerRequest = {
  name: string;
  serverType: string;
  image: string;
  location: string;
  labels: Record<string, string>;
  userData: string;
  sshKeys?: string[];
  firewalls?: number[];
};

type Call = {
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** What the call does, in words for an error message ("creating server alice"). */
  what: string;
  /** Whether sending the call twice is harmless; only then are 5xx and network errors retried. */
  idempotent: boolean;
  signal?: AbortSignal;
};

/** Retry hint for an error: undefined means "do not retry", a number is how long the server asked to wait. */
function retryHint(err: unknown, idempotent: boolean): number | undefined {
  if (err instanceof NetworkError) return idempotent ? 0 : undefined;
  if (!(err instanceof HetznerError)) return undefined;
  if (retryableCodes.has(err.code)) return 0;
  if (err.status >= 500 && idempotent) return 0;
  return undefined;
}

/** The Hetzner Cloud calls fleetbot needs, on undici, each response checked with zod. */
export function createHetznerClient(opts: HetznerClientOptions) {
  const { clock } = opts;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const policy = opts.retry ?? defaultRetryPolicy;
  const pollMs = opts.pollMs ?? 1_000;
  const budget = rateBudget({ maxPauseMs: opts.maxBudgetPauseMs ?? 60_000 });
  const base = opts.endpoint.replace(/\/+$/, '');

  const once = async (call: Call): Promise<JsonReply> => {
    const pause = budget.pauseMs(clock.now());
    if (pause > 0) {
      opts.log.warn({ pauseMs: pause }, 'Hetzner API budget is low; slowing down');
      await sleep(clock, pause, call.signal);
      budget.spent();
    }
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const reply = await sendJson(`${base}${call.path}${query}`, {
      method: call.method,
      headers: { authorization: `Bearer ${opts.token}` },
      body: call.body,
      timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    budget.observe(reply);
    const remaining = Number(reply.headers['ratelimit-remaining']);
    opts.observe?.({
      method: call.method,
      outcome: reply.status === 429 ? 'rate_limited' : reply.status >= 400 ? 'error' : 'ok',
      ...(Number.isFinite(remaining) ? { remaining } : {}),
    });
    if (reply.status >= 400) throw hetznerError(reply, call.what);
    return reply;
  };

  const send = (call: Call): Promise<JsonReply> =>
    withRetries(() => once(call), {
      policy,
      clock,
      ...(call.signal ? { signal: call.signal } : {}),
      retryAfter: (err) => {
        const hint = retryHint(err, call.idempotent);
        if (hint !== undefined)
          opts.log.debug({ what: call.what, err: String(err) }, 'retrying Hetzner call');
        return hint;
      },
    });

  const parse = <S extends z.ZodType>(schema: S, reply: JsonReply, what: string): z.output<S> => {
    const result = schema.safeParse(reply.body);
    if (!result.success) {
      throw new HetznerError(
        `Hetzner answered ${what} with a response fleetbot does not understand (${result.error.issues[0]?.message ?? 'invalid'}). Check HCLOUD_ENDPOINT (${base}).`,
        reply.status,
        'bad_response',
      );
    }
    return result.data;
  };

  /** Every page of a list, following meta.pagination.next_page. */
  const listAll = async <S extends z.ZodType>(
    path: string,
    key: string,
    item: S,
    query: Record<string, string>,
    what: string,
    signal?: AbortSignal,
  ): Promise<z.output<S>[]> => {
    const page = z.object({ [key]: z.array(item) }).and(paginationSchema);
    const items: z.output<S>[] = [];
    for (let n: number | null = 1; n !== null;) {
      const reply = await send({
        method: 'GET',
        path,
        query: { ...query, page: String(n), per_page: '50' },
        what,
        idempotent: true,
        ...(signal ? { signal } : {}),
      });
      const parsed = parse(page, reply, what) as Record<string, z.output<S>[]> &
        z.output<typeof paginationSchema>;
      items.push(...(parsed[key] ?? []));
      n = parsed.meta?.pagination.next_page ?? null;
    }
    return items;
  };

  const getOrUndefined = async <T>(fetch: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fetch();
    } catch (err) {
      if (err instanceof HetznerError && err.code === 'not_found') return undefined;
      throw err;
    }
  };

  const client = {
    async listServers(labelSelector: string, signal?: AbortSignal): Promise<Server[]> {
      return listAll(
        '/servers',
        'servers',
        serverSchema,
        { label_selector: labelSelector },
        'listing servers',
        signal,
      );
    },

    /** The server of this name among those that carry all of these labels, if there is one. */
    async findServer(
      name: string,
      labels: Record<string, string>,
      signal?: AbortSignal,
    ): Promise<Server | undefined> {
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return (await client.listServers(selector, signal)).find((s) => s.name === name);
    },

    async getServer(id: number, signal?: AbortSignal): Promise<Server | undefined> {
      return getOrUndefined(async () => {
        const reply = await send({
          method: 'GET',
          path: `/servers/${id}`,
          what: `reading server ${id}`,
          idempotent: true,
          ...(signal ? { signal } : {}),
        });
        return parse(z.object({ server: serverSchema }), reply, `reading server ${id}`).server;
      });
    },

    /**
     * Creates a server. A create is never blindly repeated: after a lost answer or a server error it
     * looks the server up by its labels first, and only creates again if it is not there.
     */
    async createServer(req: CreateServerRequest, signal?: AbortSignal): Promise<Server> {
      const what = `creating server ${req.name}`;
      return withRetries(
        async (attempt) => {
          if (attempt > 0) {
            const existing = await client.findServer(req.name, req.labels, signal);
            if (existing) return existing;
          }
          const reply = await once({
            method: 'POST',
            path: '/servers',
            body: {
              name: req.name,
              server_type: req.serverType,
              image: req.image,
              location: req.location,
              labels: req.labels,
              user_data: req.userData,
              start_after_create: true,
              ...(req.sshKeys?.length ? { ssh_keys: req.sshKeys } : {}),
              ...(req.firewalls?.length
                ? { firewalls: req.firewalls.map((firewall) => ({ firewall })) }
                : {}),
            },
            what,
            idempotent: false,
            ...(signal ? { signal } : {}),
          });
          return parse(z.object({ server: serverSchema }), reply, what).server;
        },
        {
          policy,
          clock,
          ...(signal ? { signal } : {}),
          // A lost answer or a 5xx may have created it; the lookup at the top of the next attempt decides.
          retryAfter: (err) => retryHint(err, true),
        },
      );
    },

    /** Deletes a server; undefined when it was already gone. */
    async deleteServer(id: number, signal?: AbortSignal): Promise<Action | undefined> {
      return getOrUndefined(async () => {
        const what = `deleting server ${id}`;
        const reply = await send({
          method: 'DELETE',
          path: `/servers/${id}`,
          what,
          idempotent: true,
          ...(signal ? { signal } : {}),
        });
        return parse(z.object({ action: actionSchema }), reply, what).action;
      });
    },

    async poweroff(id: number, signal?: AbortSignal): Promise<Action> {
      const what = `powering off server ${id}`;
      const reply = await send({
        method: 'POST',
        path: `/servers/${id}/actions/poweroff`,
        what,
        idempotent: true,
        ...(signal ? { signal } : {}),
      });
      return parse(z.object({ action: actionSchema }), reply, what).action;
    },

    async createImage(
      id: number,
      req: { description: string; labels: Record<string, string> },
      signal?: AbortSignal,
    ): Promise<{ image: Image; action: Action }> {
      const what = `creating a snapshot of server ${id}`;
      const reply = await send({
        method: 'POST',
        path: `/servers/${id}/actions/create_image`,
        body: { type: 'snapshot', description: req.description, labels: req.labels },
        what,
        idempotent: false,
        ...(signal ? { signal } : {}),
      });
      return parse(z.object({ image: imageSchema, action: actionSchema }), reply, what);
    },

    async deleteImage(id: number, signal?: AbortSignal): Promise<void> {
      await getOrUndefined(() =>
        send({
          method: 'DELETE',
          path: `/images/${id}`,
          what: `deleting image ${id}`,
          idempotent: true,
          ...(signal ? { signal } : {}),
        }),
      );
    },

    async listImages(
      query: { labelSelector: string; type?: string },
      signal?: AbortSignal,
    ): Promise<Image[]> {
      return listAll(
        '/images',
        'images',
        imageSchema,
        { label_selector: query.labelSelector, ...(query.type ? { type: query.type } : {}) },
        'listing images',
        signal,
      );
    },

    serverTypes: () => listAll('/server_types', 'server_types', serverTypeSchema, {}, 'listing server types'),
    locations: () => listAll('/locations', 'locations', locationSchema, {}, 'listing locations'),
    sshKeys: (name?: string) =>
      listAll('/ssh_keys', 'ssh_keys', sshKeySchema, name ? { name } : {}, 'listing SSH keys'),
    firewalls: (name?: string) =>
      listAll('/firewalls', 'firewalls', firewallSchema, name ? { name } : {}, 'listing firewalls'),

    /** Polls an action until it finishes; a failed action becomes an error naming its command. */
    async waitAction(action: Action, signal?: AbortSignal): Promise<Action> {
      let current = action;
      while (current.status === 'running') {
        await sleep(clock, pollMs, signal);
        const what = `waiting for ${current.command}`;
        const reply = await send({
          method: 'GET',
          path: `/actions/${current.id}`,
          what,
          idempotent: true,
          ...(signal ? { signal } : {}),
        });
        current = parse(z.object({ action: actionSchema }), reply, what).action;
      }
      if (current.status === 'error') {
        throw new HetznerError(
          `Hetzner's ${current.command} failed: ${current.error?.message ?? 'no reason given'}. Try again; if it keeps failing see https://status.hetzner.com.`,
          200,
          current.error?.code ?? 'action_failed',
        );
      }
      return current;
    },
  };
  return client;
}
export type HetznerClient = ReturnType<typeof createHetznerClient>;
