/**
 * An error whose message is written for the person in the chat: what went wrong and what to do next.
 * Anything else that escapes a command is logged and answered with a generic apology and a reference.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A bridge throws this when the platform asked us to slow down; the caller retries after retryAfterMs. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number) {
    super(`rate limited, retry after ${retryAfterMs} ms`);
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
