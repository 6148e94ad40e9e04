import { CfError } from './envelope.js';

/**
 * The Client API limit: `limit` requests per `windowSec` window. Going over blocks every call for a whole
 * window with 429 and Retry-After. The `Ratelimit`/`Ratelimit-Policy` headers follow the 2025-09 format.
 */
export class WindowLimiter {
  #windowStart: number;
  #count = 0;
  #blockedUntil = 0;

  constructor(
    readonly limit: number,
    readonly windowSec: number,
    now: number,
  ) {
    this.#windowStart = now;
  }

  /** Counts one request; throws the 429 when the limit is exceeded or a block is in force. */
  take(now: number): void {
    this.#roll(now);
    if (now < this.#blockedUntil || this.#count >= this.limit) {
      if (now >= this.#blockedUntil) this.#blockedUntil = now + this.windowSec * 1000;
      const retryAfter = Math.ceil((this.#blockedUntil - now) / 1000);
      throw new CfError(
        429,
        [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
        {
          'Retry-After': String(retryAfter),
        },
      );
    }
    this.#count += 1;
  }

  headers(now: number): Record<string, string> {
    this.#roll(now);
    const remaining = now < this.#blockedUntil ? 0 : this.limit - this.#count;
    const resetsAt = Math.max(this.#blockedUntil, this.#windowStart + this.windowSec * 1000);
    return {
      Ratelimit: `"default";r=${remaining};t=${Math.ceil((resetsAt - now) / 1000)}`,
      'Ratelimit-Policy': `"burst";q=${this.limit};w=${this.windowSec}`,
    };
  }

  #roll(now: number): void {
    if (now - this.#windowStart < this.windowSec * 1000) return;
    this.#windowStart = now;
    this.#count = 0;
  }
}
