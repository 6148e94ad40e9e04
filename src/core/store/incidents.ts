import type { Clock } from '../runtime/clock.js';
import type { ChatRef, Platform } from '../chat/types.js';
import type { Db } from './db.js';

export type Incident = {
  id: number;
  agentId: number;
  openedAt: number;
  resolvedAt: number | null;
  lastError: string | null;
  flapping: boolean;
  ackedBy: string | null;
  ackedUntil: number | null;
};

type Row = {
  id: number;
  agent_id: number;
  opened_at: number;
  resolved_at: number | null;
  last_error: string | null;
  flapping: number;
  acked_by: string | null;
  acked_until: number | null;
};

const toIncident = (r: Row): Incident => ({
  id: r.id,
  agentId: r.agent_id,
  openedAt: r.opened_at,
  resolvedAt: r.resolved_at,
  lastError: r.last_error,
  flapping: r.flapping === 1,
  ackedBy: r.acked_by,
  ackedUntil: r.acked_until,
});

export type IncidentMessage = { chat: ChatRef; messageId: string; promptId: string };

export function incidentsRepo(db: Db, clock: Clock) {
  const byIdStmt = db.prepare<[number], Row>('SELECT * FROM incidents WHERE id = ?');
  return {
    open(agentId: number, error: string | null): Incident {
      const info = db
        .prepare('INSERT INTO incidents (agent_id, opened_at, last_error) VALUES (?, ?, ?)')
        .run(agentId, clock.now(), error);
      return toIncident(byIdStmt.get(Number(info.lastInsertRowid))!);
    },
    byId(id: number): Incident | undefined {
      const row = byIdStmt.get(id);
      return row && toIncident(row);
    },
    openFor(agentId: number): Incident | undefined {
      const row = db
        .prepare<[number], Row>('SELECT * FROM incidents WHERE agent_id = ? AND resolved_at IS NULL')
        .get(agentId);
      return row && toIncident(row);
    },
    /** Outages not yet resolved, for /metrics. */
    openCount(): number {
      return db
        .prepare<[], { n: number }>('SELECT count(*) AS n FROM incidents WHERE resolved_at IS NULL')
        .get()!.n;
    },
    update(id: number, patch: { lastError?: string | null; flapping?: boolean }): void {
      const current = byIdStmt.get(id);
      if (!current) return;
      db.prepare('UPDATE incidents SET last_error = ?, flapping = ? WHERE id = ?').run(
        patch.lastError === undefined ? current.last_error : patch.lastError,
        patch.flapping === undefined ? current.flapping : patch.flapping ? 1 : 0,
        id,
      );
    },
    ack(id: number, by: string, until: number): void {
      db.prepare('UPDATE incidents SET acked_by = ?, acked_until = ? WHERE id = ?').run(by, until, id);
    },
    resolve(id: number): void {
      db.prepare('UPDATE incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL').run(
        clock.now(),
        id,
      );
    },
    addMessage(incidentId: number, m: IncidentMessage): void {
      db.prepare(
        'INSERT OR REPLACE INTO incident_messages (incident_id, chat_platform, chat_id, message_id, prompt_id) VALUES (?, ?, ?, ?, ?)',
      ).run(incidentId, m.chat.platform, m.chat.chatId, m.messageId, m.promptId);
    },
    messages(incidentId: number): IncidentMessage[] {
      return db
        .prepare<
          [number],
          { chat_platform: Platform; chat_id: string; message_id: string; prompt_id: string }
        >('SELECT * FROM incident_messages WHERE incident_id = ?')
        .all(incidentId)
        .map((r) => ({
          chat: { platform: r.chat_platform, chatId: r.chat_id },
          messageId: r.message_id,
          promptId: r.prompt_id,
        }));
    },
  };
}
export type IncidentsRepo = ReturnType<typeof incidentsRepo>;
