import type { Clock } from '../clock.js';
import type { Platform } from '../types.js';
import type { Db } from './db.js';

export type AuditEntry = {
  id: number;
  at: number;
  platform: Platform;
  userId: string;
  chatId: string;
  action: string;
  outcome: string;
  detail: string | null;
};

type Row = Omit<AuditEntry, 'userId' | 'chatId'> & { user_id: string; chat_id: string };

/** Append-only: the table's triggers refuse updates and deletes, and this module offers neither. */
export function auditRepo(db: Db, clock: Clock) {
  const insert = db.prepare(
    'INSERT INTO audit (at, platform, user_id, chat_id, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    append(e: {
      platform: Platform;
      userId: string;
      chatId: string;
      action: string;
      outcome: string;
      detail?: string;
    }): void {
      insert.run(clock.now(), e.platform, e.userId, e.chatId, e.action, e.outcome, e.detail ?? null);
    },
    recent(limit: number): AuditEntry[] {
      return db
        .prepare<[number], Row>('SELECT * FROM audit ORDER BY id DESC LIMIT ?')
        .all(limit)
        .map((r) => ({
          id: r.id,
          at: r.at,
          platform: r.platform,
          userId: r.user_id,
          chatId: r.chat_id,
          action: r.action,
          outcome: r.outcome,
          detail: r.detail,
        }));
    },
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;
