import type { Clock } from '../runtime/clock.js';
import type { ChatRef, Platform } from '../chat/types.js';
import type { Db } from './db.js';

export const activeJobStatuses = ['queued', 'running'] as const;
/**
 * `paused`: stopped at a step boundary for a restart of fleetbot, taken up again when it is back.
 * `interrupted`: left unfinished by a restart before fleetbot took jobs up again (older stores only).
 */
export type JobStatus =
  | (typeof activeJobStatuses)[number]
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'cancelled'
  | 'interrupted';

export type Job = {
  id: number;
  kind: string;
  /** What the job is about, e.g. an agent's name or "image swe"; one active job per subject. */
  subject: string;
  agentId: number | null;
  /** What the job was asked to do beyond its kind and subject (e.g. a deploy's server type). */
  params: Record<string, unknown>;
  requester: string;
  chat: ChatRef;
  messageId: string | null;
  status: JobStatus;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
};

type Row = {
  id: number;
  kind: string;
  subject: string;
  agent_id: number | null;
  params: string;
  requester: string;
  chat_platform: Platform;
  chat_id: string;
  thread_id: string | null;
  message_id: string | null;
  status: JobStatus;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
};

const toJob = (r: Row): Job => ({
  id: r.id,
  kind: r.kind,
  subject: r.subject,
  agentId: r.agent_id,
  params: JSON.parse(r.params) as Record<string, unknown>,
  requester: r.requester,
  chat: { platform: r.chat_platform, chatId: r.chat_id, ...(r.thread_id ? { threadId: r.thread_id } : {}) },
  messageId: r.message_id,
  status: r.status,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const activeList = activeJobStatuses.map((s) => `'${s}'`).join(',');

export function jobsRepo(db: Db, clock: Clock) {
  const byIdStmt = db.prepare<[number], Row>('SELECT * FROM jobs WHERE id = ?');
  return {
    create(j: {
      kind: string;
      subject: string;
      agentId?: number;
      params?: Record<string, unknown>;
      requester: string;
      chat: ChatRef;
    }): Job {
      const info = db
        .prepare(
          `INSERT INTO jobs (kind, subject, agent_id, params, requester, chat_platform, chat_id, thread_id, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)`,
        )
        .run(
          j.kind,
          j.subject,
          j.agentId ?? null,
          JSON.stringify(j.params ?? {}),
          j.requester,
          j.chat.platform,
          j.chat.chatId,
          j.chat.threadId ?? null,
          clock.now(),
        );
      return toJob(byIdStmt.get(Number(info.lastInsertRowid))!);
    },
    byId(id: number): Job | undefined {
      const row = byIdStmt.get(id);
      return row && toJob(row);
    },
    /** The card shows the job's latest state. */
    cardShown(id: number): void {
      db.prepare('UPDATE jobs SET card_behind = 0 WHERE id = ?').run(id);
    },
    /** Ended jobs whose card may still show them unfinished (the process stopped before it was edited). */
    cardsBehind(): Job[] {
      return db
        .prepare<[], Row>(
          `SELECT * FROM jobs WHERE card_behind = 1 AND message_id IS NOT NULL AND status NOT IN (${activeList}) ORDER BY id`,
        )
        .all()
        .map(toJob);
    },
    activeFor(subject: string): Job | undefined {
      const row = db
        .prepare<[string], Row>(`SELECT * FROM jobs WHERE subject = ? AND status IN (${activeList}) LIMIT 1`)
        .get(subject);
      return row && toJob(row);
    },
    withStatus(status: JobStatus): Job[] {
      return db
        .prepare<[string], Row>('SELECT * FROM jobs WHERE status = ? ORDER BY id')
        .all(status)
        .map(toJob);
    },
    recent(limit: number): Job[] {
      return db.prepare<[number], Row>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit).map(toJob);
    },
    setMessage(id: number, messageId: string): void {
      db.prepare('UPDATE jobs SET message_id = ? WHERE id = ?').run(messageId, id);
    },
    /** Back in the queue after a restart, keeping its id, steps and card. */
    requeue(id: number): void {
      db.prepare("UPDATE jobs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = ?").run(id);
    },
    start(id: number): void {
      db.prepare("UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?").run(clock.now(), id);
    },
    /** Ends the job; its card is behind the store until cardShown says the end reached it. */
    finish(id: number, status: JobStatus, error?: string): void {
      db.prepare('UPDATE jobs SET status = ?, error = ?, finished_at = ?, card_behind = 1 WHERE id = ?').run(
        status,
        error ?? null,
        clock.now(),
        id,
      );
    },
  };
}
export type JobsRepo = ReturnType<typeof jobsRepo>;
