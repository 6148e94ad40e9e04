import type { JsonReply } from '../http/json.js';
import { header } from '../http/json.js';

/**
 * Follows Hetzner's RateLimit-* headers (a bucket refilled over the hour) and says how long to pause
 * before the next call so a busy fleetbot slows down instead of hitting 429 in the middle of a deploy.
 */
export function rateBudget(opts: { maxPauseMs: number }) {
  let limit: number | undefined;
  let remaining: number | undefined;
  let resetAt = 0;
  return {
    observe(reply: JsonReply): void {
      const l = Number(header(reply, 'ratelimit-limit'));
      const r = Number(header(reply, 'ratelimit-remaining'));
      const reset = Number(header(reply, 'ratelimit-reset'));
      if (Number.isFinite(l) && l > 0) limit = l;
      if (Number.isFinite(r)) remaining = r;
      if (Number.isFinite(reset)) resetAt = reset * 1000;
    },
    /** Milliseconds to wait before the next call: zero while the budget is comfortably above its reserve. */
    pauseMs(now: number): number {
      if (limit === undefined || remaining === undefined) return 0;
      const reserve = Math.max(5, Math.ceil(limit * 0.02));
      if (remaining > reserve) return 0;
      const missing = limit - remaining;
      const msPerRequest = missing > 0 && resetAt > now ? (resetAt - now) / missing : 1000;
      return Math.min(opts.maxPauseMs, Math.ceil((reserve - remaining + 1) * msPerRequest));
    },
    /** The pause was taken; until the next answer, assume the bucket refilled as expected. */
    spent(): void {
      if (remaining !== undefined && limit !== undefined)
        remaining = Math.max(remaining, Math.ceil(limit * 0.02) + 1);
    },
  };
}
