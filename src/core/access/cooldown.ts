import type { Clock } from '../runtime/clock.js';

/**
 * Admits each key once per window, on the injected clock, remembering at most `maxKeys` keys: what a
 * flood of distinct senders can make fleetbot keep (or write) is bounded. Keys are kept in the order
 * they were admitted, so expired ones are dropped from the front. When the table is full of live
 * keys, new ones are not admitted: under a flood fleetbot goes quiet rather than growing.
 */
export function createCooldown(opts: { clock: Clock; windowMs: number; maxKeys: number }) {
  const admitted = new Map<string, number>();
  const forgetExpired = (now: number): void => {
    for (const [key, at] of admitted) {
      if (now - at < opts.windowMs) return;
      admitted.delete(key);
    }
  };
  return {
    admit(key: string): boolean {
      const now = opts.clock.now();
      forgetExpired(now);
      if (admitted.has(key) || admitted.size >= opts.maxKeys) return false;
      admitted.set(key, now);
      return true;
    },
    get size(): number {
      return admitted.size;
    },
  };
}
export type Cooldown = ReturnType<typeof createCooldown>;
