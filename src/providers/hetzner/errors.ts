import { UserError } from '../../core/runtime/errors.js';
import type { JsonReply } from '../http/json.js';
import { errorEnvelopeSchema } from './schemas.js';

const newToken =
  'Create a Read & Write API token in the Hetzner Cloud Console (your project → Security → API tokens), put it in HCLOUD_TOKEN and restart fleetbot.';

/** A Hetzner Cloud error, worded for the person reading the card: what went wrong and what to do. */
export class HetznerError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Codes after which the same call may simply be sent again (nothing happened on Hetzner's side). */
export const retryableCodes = new Set([
  'rate_limit_exceeded',
  'conflict',
  'locked',
  'timeout',
  'unavailable',
]);

/** Maps the `{"error":{code,message,details}}` envelope (or its absence) to an actionable error. */
export function hetznerError(reply: JsonReply, what: string): HetznerError {
  const parsed = errorEnvelopeSchema.safeParse(reply.body);
  if (!parsed.success) {
    return new HetznerError(
      `Hetzner answered ${what} with HTTP ${reply.status} and no error details. Check https://status.hetzner.com and try again.`,
      reply.status,
      reply.status >= 500 ? 'server_error' : 'unknown',
    );
  }
  const { code, message, details } = parsed.data.error;
  const fields = (details?.fields ?? [])
    .map((f) => `${f.name}${f.messages?.length ? `: ${f.messages.join(', ')}` : ''}`)
    .join('; ');
  const text = ((): string => {
    switch (code) {
      case 'unauthorized':
        return `Hetzner refused the token in HCLOUD_TOKEN (${message}). ${newToken}`;
      case 'token_readonly':
        return `The token in HCLOUD_TOKEN is read-only, so Hetzner refused ${what}. ${newToken}`;
      case 'forbidden':
        return `The token in HCLOUD_TOKEN may not do ${what} (${message}). ${newToken}`;
      case 'resource_limit_exceeded':
        return `Your Hetzner project hit a limit during ${what} (${message}). Destroy unused agents, or ask Hetzner to raise the limit (Console → Limits).`;
      case 'rate_limit_exceeded':
        return `Hetzner's hourly API budget is used up (${what}). Wait a few minutes and try again.`;
      case 'uniqueness_error':
        return `Hetzner says something with this ${fields || 'name'} already exists (${what}). Remove the leftover in the Hetzner Console, or pick another name.`;
      case 'invalid_input':
        return `Hetzner rejected ${what}: ${fields || message}. Check the role's providers.hetzner settings and the --type/--location you gave.`;
      case 'resource_unavailable':
        return `Hetzner has no capacity for ${what} right now (${message}). Try another --location or --type.`;
      case 'placement_error':
        return `Hetzner could not place the server (${message}). Try another --location.`;
      case 'locked':
        return `Another action is still running on this Hetzner resource (${what}). Wait a minute and try again.`;
      case 'protected':
        return `The resource is protected against ${what} in Hetzner. Remove the protection in the Hetzner Console first.`;
      case 'maintenance':
        return `Hetzner is in maintenance (${message}). Try again later; see https://status.hetzner.com.`;
      case 'not_found':
        return `Hetzner does not know this resource (${message}) during ${what}. It may have been deleted by hand.`;
      default:
        return `Hetzner answered ${what} with ${code}: ${message}${fields ? ` (${fields})` : ''}. Try again; if it keeps failing see https://status.hetzner.com.`;
    }
  })();
  return new HetznerError(text, reply.status, code);
}
