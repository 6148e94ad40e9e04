import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { Clock } from '../../core/runtime/clock.js';
import { NetworkError, header, sendJson, type JsonReply } from '../http/json.js';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../http/retry.js';
import { CloudflareError, DnsNameTaken, cloudflareError, envelopeSchema } from './errors.js';

export const dnsRecordSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  content: z.string(),
  ttl: z.number(),
  proxied: z.boolean().optional(),
  comment: z.string().nullable().optional(),
  created_on: z.string().optional(),
});
export type DnsRecord = z.output<typeof dnsRecordSchema>;

export type CloudflareClientOptions = {
  token: string;
  zoneId: string;
  apiBase: string;
  clock: Clock;
  timeoutMs?: number;
  retry?: RetryPolicy;
};

type Call = {
  method: Dispatcher.HttpMethod;
  path: string;
  body?: unknown;
  what: string;
  signal?: AbortSignal;
};

/** Cloudflare DNS for agents' A records: upsert, delete, and a check that the token works. */
export function createCloudflareClient(opts: CloudflareClientOptions) {
  const base = opts.apiBase.replace(/\/+$/, '');
  const zone = `/zones/${encodeURIComponent(opts.zoneId)}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const policy = opts.retry ?? defaultRetryPolicy;

  const once = async (call: Call): Promise<unknown> => {
    const reply: JsonReply = await sendJson(`${base}${call.path}`, {
      method: call.method,
      headers: { authorization: `Bearer ${opts.token}` },
      body: call.body,
      timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    const envelope = envelopeSchema.safeParse(reply.body);
    if (reply.status >= 400 || !envelope.success || !envelope.data.success) {
      const after = Number(header(reply, 'retry-after'));
      throw cloudflareError(reply, call.what, Number.isFinite(after) ? after * 1000 : 0);
    }
    return envelope.data.result;
  };

  /** 429, 5xx and network errors are worth another try; the wait is at least what Retry-After asked. */
  const retryAfter = (err: unknown): number | undefined => {
    if (err instanceof NetworkError) return 0;
    if (err instanceof CloudflareError && (err.status === 429 || err.status >= 500)) return err.retryAfterMs;
    return undefined;
  };

  /** Every call here is safe to repeat (creates are preceded by a lookup). */
  const send = (call: Call): Promise<unknown> =>
    withRetries(() => once(call), {
      policy,
      clock: opts.clock,
      ...(call.signal ? { signal: call.signal } : {}),
      retryAfter,
    });

  const findA = async (name: string, signal?: AbortSignal): Promise<DnsRecord | undefined> => {
    const query = new URLSearchParams({ type: 'A', name: name.toLowerCase() });
    const result = await send({
      method: 'GET',
      path: `${zone}/dns_records?${query.toString()}`,
      what: `looking up ${name}`,
      ...(signal ? { signal } : {}),
    });
    return z.array(dnsRecordSchema).parse(result)[0];
  };

  return {
    findA,

    /** Every A record whose comment starts with `prefix` (how fleetbot marks the records it made), all pages. */
    async listA(commentPrefix: string, signal?: AbortSignal): Promise<DnsRecord[]> {
      const perPage = 500;
      const records: DnsRecord[] = [];
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({
          type: 'A',
          'comment.startswith': commentPrefix,
          per_page: String(perPage),
          page: String(page),
        });
        const result = await send({
          method: 'GET',
          path: `${zone}/dns_records?${query.toString()}`,
          what: 'listing DNS records',
          ...(signal ? { signal } : {}),
        });
        const batch = z.array(dnsRecordSchema).parse(result);
        records.push(...batch);
        if (batch.length < perPage) return records;
      }
    },

    /**
     * Points `name` at `ip`: an A record of that name is updated when `mayReplace` says it is the
     * caller's; any record of that name (of any type) that is not stops it with DnsNameTaken, so
     * fleetbot never takes over a name someone else uses. Never proxied: Cloudflare's proxy would answer
     * the ACME HTTP-01 challenge instead of the agent's Caddy.
     */
    async upsertA(
      name: string,
      ip: string,
      opt: { ttl: number; comment: string; mayReplace: (r: DnsRecord) => boolean; signal?: AbortSignal },
    ): Promise<DnsRecord> {
      const body = {
        type: 'A',
        name: name.toLowerCase(),
        content: ip,
        ttl: opt.ttl,
        proxied: false,
        comment: opt.comment,
      };
      const signal = opt.signal ? { signal: opt.signal } : {};
      /** The caller's A record of this name, after checking nothing else uses the name. */
      const ownA = async (): Promise<DnsRecord | undefined> => {
        const query = new URLSearchParams({ name: name.toLowerCase() });
        const result = await send({
          method: 'GET',
          path: `${zone}/dns_records?${query.toString()}`,
          what: `looking up ${name}`,
          ...signal,
        });
        const records = z.array(dnsRecordSchema).parse(result);
        const foreign = records.find((r) => r.type !== 'A' || !opt.mayReplace(r));
        if (foreign) throw new DnsNameTaken(foreign);
        return records[0];
      };
      const existing = await ownA();
      const result = existing
        ? await send({
            method: 'PUT',
            path: `${zone}/dns_records/${existing.id}`,
            body,
            what: `updating ${name}`,
            ...signal,
          })
        : await withRetries(
            async (attempt) => {
              // A create whose answer was lost may have landed; look before sending it again.
              const landed = attempt > 0 ? await ownA() : undefined;
              return (
                landed ??
                once({
                  method: 'POST',
                  path: `${zone}/dns_records`,
                  body,
                  what: `creating ${name}`,
                  ...signal,
                })
              );
            },
            { policy, clock: opts.clock, ...signal, retryAfter },
          );
      return dnsRecordSchema.parse(result);
    },

    /** One record by id; undefined when it is gone. */
    async getRecord(id: string, signal?: AbortSignal): Promise<DnsRecord | undefined> {
      try {
        const result = await send({
          method: 'GET',
          path: `${zone}/dns_records/${encodeURIComponent(id)}`,
          what: `reading DNS record ${id}`,
          ...(signal ? { signal } : {}),
        });
        return dnsRecordSchema.parse(result);
      } catch (err) {
        if (err instanceof CloudflareError && (err.status === 404 || err.codes.includes(81044)))
          return undefined;
        throw err;
      }
    },

    /** Deletes a record; 'gone' when it was already deleted. */
    async deleteRecord(id: string, signal?: AbortSignal): Promise<'deleted' | 'gone'> {
      try {
        await send({
          method: 'DELETE',
          path: `${zone}/dns_records/${encodeURIComponent(id)}`,
          what: `deleting DNS record ${id}`,
          ...(signal ? { signal } : {}),
        });
        return 'deleted';
      } catch (err) {
        if (err instanceof CloudflareError && (err.status === 404 || err.codes.includes(81044)))
          return 'gone';
        throw err;
      }
    },

    /**
     * Checks the token before a deploy relies on it. Account-owned tokens fail the user endpoint even
     * when valid, so a refusal there is confirmed by reading the zone itself.
     */
    async verify(): Promise<void> {
      try {
        await send({ method: 'GET', path: '/user/tokens/verify', what: 'verifying the token' });
      } catch (err) {
        if (!(err instanceof CloudflareError && err.codes.includes(1000))) throw err;
        await send({ method: 'GET', path: zone, what: 'reading the zone' }).catch((zoneErr: unknown) => {
          throw zoneErr instanceof CloudflareError && zoneErr.status === 403 ? err : zoneErr;
        });
      }
    },
  };
}
export type CloudflareClient = ReturnType<typeof createCloudflareClient>;
