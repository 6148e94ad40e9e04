import type { Clock } from '../runtime/clock.js';
import type { Db } from './db.js';

/** Small named positions that must survive restarts, such as the last Telegram update handled. */
export function cursorsRepo(db: Db, clock: Clock) {
  return {
    get(key: string): string | undefined {
      return db.prepare<[string], { value: string }>('SELECT value FROM cursors WHERE key = ?').get(key)
        ?.value;
    },
    set(key: string, value: string): void {
      db.prepare(
        `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ).run(key, value, clock.now());
    },
  };
}
