import type { Clock } from '../runtime/clock.js';
import type { Platform } from '../chat/types.js';
import type { Db } from './db.js';

/** `source`: where the chat's allowlist entry came from (`config`, `chat`); null for a chat never allowed. */
export type ChatRecord = {
  platform: Platform;
  chatId: string;
  allowed: boolean;
  unreachable: boolean;
  source: string | null;
};

type Row = {
  platform: Platform;
  chat_id: string;
  allowed: number;
  unreachable: number;
  source: string | null;
};

export function chatsRepo(db: Db, clock: Clock) {
  return {
    get(platform: Platform, chatId: string): ChatRecord | undefined {
      const row = db
        .prepare<[string, string], Row>('SELECT * FROM chats WHERE platform = ? AND chat_id = ?')
        .get(platform, chatId);
      return (
        row && {
          platform: row.platform,
          chatId: row.chat_id,
          allowed: row.allowed === 1,
          unreachable: row.unreachable === 1,
          source: row.source,
        }
      );
    },
    setReachable(platform: Platform, chatId: string, reachable: boolean): void {
      db.prepare(
        `INSERT INTO chats (platform, chat_id, unreachable, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (platform, chat_id) DO UPDATE SET unreachable = excluded.unreachable, updated_at = excluded.updated_at`,
      ).run(platform, chatId, reachable ? 0 : 1, clock.now());
    },
    /**
     * A chat got a new id (a Telegram group became a supergroup): its allowlist entry and every stored
     * reference move with it, in one transaction.
     */
    migrate(platform: Platform, fromId: string, toId: string): void {
      db.transaction(() => {
        const old = db
          .prepare<[string, string], Row>('SELECT * FROM chats WHERE platform = ? AND chat_id = ?')
          .get(platform, fromId);
        if (old) {
          db.prepare(
            `INSERT INTO chats (platform, chat_id, allowed, source, unreachable, updated_at) VALUES (?, ?, ?, ?, 0, ?)
             ON CONFLICT (platform, chat_id) DO UPDATE SET allowed = MAX(allowed, excluded.allowed), updated_at = excluded.updated_at`,
          ).run(platform, toId, old.allowed, old.source, clock.now());
          db.prepare(
            'UPDATE chats SET allowed = 0, unreachable = 1, updated_at = ? WHERE platform = ? AND chat_id = ?',
          ).run(clock.now(), platform, fromId);
        }
        db.prepare('UPDATE jobs SET chat_id = ? WHERE chat_platform = ? AND chat_id = ?').run(
          toId,
          platform,
          fromId,
        );
        db.prepare(
          'UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_platform = ? AND chat_id = ?',
        ).run(toId, platform, fromId);
        db.prepare('UPDATE prompts SET chat_id = ? WHERE chat_platform = ? AND chat_id = ?').run(
          toId,
          platform,
          fromId,
        );
        db.prepare('UPDATE prompt_messages SET chat_id = ? WHERE chat_platform = ? AND chat_id = ?').run(
          toId,
          platform,
          fromId,
        );
      })();
    },
    disallow(platform: Platform, chatId: string): boolean {
      return (
        db
          .prepare(
            'UPDATE chats SET allowed = 0, updated_at = ? WHERE platform = ? AND chat_id = ? AND allowed = 1',
          )
          .run(clock.now(), platform, chatId).changes === 1
      );
    },
    allowed(): ChatRecord[] {
      return db
        .prepare<[], Row>('SELECT * FROM chats WHERE allowed = 1 ORDER BY platform, chat_id')
        .all()
        .map((r) => ({
          platform: r.platform,
          chatId: r.chat_id,
          allowed: true,
          unreachable: r.unreachable === 1,
          source: r.source,
        }));
    },
    /** Chats allowed from the config but no longer listed there lose access (as config admins do). */
    pruneConfig(keep: { platform: Platform; chatId: string }[]): void {
      const keys = new Set(keep.map((k) => `${k.platform}:${k.chatId}`));
      for (const row of db
        .prepare<[], Row>("SELECT * FROM chats WHERE source = 'config' AND allowed = 1")
        .all()) {
        if (!keys.has(`${row.platform}:${row.chat_id}`)) this.disallow(row.platform, row.chat_id);
      }
    },
    allow(platform: Platform, chatId: string, source: string): void {
      db.prepare(
        `INSERT INTO chats (platform, chat_id, allowed, source, updated_at) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (platform, chat_id) DO UPDATE SET allowed = 1, source = excluded.source, updated_at = excluded.updated_at`,
      ).run(platform, chatId, source, clock.now());
    },
  };
}
export type ChatsRepo = ReturnType<typeof chatsRepo>;
