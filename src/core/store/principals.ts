import type { Clock } from '../runtime/clock.js';
import type { Platform } from '../chat/types.js';
import type { Db } from './db.js';
import type { Level } from '../access/levels.js';

export type PrincipalSource = 'config' | 'chat' | 'pairing';

export type Principal = {
  platform: Platform;
  userId: string;
  level: Level;
  source: PrincipalSource;
  grantedBy: string | null;
  grantedAt: number;
};

type Row = {
  platform: Platform;
  user_id: string;
  level: Level;
  source: PrincipalSource;
  granted_by: string | null;
  granted_at: number;
};

const toPrincipal = (r: Row): Principal => ({
  platform: r.platform,
  userId: r.user_id,
  level: r.level,
  source: r.source,
  grantedBy: r.granted_by,
  grantedAt: r.granted_at,
});

export function principalsRepo(db: Db, clock: Clock) {
  return {
    get(platform: Platform, userId: string): Principal | undefined {
      const row = db
        .prepare<[string, string], Row>('SELECT * FROM principals WHERE platform = ? AND user_id = ?')
        .get(platform, userId);
      return row && toPrincipal(row);
    },
    upsert(p: {
      platform: Platform;
      userId: string;
      level: Level;
      source: PrincipalSource;
      grantedBy?: string;
    }): void {
      db.prepare(
        `INSERT INTO principals (platform, user_id, level, source, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (platform, user_id) DO UPDATE SET level = excluded.level, source = excluded.source,
           granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
      ).run(p.platform, p.userId, p.level, p.source, p.grantedBy ?? null, clock.now());
    },
    /** Config-sourced principals no longer in the config lose their access. */
    pruneConfig(keep: { platform: Platform; userId: string }[]): void {
      const keys = new Set(keep.map((k) => `${k.platform}:${k.userId}`));
      for (const row of db.prepare<[], Row>("SELECT * FROM principals WHERE source = 'config'").all()) {
        if (!keys.has(`${row.platform}:${row.user_id}`)) {
          db.prepare('DELETE FROM principals WHERE platform = ? AND user_id = ?').run(
            row.platform,
            row.user_id,
          );
        }
      }
    },
    remove(platform: Platform, userId: string): boolean {
      return (
        db.prepare('DELETE FROM principals WHERE platform = ? AND user_id = ?').run(platform, userId)
          .changes === 1
      );
    },
    admins(): Principal[] {
      return db
        .prepare<[], Row>("SELECT * FROM principals WHERE level = 'admin' ORDER BY granted_at")
        .all()
        .map(toPrincipal);
    },
    list(): Principal[] {
      return db
        .prepare<[], Row>('SELECT * FROM principals ORDER BY platform, user_id')
        .all()
        .map(toPrincipal);
    },
  };
}
export type PrincipalsRepo = ReturnType<typeof principalsRepo>;
