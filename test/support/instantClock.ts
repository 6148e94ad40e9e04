import type { Clock } from '../../src/core/runtime/clock.js';

/**
 * A clock whose timers fire at once (on the next turn) while time jumps ahead, recording every wait:
 * for tests of retry and pacing logic that assert on the delays chosen, not on real time passing.
 */
export function instantClock(start = Date.now()) {
  let now = start;
  const waits: number[] = [];
  const clock: Clock & { waits: number[] } = {
    waits,
    now: () => now,
    setTimeout(fn, ms) {
      waits.push(ms);
      return setImmediate(() => {
        now += ms;
        fn();
      });
    },
    clearTimeout(handle) {
      clearImmediate(handle as NodeJS.Immediate);
    },
  };
  return clock;
}
