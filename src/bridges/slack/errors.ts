import { z } from 'zod';
import type { PlatformFailure } from '../shared/delivery.js';

// The WebClient's error shapes (@slack/web-api errors.d.ts), read by their stable `code`.
const failure = z.discriminatedUnion('code', [
  z.object({ code: z.literal('slack_webapi_rate_limited_error'), retryAfter: z.number() }),
  z.object({
    code: z.literal('slack_webapi_platform_error'),
    data: z.object({ error: z.string() }),
  }),
  z.object({ code: z.literal('slack_webapi_http_error'), statusCode: z.number() }),
  z.object({ code: z.literal('slack_webapi_request_error') }),
]);

const gone = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
const outside = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);
const auth = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'not_allowed_token_type',
]);

/** Which failure class a failed Web API call is, read from the error's `code` and Slack's `error`. */
export function classify(err: unknown): PlatformFailure {
  const parsed = failure.safeParse(err);
  const description = err instanceof Error ? err.message : String(err);
  if (!parsed.success) return { kind: 'network', reason: description };
  const e = parsed.data;
  if (e.code === 'slack_webapi_rate_limited_error')
    return { kind: 'rate-limited', retryAfterMs: e.retryAfter * 1000 };
  if (e.code === 'slack_webapi_platform_error') {
    const reason = e.data.error;
    if (gone.has(reason)) return { kind: 'message-gone', reason };
    if (outside.has(reason)) return { kind: 'unreachable', reason };
    if (auth.has(reason)) return { kind: 'bad-token', reason };
    return { kind: 'other', reason };
  }
  return { kind: 'network', reason: description };
}

/** What a person can do about a failure to post in a channel. */
export function channelHint(error: string, channel: string, botName = 'fleetbot'): string {
  if (error === 'is_archived')
    return `<#${channel}> is archived, so ${botName} cannot post there. Use another channel.`;
  // A DM between other people: the bot is never a member of those.
  if (channel.startsWith('D'))
    return `${botName} can answer only in its own DM (its Messages tab) and in channels it is a member of.`;
  return `${botName} is not in <#${channel}>, so it cannot post there. Invite @${botName} to <#${channel}> (\`/invite @${botName}\`), then run the command again.`;
}
