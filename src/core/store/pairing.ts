import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

export type PairingCode = { id: number; salt: string; hash: string; expiresAt: number };

/** Pairing codes are stored as salted hashes only; failures are kept to enforce the lockout. */
export function pairingRepo(db: Db, clock: Clock) {
  return {
    add(c: { salt: string; hash: string; expiresAt: number }): void {
      db.prepare('INSERT INTO pairing_codes (salt, hash, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
        c.salt,
        c.hash,
        clock.now(),
        c.expiresAt,
      );
    },
    /** Codes not yet used and not expired. */
    open(): PairingCode[] {
      return db
        .prepare<[number], { id: number; salt: string; hash: string; expires_at: number }>(
          'SELECT id, salt, hash, expires_at FROM pairing_codes WHERE used_at IS NULL AND expires_at > ?',
        )
        .all(clock.now())
        .map((r) => ({ id: r.id, salt: r.salt, hash: r.hash, expiresAt: r.expires_at }));
    },
    /** Marks a code used; false if it was used meanwhile. */
    use(id: number, by: string): boolean {
      return (
        db
          .prepare('UPDATE pairing_codes SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL')
          .run(clock.now(), by, id).changes === 1
      );
    },
    /** Records a wrong code; failures older than `forgetBefore` are forgotten, so the table stays small. */
    recordFailure(who: string, forgetBefore: number): void {
      db.prepare('DELETE FROM pairing_failures WHERE at <= ?').run(forgetBefore);
      db.prepare('INSERT INTO pairing_failures (at, who) VALUES (?, ?)').run(clock.now(), who);
    },
    /** Wrong codes since a moment: everyone's, or one person's when `who` is given. */
    failuresSince(since: number, who?: string): { count: number; last: number | null } {
      return who === undefined
        ? db
            .prepare<[number], { count: number; last: number | null }>(
              'SELECT COUNT(*) AS count, MAX(at) AS last FROM pairing_failures WHERE at > ?',
            )
            .get(since)!
        : db
            .prepare<[number, string], { count: number; last: number | null }>(
              'SELECT COUNT(*) AS count, MAX(at) AS last FROM pairing_failures WHERE at > ? AND who = ?',
            )
            .get(since, who)!;
    },
    clearFailures(): void {
      db.prepare('DELETE FROM pairing_failures').run();
    },
  };
}
export type PairingRepo = ReturnType<typeof pairingRepo>;
