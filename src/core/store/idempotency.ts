import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

/** How long a program may retry a request with the same Idempotency-Key and get the first answer. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

export type RememberedRequest = { requestHash: string; response: string; createdAt: number };

/** Requests programs marked with an Idempotency-Key, by principal and key, with what they answered. */
export function idempotencyRepo(db: Db, clock: Clock) {
  const forget = () =>
    db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?').run(clock.now() - idempotencyWindowMs);
  return {
    /** The request made with this key within the window, if any. */
    find(principal: string, key: string): RememberedRequest | undefined {
      forget();
      const row = db
        .prepare<[string, string], { request_hash: string; response: string; created_at: number }>(
          'SELECT request_hash, response, created_at FROM idempotency_keys WHERE principal = ? AND key = ?',
        )
        .get(principal, key);
      return row && { requestHash: row.request_hash, response: row.response, createdAt: row.created_at };
    },
    remember(principal: string, key: string, requestHash: string, response: string): void {
      db.prepare(
        'INSERT OR REPLACE INTO idempotency_keys (principal, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)',
      ).run(principal, key, requestHash, response, clock.now());
    },
  };
}
