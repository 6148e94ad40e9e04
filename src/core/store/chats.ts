import type { Clock } from '../clock.js';
import type { Platform } from '../types.js';
import type { Db } from './db.js';

export type ChatRecord = { platform: Platform; chatId: string; allowed: boolean; unreachable: boolean };

type Row = { platform: Platform; chat_id: string; allowed: number; unreachable: number };

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
        }
      );
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
