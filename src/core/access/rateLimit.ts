import type { Clock } from '../runtime/clock.js';

const windowMs = 60_000;

/**
 * A sliding one-minute window per key (a person). Over the limit, only the first refused call is told
 * so; the rest are dropped quietly, so a flood never turns into a flood of replies. Keys idle for a
 * minute are forgotten and at most `maxKeys` are kept: a key that finds the table full is refused
 * quietly, so a flood of distinct senders cannot grow it.
 */
export function createRateLimiter(opts: { clock: Clock; perMinute: number; maxKeys: number }) {
  // Ordered by each key's latest hit, so the idle ones are at the front.
  const windows = new Map<string, { hits: number[]; told: boolean }>();
  const forgetIdle = (now: number): void => {
    for (const [key, w] of windows) {
      if (now - w.hits.at(-1)! < windowMs) return;
      windows.delete(key);
    }
  };
  return {
    take(key: string): { ok: true } | { ok: false; retryInMs: number; tell: boolean } {
      const now = opts.clock.now();
      forgetIdle(now);
      const w = windows.get(key);
      if (!w) {
        if (windows.size >= opts.maxKeys) return { ok: false, retryInMs: windowMs, tell: false };
        windows.set(key, { hits: [now], told: false });
        return { ok: true };
      }
      w.hits = w.hits.filter((t) => now - t < windowMs);
      if (w.hits.length < opts.perMinute) {
        w.hits.push(now);
        w.told = false;
        windows.delete(key);
        windows.set(key, w);
        return { ok: true };
      }
      const tell = !w.told;
      w.told = true;
      return { ok: false, retryInMs: w.hits[0]! + windowMs - now, tell };
    },
    get size(): number {
      return windows.size;
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
