/**
 * Hetzner's limiter as documented: a bucket of `limit` requests per project that refills gradually (one per
 * second by default) and allows bursts. RateLimit-Reset is the UNIX second at which the bucket is full again.
 */
export class RequestBudget {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly limit: number,
    readonly refillPerSecond: number,
    now: number,
  ) {
    if (!(refillPerSecond > 0)) throw new RangeError('refillPerSecond must be positive');
    this.#tokens = limit;
    this.#updatedAt = now;
  }

  /** Spends one request; false when the budget is exhausted. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  headers(now: number): Record<string, string> {
    this.#refill(now);
    const secondsToFull = (this.limit - this.#tokens) / this.refillPerSecond;
    return {
      'RateLimit-Limit': String(this.limit),
      'RateLimit-Remaining': String(Math.floor(this.#tokens)),
      'RateLimit-Reset': String(Math.ceil(now / 1000 + secondsToFull)),
    };
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt) / 1000;
    this.#tokens = Math.min(this.limit, this.#tokens + elapsed * this.refillPerSecond);
    this.#updatedAt = now;
  }
}
