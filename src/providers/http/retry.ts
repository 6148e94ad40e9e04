import { sleep, type Clock } from '../../core/runtime/clock.js';

export type RetryPolicy = {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };

/**
 * Exponential backoff with jitter, so many clients that failed together do not retry together. A delay
 * the server asked for (Retry-After) is a floor.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, askedMs = 0, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.max(askedMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * Runs `attempt` until it succeeds, `retryAfter` says an error is final (undefined), or attempts run out.
 * `retryAfter` returns how long the server asked to wait (0 when it did not say).
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  opts: {
    policy: RetryPolicy;
    clock: Clock;
    signal?: AbortSignal;
    retryAfter: (err: unknown) => number | undefined;
    random?: () => number;
  },
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const asked = opts.retryAfter(err);
      if (asked === undefined || n + 1 >= opts.policy.attempts) throw err;
      await sleep(opts.clock, backoffMs(opts.policy, n, asked, opts.random), opts.signal);
    }
  }
}
