import type { Clock } from '../runtime/clock.js';
import type { Platform } from '../chat/types.js';
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

type Values = [number, Platform, string, string, string, string, string | null];

/**
 * Append-only: the table's triggers refuse updates and deletes, and this module offers neither.
 *
 * Rows appended in one turn of the event loop (a getUpdates batch of commands) are written in one
 * transaction at the end of it: a commit per command was most of the bot's SQLite time under load
 * (B1 in BENCHMARKS.md). Inside a transaction a row is written at once (after any waiting ones, to
 * keep their order), so it stays part of that transaction.
 */
export function auditRepo(db: Db, clock: Clock) {
  const insert = db.prepare<Values>(
    'INSERT INTO audit (at, platform, user_id, chat_id, action, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  let pending: Values[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    db.transaction(() => rows.forEach((row) => insert.run(...row)))();
  };
  return {
    append(e: {
      platform: Platform;
      userId: string;
      chatId: string;
      action: string;
      outcome: string;
      detail?: string;
    }): void {
      const row: Values = [
        clock.now(),
        e.platform,
        e.userId,
        e.chatId,
        e.action,
        e.outcome,
        e.detail ?? null,
      ];
      if (db.inTransaction) {
        flush();
        insert.run(...row);
        return;
      }
      if (pending.length === 0) setImmediate(flush);
      pending.push(row);
    },
    /** Writes what is still waiting for the end of the turn (before reading, and on close). */
    flush,
    recent(limit: number): AuditEntry[] {
      flush();
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
