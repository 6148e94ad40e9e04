import { z } from 'zod';

/** What a failed Web API call means for the caller. */
export type ApiFailure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'message-gone'; error: string }
  | { kind: 'not-in-channel'; error: string }
  | { kind: 'auth'; error: string }
  | { kind: 'platform'; error: string }
  | { kind: 'network'; description: string };

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

export function classify(err: unknown): ApiFailure {
  const parsed = failure.safeParse(err);
  const description = err instanceof Error ? err.message : String(err);
  if (!parsed.success) return { kind: 'network', description };
  const e = parsed.data;
  if (e.code === 'slack_webapi_rate_limited_error')
    return { kind: 'rate-limited', retryAfterMs: e.retryAfter * 1000 };
  if (e.code === 'slack_webapi_platform_error') {
    const error = e.data.error;
    if (gone.has(error)) return { kind: 'message-gone', error };
    if (outside.has(error)) return { kind: 'not-in-channel', error };
    if (auth.has(error)) return { kind: 'auth', error };
    return { kind: 'platform', error };
  }
  return { kind: 'network', description };
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
