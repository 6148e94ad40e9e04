/**
 * An error whose message is written for the person in the chat: what went wrong and what to do next.
 * Anything else that escapes a command is logged and answered with a generic apology and a reference.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /**
   * What sort of mistake it is, for programs that get it as a status (the HTTP API's 404 or 409):
   * `refused` unless the thing asked about does not exist, is busy, or fleetbot cannot take it now.
   */
  constructor(
    message: string,
    readonly kind: UserErrorKind = 'refused',
  ) {
    super(message);
  }
}
export type UserErrorKind = 'refused' | 'not_found' | 'conflict' | 'unavailable';

/** A bridge throws this when the platform asked us to slow down; the caller retries after retryAfterMs. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number) {
    super(`rate limited, retry after ${retryAfterMs} ms`);
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
