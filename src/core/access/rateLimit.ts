import type { Clock } from '../runtime/clock.js';

/**
 * A sliding one-minute window per key (a person). Over the limit, only the first refused call is told
 * so; the rest are dropped quietly, so a flood never turns into a flood of replies.
 */
export function createRateLimiter(opts: { clock: Clock; perMinute: number }) {
  const windows = new Map<string, { hits: number[]; told: boolean }>();
  return {
    take(key: string): { ok: true } | { ok: false; retryInMs: number; tell: boolean } {
      const now = opts.clock.now();
      const w = windows.get(key) ?? { hits: [], told: false };
      windows.set(key, w);
      w.hits = w.hits.filter((t) => now - t < 60_000);
      if (w.hits.length < opts.perMinute) {
        w.hits.push(now);
        w.told = false;
        return { ok: true };
      }
      const tell = !w.told;
      w.told = true;
      return { ok: false, retryInMs: w.hits[0]! + 60_000 - now, tell };
    },
  };
}
