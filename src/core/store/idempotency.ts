import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

/** How long a program may retry a request with the same Idempotency-Key and get the first answer. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

/** `response` is null while the first request with the key is still running. */
export type RememberedRequest = { requestHash: string; response: string | null; createdAt: number };

/** Requests programs marked with an Idempotency-Key, by principal and key, with what they answered. */
export function idempotencyRepo(db: Db, clock: Clock) {
  const forget = () =>
    db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?').run(clock.now() - idempotencyWindowMs);
  return {
    /** The request made with this key within the window, if any. */
    find(principal: string, key: string): RememberedRequest | undefined {
      forget();
      const row = db
        .prepare<[string, string], { request_hash: string; response: string | null; created_at: number }>(
          'SELECT request_hash, response, created_at FROM idempotency_keys WHERE principal = ? AND key = ?',
        )
        .get(principal, key);
      return row && { requestHash: row.request_hash, response: row.response, createdAt: row.created_at };
    },
    /** Claims the key for a request about to run; false when another request holds it already. */
    reserve(principal: string, key: string, requestHash: string): boolean {
      forget();
      return (
        db
          .prepare(
            'INSERT OR IGNORE INTO idempotency_keys (principal, key, request_hash, response, created_at) VALUES (?, ?, ?, NULL, ?)',
          )
          .run(principal, key, requestHash, clock.now()).changes === 1
      );
    },
    /** What the request answered, for its repetitions. */
    answered(principal: string, key: string, response: string): void {
      db.prepare('UPDATE idempotency_keys SET response = ? WHERE principal = ? AND key = ?').run(
        response,
        principal,
        key,
      );
    },
    /**
     * At start: no request of an earlier process is running any more, so keys it held unanswered (it
     * was killed mid-request) are freed for the program's retry instead of answering 409 for a day.
     */
    releaseUnanswered(): void {
      db.prepare('DELETE FROM idempotency_keys WHERE response IS NULL').run();
    },
    /** Frees the key of a request that did not run (refused, failed), so it may be tried again. */
    release(principal: string, key: string): void {
      db.prepare('DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND response IS NULL').run(
        principal,
        key,
      );
    },
  };
}
