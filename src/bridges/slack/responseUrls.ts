import type { Clock } from '../../core/runtime/clock.js';

/** Slack honours a response_url for 30 minutes; fleetbot stops a little before. */
export const responseUrlTtlMs = 25 * 60_000;
/** Far more channels than one team types slash commands in within half an hour. */
export const responseUrlsKept = 1_000;

/**
 * The newest slash command's response_url per channel, on the injected clock: kept for at most its
 * lifetime and for at most `maxChannels` channels, so slash commands from ever more channels cannot
 * grow it. Entries are kept oldest first; when full, the oldest goes, since the newest is the one a
 * person is waiting on.
 */
export function createResponseUrls(opts: { clock: Clock; ttlMs?: number; maxChannels?: number }) {
  const ttlMs = opts.ttlMs ?? responseUrlTtlMs;
  const maxChannels = opts.maxChannels ?? responseUrlsKept;
  const urls = new Map<string, { url: string; at: number }>();
  const forgetExpired = (now: number): void => {
    for (const [channel, entry] of urls) {
      if (now - entry.at < ttlMs) return;
      urls.delete(channel);
    }
  };
  return {
    remember(channel: string, url: string): void {
      const now = opts.clock.now();
      forgetExpired(now);
      urls.delete(channel);
      urls.set(channel, { url, at: now });
      if (urls.size > maxChannels) urls.delete(urls.keys().next().value!);
    },
    /** The channel's response_url if it is still good; each is used once. */
    take(channel: string): string | undefined {
      forgetExpired(opts.clock.now());
      const entry = urls.get(channel);
      urls.delete(channel);
      return entry?.url;
    },
    get size(): number {
      return urls.size;
    },
  };
}
export type ResponseUrls = ReturnType<typeof createResponseUrls>;
