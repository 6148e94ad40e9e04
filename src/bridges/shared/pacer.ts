import { sleep, type Clock } from '../../core/runtime/clock.js';

export type PaceRule = { minIntervalMs: number; perMinute?: number };

/**
 * Spaces calls per key (a chat) so a platform's per-chat limits are never hit: one call at a time per
 * key, at least minIntervalMs apart, at most perMinute in any sliding minute. Keys never wait on each
 * other, so a busy chat does not slow the rest.
 */
export function createPacer(opts: { clock: Clock; rule: (key: string) => PaceRule }) {
  const { clock } = opts;
  const lanes = new Map<
    string,
    { tail: Promise<unknown>; recent: number[]; notBefore: number; queued: number }
  >();

  const laneFor = (key: string) => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), recent: [], notBefore: 0, queued: 0 };
      lanes.set(key, lane);
    }
    return lane;
  };

  const waitFor = (key: string): number => {
    const lane = laneFor(key);
    const rule = opts.rule(key);
    const now = clock.now();
    while (lane.recent.length > 0 && now - lane.recent[0]! >= 60_000) lane.recent.shift();
    let at = Math.max(lane.notBefore, (lane.recent.at(-1) ?? -Infinity) + rule.minIntervalMs);
    if (rule.perMinute !== undefined && lane.recent.length >= rule.perMinute) {
      at = Math.max(at, lane.recent[lane.recent.length - rule.perMinute]! + 60_000);
    }
    return Math.max(0, at - now);
  };

  return {
    schedule<T>(key: string, task: () => Promise<T>): Promise<T> {
      const lane = laneFor(key);
      lane.queued++;
      const run = lane.tail.then(async () => {
        const wait = waitFor(key);
        if (wait > 0) await sleep(clock, wait);
        lane.recent.push(clock.now());
        try {
          return await task();
        } finally {
          lane.queued--;
        }
      });
      lane.tail = run.catch(() => undefined);
      return run;
    },
    /** The platform asked us to wait (a 429): nothing more goes to this key until then. */
    pause(key: string, ms: number): void {
      const lane = laneFor(key);
      lane.notBefore = Math.max(lane.notBefore, clock.now() + ms);
    },
    /** Calls waiting or running for this key. */
    depth: (key: string): number => lanes.get(key)?.queued ?? 0,
  };
}
export type Pacer = ReturnType<typeof createPacer>;
