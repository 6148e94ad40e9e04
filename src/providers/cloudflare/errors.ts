import { z } from 'zod';
import { UserError } from '../../core/runtime/errors.js';
import type { JsonReply } from '../http/json.js';

type CfMessage = { code: number; message: string; error_chain?: CfMessage[] | undefined };
const messageSchema: z.ZodType<CfMessage> = z.lazy(() =>
  z.object({ code: z.number(), message: z.string(), error_chain: z.array(messageSchema).optional() }),
);
export const envelopeSchema = z.object({
  success: z.boolean(),
  errors: z.array(messageSchema),
  result: z.unknown(),
});

const newToken =
  'Create an API token with Zone → DNS → Edit for your zone at https://dash.cloudflare.com/profile/api-tokens, put it in CLOUDFLARE_API_TOKEN and restart fleetbot.';

export class CloudflareError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly codes: number[],
    /** How long Cloudflare asked to wait before another try (Retry-After), 0 when it did not say. */
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

const flatten = (messages: CfMessage[]): CfMessage[] =>
  messages.flatMap((m) => [m, ...flatten(m.error_chain ?? [])]);

/** Maps Cloudflare's error codes to what a person should do about them. */
export function cloudflareError(reply: JsonReply, what: string, retryAfterMs = 0): CloudflareError {
  const parsed = envelopeSchema.safeParse(reply.body);
  const all = parsed.success ? flatten(parsed.data.errors) : [];
  const codes = all.map((m) => m.code);
  const detail = all.map((m) => `${m.code} ${m.message}`).join('; ') || `HTTP ${reply.status}`;
  const has = (...wanted: number[]): boolean => codes.some((c) => wanted.includes(c));
  const text = ((): string => {
    if (has(1000, 1001))
      return `Cloudflare refused the token in CLOUDFLARE_API_TOKEN (${detail}). ${newToken}`;
    if (has(9106, 6111))
      return `CLOUDFLARE_API_TOKEN is empty or malformed (${detail}); it should be the bare token, without "Bearer". ${newToken}`;
    if (has(10000, 9109))
      return `The token in CLOUDFLARE_API_TOKEN may not edit DNS in zone CLOUDFLARE_ZONE_ID (${detail}). Give it Zone → DNS → Edit for that zone. ${newToken}`;
    if (has(7003))
      return `Cloudflare does not know the zone in CLOUDFLARE_ZONE_ID (${detail}). Copy the Zone ID from the zone's Overview page in the Cloudflare dashboard.`;
    if (has(81053, 81057, 81058))
      return `Cloudflare refused ${what}: another record already uses that name (${detail}). Remove it in the Cloudflare dashboard, or pick another agent name.`;
    if (has(1004))
      return `Cloudflare rejected ${what} (${detail}). Check FLEETBOT_DOMAIN and the server's address.`;
    if (reply.status === 429) return `Cloudflare rate-limited ${what}. Wait five minutes and try again.`;
    return `Cloudflare answered ${what} with ${detail}. Try again; if it keeps failing see https://www.cloudflarestatus.com.`;
  })();
  return new CloudflareError(text, reply.status, codes, retryAfterMs);
}

/** A DNS name already used by a record fleetbot may not replace (someone else's, or another fleetbot's). */
export class DnsNameTaken extends UserError {
  constructor(readonly record: { id: string; type: string; name: string; content: string }) {
    super(
      `The DNS name ${record.name} already has a ${record.type} record (→ ${record.content}) that this fleetbot did not make, so it left it alone. Pick another agent name, or remove that record in the Cloudflare dashboard yourself if it is no longer used.`,
    );
  }
}
